/*
 * sandbox-local/rundir.c - the backend's runtime directory (host setting
 * local.run_dir, default /run/voidbox-local): the uid locks (uid.c) and the
 * box registry (owner.c, sweep.c) shared by every voidbox process of the
 * host. It must be root's and closed to everyone else: what is in it
 * decides which directories the sweep removes and which uids are free.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local.h"

/* Open dir (relative to at) as a directory, creating it 0700; refuse a
 * symlink, another owner or group/other access. */
static int open_private(int at, const char *dir, const char *shown, char *err, size_t errcap) {
  if (mkdirat(at, dir, 0700) != 0 && errno != EEXIST) {
    int e = errno;
    snprintf(err, errcap, "cannot create %s: %s", shown, strerror(e));
    return -e;
  }
  int fd = openat(at, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    snprintf(err, errcap, "%s: %s (must be a directory, not a symlink)", shown, strerror(e));
    return -e;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
    close(fd);
    snprintf(err, errcap,
             "%s must be owned by uid %u with no access for group or others (it holds the "
             "box registry and uid locks); fix or remove it",
             shown, (unsigned)geteuid());
    return -EPERM;
  }
  return fd;
}

int local_rundir_open(const local_state *st, const char *sub, char *err, size_t errcap) {
  int fd = open_private(AT_FDCWD, st->run_dir, st->run_dir, err, errcap);
  if (fd < 0 || sub == NULL) return fd;
  char shown[320];
  snprintf(shown, sizeof shown, "%s/%s", st->run_dir, sub);
  int sfd = open_private(fd, sub, shown, err, errcap);
  close(fd);
  return sfd;
}
