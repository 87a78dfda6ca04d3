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

int vmm_x86_read_file(const char *path, uint64_t max, uint8_t **data, size_t *len, char *err,
                      size_t errcap) {
  int rc = 0;
  uint8_t *buf = NULL;
  struct stat st;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return vmm_x86_fail(err, errcap, VBX_E_IO, "%s: %s", path, strerror(errno));
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    rc = vmm_x86_fail(err, errcap, VBX_E_IO, "%s: not a regular file", path);
    goto out;
  }
  if ((uint64_t)st.st_size > max) {
    rc = vmm_x86_fail(err, errcap, VBX_E_TOOBIG,
                      "%s: %lld bytes is more than %llu MiB of guest memory", path,
                      (long long)st.st_size, (unsigned long long)(max >> 20));
    goto out;
  }
  size_t n = (size_t)st.st_size, got = 0;
  buf = malloc(n ? n : 1);
  if (!buf) {
    rc = vmm_x86_fail(err, errcap, VBX_E_NOMEM, "%s: no memory for %zu bytes", path, n);
    goto out;
  }
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      rc = vmm_x86_fail(err, errcap, VBX_E_IO, "%s: read failed at byte %zu: %s", path, got,
                        r < 0 ? strerror(errno) : "file shrank");
      goto out;
    }
    got += (size_t)r;
  }
  *data = buf;
  *len = n;
  buf = NULL;
out:
  free(buf);
  close(fd);
  return rc;
}
