/*
 * sandbox-local/sweep.c - at plugin init, remove what boxes of voidbox
 * processes that are gone left behind (SIGKILL, a crash, a second Ctrl-C):
 *
 *  1. cgroups: every voidbox-local/o<pid>-<start> directory of each
 *     hierarchy whose process is gone or whose pid now has another start
 *     time: SIGKILL what is left in each box cgroup (bounded wait until it
 *     is empty), remove the box cgroups, then the owner directory;
 *  2. box directories: every registry entry <run_dir>/boxes/<name> whose
 *     owner is gone (pid, start time or boot id differ): the directory it
 *     names is removed only if it is <somewhere>/<name>, a real directory
 *     of root with mode 0700 whose own `owner` record equals the entry's -
 *     without following symlinks or crossing mounts (guest-session's
 *     gs_sweep_dir, shared with the qemu backend) - then the entry.
 *
 * Boxes of a live owner are never touched. Each removal is logged at INFO,
 * anything left in place at WARN.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "local.h"

/* Gone: no such process (or a zombie), or the pid is another process now;
 * NULL while it lives. */
static const char *owner_gone(const gs_owner *o, char *why, size_t cap) {
  return gs_owner_judge(o, why, cap) == GS_OWNER_DEAD ? why : NULL;
}

static void sweep_owner_cgroup(const vbx_host_services *h, const char *odir, int pid,
                               const char *why) {
  DIR *d = opendir(odir);
  if (d == NULL) return;
  struct dirent *e;
  char box[1024];
  while ((e = readdir(d)) != NULL) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    snprintf(box, sizeof box, "%s/%s", odir, e->d_name);
    int killed = local_cgroup_kill(box, 2000);
    if (killed < 0) {
      h->log(h->ctx, VBX_LOG_WARN,
             "sweep: cgroup %s of voidbox process %d (%s) still has processes after 2 s; "
             "left in place",
             box, pid, why);
      continue;
    }
    int t = 0;
    while (rmdir(box) != 0 && errno == EBUSY && t++ < 100) {
      struct timespec ts = {0, 10000000};
      nanosleep(&ts, NULL);
    }
    h->log(h->ctx, VBX_LOG_INFO,
           "sweep: removed cgroup %s of voidbox process %d (%s), %d process%s killed", box, pid,
           why, killed, killed == 1 ? "" : "es");
  }
  closedir(d);
  rmdir(odir);
}

static void sweep_cgroups(const vbx_host_services *h) {
  const char *roots[3];
  int n = local_cgroup_roots(roots);
  char dir[300], odir[600];
  for (int i = 0; i < n; i++) {
    snprintf(dir, sizeof dir, "%s/voidbox-local", roots[i]);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
      gs_owner o;
      char whybuf[200];
      memset(&o, 0, sizeof o); /* no boot id: cgroups do not outlive a boot */
      int pid, used = 0;
      if (e->d_type != DT_DIR || sscanf(e->d_name, "o%d-%llu%n", &pid, &o.start, &used) != 2 ||
          e->d_name[used] != '\0' || pid <= 0)
        continue; /* not an owner directory (or another layout): not ours to judge */
      o.pid = pid;
      const char *why = owner_gone(&o, whybuf, sizeof whybuf);
      if (why == NULL) continue;
      snprintf(odir, sizeof odir, "%s/%s", dir, e->d_name);
      sweep_owner_cgroup(h, odir, pid, why);
    }
    if (d) closedir(d);
  }
}

static ssize_t read_at(int dirfd, const char *name, char *buf, size_t cap) {
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return -errno;
  struct stat st;
  ssize_t n = fstat(fd, &st) != 0    ? -errno
              : !S_ISREG(st.st_mode) ? -EINVAL
                                     : read(fd, buf, cap - 1);
  if (n == -1) n = -errno;
  close(fd);
  if (n >= 0) buf[n] = '\0';
  return n;
}

/* The directory wd named by the dead owner o's entry `name`: removed
 * through gs_sweep_dir when it is that box. Returns 0 when the entry may
 * go, -1 when it stays (removal failed: tried again at the next start). */
static int sweep_entry_dir(local_state *st, const char *name, const char *wd, const gs_owner *o,
                           const char *why) {
  const vbx_host_services *h = st->host;
  const char *base = strrchr(wd, '/');
  char parent[600], left[200];
  struct stat sb;
  if (wd[0] != '/' || base == NULL || strcmp(base + 1, name) != 0 ||
      strncmp(name, "voidbox-local-", 14) != 0) {
    h->log(h->ctx, VBX_LOG_WARN, "sweep: %s named by %s/boxes/%s left in place: %s", wd,
           st->run_dir, name, "its path does not end in the entry's name");
    return 0;
  }
  if (lstat(wd, &sb) != 0) {
    h->log(h->ctx, VBX_LOG_INFO, "sweep: box directory %s of voidbox process %d already gone", wd,
           (int)o->pid);
    return 0;
  }
  snprintf(parent, sizeof parent, "%.*s", (int)(base - wd > 0 ? base - wd : 1), wd);
  int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0) {
    h->log(h->ctx, VBX_LOG_WARN, "sweep: %s of voidbox process %d (%s) left in place", wd,
           (int)o->pid, why);
    return 0;
  }
  int rc = gs_sweep_dir(h, pfd, name, wd, NULL, o, left, sizeof left);
  close(pfd);
  if (rc < 0) return -1; /* logged by gs_sweep_dir */
  if (rc == 0)
    h->log(h->ctx, VBX_LOG_WARN, "sweep: %s named by %s/boxes/%s left in place: %s", wd,
           st->run_dir, name, left);
  return 0;
}

static void sweep_boxes(local_state *st) {
  const vbx_host_services *h = st->host;
  char err[300];
  int bfd = local_rundir_open(st, "boxes", err, sizeof err);
  if (bfd < 0) {
    h->log(h->ctx, VBX_LOG_WARN, "sweep: %s; stale box directories not looked for", err);
    return;
  }
  DIR *d = fdopendir(bfd);
  if (d == NULL) {
    close(bfd);
    return;
  }
  struct dirent *e;
  char entry[1024], wd[600], why[200];
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    gs_owner o;
    if (read_at(dirfd(d), e->d_name, entry, sizeof entry) < 0 ||
        gs_owner_parse(entry, &o, wd, sizeof wd) != 0 || wd[0] == '\0') {
      h->log(h->ctx, VBX_LOG_WARN, "sweep: %s/boxes/%s is not a box record; removed", st->run_dir,
             e->d_name);
      unlinkat(dirfd(d), e->d_name, 0);
      continue;
    }
    if (owner_gone(&o, why, sizeof why) == NULL) continue;
    if (sweep_entry_dir(st, e->d_name, wd, &o, why) == 0) unlinkat(dirfd(d), e->d_name, 0);
  }
  closedir(d);
}

void local_sweep(local_state *st) {
  if (geteuid() != 0) return; /* boxes need root; a non-root process has none to sweep */
  sweep_cgroups(st->host);
  sweep_boxes(st);
}
