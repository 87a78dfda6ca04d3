/*
 * guest-session/gs_rmtree.c - remove a box directory: descriptor-relative
 * (openat/unlinkat), never following a symlink (a symlink is unlinked, not
 * its target) and never descending into another mount (same mount id by
 * statx, else same device), so neither a planted link nor a forgotten
 * mount takes anything outside the directory with it. The box's "owner"
 * record can go last: a directory is swept by a later voidbox only while
 * that record is there, so a removal cut short is finished by the sweep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "gs_box.h"

#define RMTREE_DEPTH 64

struct where {
  dev_t dev;
  uint64_t mnt; /* 0: unknown (statx without STATX_MNT_ID) */
};

static int where_at(int dirfd, const char *name, struct where *w, mode_t *mode) {
  struct statx sx;
  if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE | STATX_MNT_ID, &sx) !=
      0)
    return -errno;
  w->dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  w->mnt = (sx.stx_mask & STATX_MNT_ID) ? sx.stx_mnt_id : 0;
  *mode = sx.stx_mode;
  return 0;
}

static int rm_at(int at, const char *name, const struct where *top, int depth, const char *last) {
  struct where w;
  mode_t mode;
  int rc = where_at(at, name, &w, &mode);
  if (rc != 0) return rc == -ENOENT ? 0 : rc;
  if (!S_ISDIR(mode)) return unlinkat(at, name, 0) == 0 || errno == ENOENT ? 0 : -errno;
  if (w.dev != top->dev || (w.mnt && top->mnt && w.mnt != top->mnt))
    return -EXDEV; /* a mount point: left alone */
  if (depth >= RMTREE_DEPTH) return -ELOOP;
  int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -errno;
  DIR *d = fdopendir(fd);
  if (d == NULL) {
    int e = errno;
    close(fd);
    return -e;
  }
  rc = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
        (last && strcmp(e->d_name, last) == 0))
      continue;
    int r = rm_at(dirfd(d), e->d_name, top, depth + 1, NULL);
    if (r != 0 && rc == 0) rc = r;
  }
  if (last && rc == 0 && unlinkat(dirfd(d), last, 0) != 0 && errno != ENOENT) rc = -errno;
  closedir(d);
  if (unlinkat(at, name, AT_REMOVEDIR) != 0 && errno != ENOENT && rc == 0) rc = -errno;
  return rc;
}

int gs_rmtree(const char *path, int owner_last) {
  const char *slash = strrchr(path, '/');
  if (path[0] != '/' || slash == NULL || slash[1] == '\0' || strlen(path) >= 4096) return -EINVAL;
  char parent[4096];
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  memcpy(parent, path, n);
  parent[n] = '\0';
  int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0) return -errno;
  struct where top;
  mode_t mode;
  int rc = where_at(pfd, slash + 1, &top, &mode);
  if (rc == 0)
    rc = rm_at(pfd, slash + 1, &top, 0, owner_last ? "owner" : NULL);
  else if (rc == -ENOENT)
    rc = 0;
  close(pfd);
  return rc;
}
