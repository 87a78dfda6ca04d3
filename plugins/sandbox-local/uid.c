/*
 * sandbox-local/uid.c - one uid/gid per box, from the range
 * [local.uid_base, local.uid_base + local.uid_count) (default 2000000000,
 * 65536 ids; local.h says why there). An id is taken by an open-file-
 * description lock (F_OFD_SETLK) on byte <id> of <run_dir>/uids.lock, one
 * open per box: ids are unique across every voidbox process of the host,
 * within one process too (each open is its own description), and a
 * process that dies - even by SIGKILL - releases its ids with its
 * descriptors. The file stays empty; the locks are its only content.
 *
 * A distinct uid per box keeps RLIMIT_NPROC (counted per uid by the kernel)
 * from being shared between boxes, and keeps one box's commands (and the
 * host's nobody) away from another box's processes and files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "local.h"

int local_uid_alloc(local_state *st, local_uid *u, vbx_call *call) {
  const vbx_host_services *h = st->host;
  char err[300];
  u->fd = -1;
  int dfd = local_rundir_open(st, NULL, err, sizeof err);
  if (dfd < 0)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "cannot allocate a uid for the box: %s", err);
  int fd = openat(dfd, "uids.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  int e = errno;
  close(dfd);
  if (fd < 0)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "%s/uids.lock: %s", st->run_dir, strerror(e));
  pthread_mutex_lock(&st->lock);
  uint32_t start = st->next_uid;
  pthread_mutex_unlock(&st->lock);
  for (uint32_t i = 0; i < st->uid_count; i++) {
    uint32_t idx = (uint32_t)(((uint64_t)start + i) % st->uid_count);
    struct flock fl = {
        .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = (off_t)st->uid_base + idx, .l_len = 1};
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
      u->fd = fd;
      u->id = st->uid_base + idx;
      pthread_mutex_lock(&st->lock);
      st->next_uid = (idx + 1) % st->uid_count; /* no immediate reuse */
      pthread_mutex_unlock(&st->lock);
      return 0;
    }
    if (errno != EAGAIN && errno != EACCES) {
      e = errno;
      close(fd);
      return h->set_error(call, VBX_E_SANDBOX, NULL, "locking a uid in %s/uids.lock: %s",
                          st->run_dir, strerror(e));
    }
  }
  close(fd);
  return h->set_error(call, VBX_E_LIMIT, NULL,
                      "all %u uids of the local backend (%u..%u, host settings local.uid_base "
                      "and local.uid_count) are in use by running boxes",
                      st->uid_count, st->uid_base, st->uid_base + (st->uid_count - 1));
}

void local_uid_release(local_uid *u) {
  if (u->fd >= 0) close(u->fd);
  u->fd = -1;
}
