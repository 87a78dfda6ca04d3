/*
 * vmm/x86/file.c - whole-file reads with a size bound, and error wording.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "voidbox/errors.h"

int vmm_x86_fail(char *err, size_t errcap, int code, const char *fmt, ...) {
  if (errcap > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
  }
  return code;
}

int vmm_x86_file_open(const char *path, uint64_t max, int *fd_out, size_t *len, char *err,
                      size_t errcap) {
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return vmm_x86_fail(err, errcap, VBX_E_IO, "%s: %s", path, strerror(errno));
  int rc = 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    rc = vmm_x86_fail(err, errcap, VBX_E_IO, "%s: not a regular file", path);
  else if ((uint64_t)st.st_size > max)
    rc = vmm_x86_fail(err, errcap, VBX_E_TOOBIG,
                      "%s: %lld bytes is more than %llu MiB of guest memory", path,
                      (long long)st.st_size, (unsigned long long)(max >> 20));
  if (rc < 0) {
    close(fd);
    return rc;
  }
  *fd_out = fd;
  *len = (size_t)st.st_size;
  return 0;
}

int vmm_x86_file_read_all(int fd, uint8_t *dst, size_t len, const char *path, char *err,
                          size_t errcap) {
  size_t got = 0;
  while (got < len) {
    ssize_t r = read(fd, dst + got, len - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      return vmm_x86_fail(err, errcap, VBX_E_IO, "%s: read failed at byte %zu: %s", path, got,
                          r < 0 ? strerror(errno) : "file shrank");
    got += (size_t)r;
  }
  return 0;
}

int vmm_x86_read_file(const char *path, uint64_t max, uint8_t **data, size_t *len, char *err,
                      size_t errcap) {
  int fd;
  size_t n;
  int rc = vmm_x86_file_open(path, max, &fd, &n, err, errcap);
  if (rc < 0) return rc;
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) {
    rc = vmm_x86_fail(err, errcap, VBX_E_NOMEM, "%s: no memory for %zu bytes", path, n);
    goto out;
  }
  rc = vmm_x86_file_read_all(fd, buf, n, path, err, errcap);
  if (rc < 0) goto out;
  *data = buf;
  *len = n;
  buf = NULL;
out:
  free(buf);
  close(fd);
  return rc;
}
