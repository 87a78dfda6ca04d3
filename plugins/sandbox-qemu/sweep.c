/*
 * sandbox-qemu/sweep.c - remove the box directories a dead voidbox left.
 *
 * A voidbox killed with SIGKILL cannot clean up: its QEMUs die with it
 * (PR_SET_PDEATHSIG) but their box directories stay. The next process that
 * loads the backend sweeps the default work root (and each other work_root
 * the first time a box uses it): every "vbx-qemu-*" directory of ours
 * whose owner record (owner.c) names a dead process is removed, after
 * making sure the QEMU it recorded no longer runs. A live owner's
 * directory, one without a readable record (a box being created, or an
 * older voidbox's) and one of another pid namespace are never touched.
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

#include "qemu.h"

#define BOX_PREFIX "vbx-qemu-"
#define MAX_BOX_FILES 64      /* a box directory holds 6 files */
#define QEMU_KILL_WAIT_MS 2000

/* QEMU of a dead owner still running (it outlived its parent: PDEATHSIG
 * follows the thread that forked it): SIGKILL it through a pidfd, after
 * checking on that pidfd's process that the start time is still the one
 * recorded, so a reused pid is never signalled. Returns 1 when one was
 * killed. */
static int kill_orphan_qemu(const vbx_host_services *h, int dfd, const char *path) {
  pid_t q;
  unsigned long long start, now;
  char why[200];
  if (qemu_owner_read(dfd, "qemu.pid", &q, &start, why, sizeof why) != QEMU_OWNER_LIVE)
    return 0;
  int pfd = (int)syscall(SYS_pidfd_open, q, 0);
  if (pfd < 0)
    return 0; /* gone meanwhile */
  int killed = 0;
  if (qemu_proc_start(q, &now) == 0 && now == start &&
      syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) == 0) {
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    int gone = poll(&p, 1, QEMU_KILL_WAIT_MS) > 0;
    h->log(h->ctx, VBX_LOG_WARN, "sweep: QEMU pid %d of %s outlived its voidbox; killed it%s",
           (int)q, path, gone ? "" : " (still exiting)");
    killed = 1;
  }
  close(pfd);
  return killed;
}

/* Unlink every non-directory entry of dfd (a box directory has no
 * subdirectories). */
static void empty_dir(int dfd) {
  int fd = dup(dfd);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (d == NULL) {
    if (fd >= 0)
      close(fd);
    return;
  }
  struct dirent *e;
  for (int n = 0; n < MAX_BOX_FILES && (e = readdir(d)) != NULL; n++)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      unlinkat(dfd, e->d_name, 0);
  closedir(d);
}

/* One candidate entry of root: swept when it is our directory and its
 * owner is dead. Returns 1 when removed. */
static int sweep_one(const vbx_host_services *h, int rfd, const char *root, const char *name) {
  char path[600], why[200];
  snprintf(path, sizeof path, "%s/%s", root, name);
  int dfd = openat(rfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return 0;
  struct stat st;
  pid_t owner;
  unsigned long long start;
  int state = QEMU_OWNER_UNKNOWN;
  if (fstat(dfd, &st) == 0 && st.st_uid == geteuid())
    state = qemu_owner_read(dfd, "owner", &owner, &start, why, sizeof why);
  else
    snprintf(why, sizeof why, "not ours");
  if (state != QEMU_OWNER_DEAD) {
    if (state == QEMU_OWNER_UNKNOWN)
      h->log(h->ctx, VBX_LOG_DEBUG, "sweep: left %s alone: %s", path, why);
    close(dfd);
    return 0;
  }
  int killed = kill_orphan_qemu(h, dfd, path);
  empty_dir(dfd);
  close(dfd);
  if (unlinkat(rfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
    h->log(h->ctx, VBX_LOG_WARN, "sweep: cannot remove %s (its voidbox %s): %s", path, why,
           strerror(errno));
    return 0;
  }
  h->log(h->ctx, VBX_LOG_INFO, "sweep: removed the stale box directory %s (its voidbox %s%s)",
         path, why, killed ? "; its QEMU was still running" : "");
  return 1;
}

unsigned qemu_sweep(const vbx_host_services *h, const char *root) {
  int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return 0;
  int fd = dup(rfd);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (d == NULL) {
    if (fd >= 0)
      close(fd);
    close(rfd);
    return 0;
  }
  unsigned swept = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strncmp(e->d_name, BOX_PREFIX, sizeof BOX_PREFIX - 1) == 0 &&
        (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN))
      swept += (unsigned)sweep_one(h, rfd, root, e->d_name);
  closedir(d);
  close(rfd);
  if (swept > 0)
    h->log(h->ctx, VBX_LOG_INFO, "sweep: %u stale box director%s removed from %s", swept,
           swept == 1 ? "y" : "ies", root);
  return swept;
}

void qemu_sweep_once(qemu_state *st, const char *root) {
  int seen = 0;
  pthread_mutex_lock(&st->lock);
  for (unsigned i = 0; i < st->n_swept && !seen; i++)
    seen = strcmp(st->swept[i], root) == 0;
  if (!seen && st->n_swept < QEMU_SWEPT_MAX && strlen(root) < sizeof st->swept[0])
    snprintf(st->swept[st->n_swept++], sizeof st->swept[0], "%s", root);
  pthread_mutex_unlock(&st->lock);
  if (!seen)
    qemu_sweep(st->host, root);
}
