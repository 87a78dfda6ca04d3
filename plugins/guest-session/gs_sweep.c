/*
 * guest-session/gs_sweep.c - remove the box directories a dead voidbox
 * left. A voidbox killed with SIGKILL cannot clean up: its agents or VMs
 * die with it (PR_SET_PDEATHSIG) but their box directories stay. A later
 * process judges each candidate by its owner record (gs_owner.c): a dead
 * owner's directory is removed (gs_rmtree, owner last) after making sure
 * the process it recorded no longer runs; a live owner's directory, one
 * without a valid record (a box being created), one of another pid
 * namespace, another user's and one open to others are never touched.
 * Backends find candidates their own way: `qemu` scans each work root for
 * "vbx-qemu-*" (gs_sweep_once), `local` follows its root-only registry.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gs_box.h"

#define KILL_WAIT_MS 2000

/* The recorded process of a dead owner still running (it outlived its
 * parent: PDEATHSIG follows the thread that forked it): SIGKILL it through
 * a pidfd, after checking on that pidfd's process that the start time is
 * still the one recorded, so a reused pid is never signalled. Returns 1
 * when one was killed. */
static int kill_orphan(const vbx_host_services *h, int dfd, const char *file, const char *path) {
  gs_owner o;
  unsigned long long now;
  char why[200];
  if (file == NULL || gs_owner_read(dfd, file, &o, why, sizeof why) != GS_OWNER_LIVE) return 0;
  int pfd = (int)syscall(SYS_pidfd_open, o.pid, 0);
  if (pfd < 0) return 0; /* gone meanwhile */
  int killed = 0;
  if (gs_proc_start(o.pid, &now) == 0 && now == o.start &&
      syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) == 0) {
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    int gone = poll(&p, 1, KILL_WAIT_MS) > 0;
    h->log(h->ctx, VBX_LOG_WARN, "sweep: process %d of %s outlived its voidbox; killed it%s",
           (int)o.pid, path, gone ? "" : " (still exiting)");
    killed = 1;
  }
  close(pfd);
  return killed;
}

/* Why at/name is not a box directory this process may judge, or NULL. */
static const char *not_ours(int dfd, const gs_owner *expect) {
  struct stat st;
  if (fstat(dfd, &st) != 0 || !S_ISDIR(st.st_mode)) return "not a directory";
  if (st.st_uid != geteuid() || (st.st_mode & 077) != 0)
    return "not ours (another owner, or open to others)";
  if (expect != NULL) {
    char own[1024];
    gs_owner o;
    int fd = openat(dfd, "owner", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    ssize_t n = fd < 0 ? -1 : read(fd, own, sizeof own - 1);
    if (fd >= 0) close(fd);
    if (n >= 0) own[n] = '\0';
    if (n < 0 || gs_owner_parse(own, &o, NULL, 0) != 0 || o.pid != expect->pid ||
        o.start != expect->start || strcmp(o.boot, expect->boot) != 0 ||
        strcmp(o.pidns, expect->pidns) != 0)
      return "its owner file does not match the entry";
  }
  return NULL;
}

int gs_sweep_dir(const vbx_host_services *h, int at, const char *name, const char *path,
                 const char *proc_file, const gs_owner *expect, char *why, size_t cap) {
  int dfd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) {
    snprintf(why, cap, "cannot be opened as a directory");
    return 0;
  }
  const char *bad = not_ours(dfd, expect);
  int state = GS_OWNER_UNKNOWN;
  if (bad != NULL)
    snprintf(why, cap, "%s", bad);
  else
    state = gs_owner_read(dfd, "owner", NULL, why, cap);
  if (state != GS_OWNER_DEAD) {
    if (state == GS_OWNER_UNKNOWN)
      h->log(h->ctx, VBX_LOG_DEBUG, "sweep: left %s alone: %s", path, why);
    close(dfd);
    return 0;
  }
  int killed = kill_orphan(h, dfd, proc_file, path);
  close(dfd);
  int rc = gs_rmtree(path, 1);
  if (rc != 0) {
    h->log(h->ctx, VBX_LOG_WARN, "sweep: cannot remove %s (its voidbox %s): %s", path, why,
           strerror(-rc));
    return rc;
  }
  h->log(h->ctx, VBX_LOG_INFO, "sweep: removed the stale box directory %s (its voidbox %s%s)", path,
         why, killed ? "; its process was still running" : "");
  return 1;
}

unsigned gs_sweep_root(const vbx_host_services *h, const char *root, const char *prefix,
                       const char *proc_file) {
  DIR *d = opendir(root);
  if (d == NULL) return 0;
  unsigned swept = 0;
  size_t pl = strlen(prefix);
  struct dirent *e;
  char path[600], why[200];
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, prefix, pl) != 0 || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
      continue;
    snprintf(path, sizeof path, "%s/%s", root, e->d_name);
    if (gs_sweep_dir(h, dirfd(d), e->d_name, path, proc_file, NULL, why, sizeof why) == 1) swept++;
  }
  closedir(d);
  if (swept > 0)
    h->log(h->ctx, VBX_LOG_INFO, "sweep: %u stale box director%s removed from %s", swept,
           swept == 1 ? "y" : "ies", root);
  return swept;
}

void gs_sweep_once(gs_swept *s, const vbx_host_services *h, const char *root, const char *prefix,
                   const char *proc_file) {
  int seen = 0;
  pthread_mutex_lock(&s->lock);
  for (unsigned i = 0; i < s->n && !seen; i++)
    seen = strcmp(s->roots[i], root) == 0;
  if (!seen && s->n < GS_SWEPT_MAX && strlen(root) < sizeof s->roots[0])
    snprintf(s->roots[s->n++], sizeof s->roots[0], "%s", root);
  pthread_mutex_unlock(&s->lock);
  if (!seen) gs_sweep_root(h, root, prefix, proc_file);
}
