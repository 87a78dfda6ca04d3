/*
 * image/fsutil.c - filesystem helpers for the image builder.
 */
#include "image/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "voidbox/errors.h"

int vbx__img_path(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n < 0 || (size_t)n >= size ? VBX_E_TOOBIG : 0;
}

int vbx__img_mkdir_p(const char *path, mode_t mode) {
  char tmp[PATH_MAX];
  if (vbx__img_path(tmp, sizeof(tmp), "%s", path)) return VBX_E_IO;
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(tmp, mode) && errno != EEXIST) return VBX_E_IO;
    *p = '/';
  }
  if (mkdir(tmp, mode) && errno != EEXIST) return VBX_E_IO;
  struct stat st;
  return stat(tmp, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : VBX_E_IO;
}

int vbx__img_read_file(const char *path, size_t max, char **out, size_t *len_out) {
  int rc = VBX_E_IO;
  char *buf = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO;
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) goto out;
  if ((uint64_t)st.st_size > max) {
    rc = VBX_E_TOOBIG;
    goto out;
  }
  /* /proc and /sys files report size 0: grow as needed, up to max. */
  size_t len = 0, cap = st.st_size ? (size_t)st.st_size + 1 : 4096;
  if (cap > max + 1) cap = max + 1;
  if (!(buf = malloc(cap))) {
    rc = VBX_E_NOMEM;
    goto out;
  }
  for (;;) {
    if (len + 1 >= cap) {
      if (cap >= max + 1) {
        char c;
        if (read(fd, &c, 1) > 0) {
          rc = VBX_E_TOOBIG;
          goto out;
        }
        break;
      }
      size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
      char *nb = realloc(buf, ncap);
      if (!nb) {
        rc = VBX_E_NOMEM;
        goto out;
      }
      buf = nb, cap = ncap;
    }
    ssize_t n = read(fd, buf + len, cap - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) goto out;
    if (n == 0) break;
    len += (size_t)n;
  }
  buf[len] = '\0';
  *out = buf;
  buf = NULL;
  if (len_out) *len_out = len;
  rc = 0;
out:
  free(buf);
  close(fd);
  return rc;
}

static int write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n, len -= (size_t)n;
  }
  return 0;
}

int vbx__img_write_file(const char *path, const void *data, size_t len, mode_t mode) {
  char tmp[PATH_MAX];
  if (vbx__img_path(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid())) return VBX_E_IO;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return VBX_E_IO;
  int bad = write_all(fd, data, len) || fchmod(fd, mode) || fsync(fd);
  bad |= close(fd);
  if (bad || rename(tmp, path)) {
    unlink(tmp);
    return VBX_E_IO;
  }
  return 0;
}

int vbx__img_copy_file(const char *src, const char *dst, mode_t mode) {
  int rc = VBX_E_IO, in = -1, fd = -1;
  char tmp[PATH_MAX], buf[65536];
  if (vbx__img_path(tmp, sizeof(tmp), "%s.tmp.%d", dst, (int)getpid())) return VBX_E_IO;
  if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
    return errno == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO;
  if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0) goto out;
  for (;;) {
    ssize_t n = read(in, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) goto out;
    if (n == 0) break;
    if (write_all(fd, buf, (size_t)n)) goto out;
  }
  if (fchmod(fd, mode) || fsync(fd)) goto out;
  int c = close(fd);
  fd = -1;
  if (c || rename(tmp, dst)) goto out;
  rc = 0;
out:
  if (fd >= 0) close(fd);
  if (rc) unlink(tmp);
  close(in);
  return rc;
}

int vbx__img_symlink_replace(const char *target, const char *path) {
  char tmp[PATH_MAX];
  if (vbx__img_path(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid())) return VBX_E_IO;
  unlink(tmp);
  if (symlink(target, tmp)) return VBX_E_IO;
  if (rename(tmp, path)) {
    unlink(tmp);
    return VBX_E_IO;
  }
  return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)ftw;
  return (flag == FTW_DP ? rmdir(path) : unlink(path)) && errno != ENOENT ? -1 : 0;
}

int vbx__img_rm_rf(const char *path) {
  struct stat st;
  if (lstat(path, &st)) return errno == ENOENT ? 0 : VBX_E_IO;
  if (!S_ISDIR(st.st_mode)) return unlink(path) ? VBX_E_IO : 0;
  return nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) ? VBX_E_IO : 0;
}
