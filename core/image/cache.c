/*
 * image/cache.c - cache directory resolution, kernel cache key, lock.
 */
#include "image/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "image/fsutil.h"
#include "util/cachedir.h"
#include "util/error.h"
#include "util/strbuf.h"

int vbx__image_cache_dir(const char *explicit_dir, char *out, size_t size, vbx_error *err) {
  int rc = vbx__cache_dir(explicit_dir, out, size);
  if (rc == VBX_E_NOTFOUND)
    return vbx__error_set(err, rc,
                          "image cache: no --cache-dir, VOIDBOX_CACHE_DIR, XDG_CACHE_HOME or "
                          "HOME to put images in");
  if (rc) return vbx__error_set(err, rc, "image cache: directory path too long");
  if (vbx__img_mkdir_p(out, 0755))
    return vbx__error_set(err, VBX_E_IO, "image cache: cannot create %s: %s", out, strerror(errno));
  return 0;
}

void vbx__image_kernel_key(const vbx__kernel_key_input *in, char hex[VBX__SHA256_HEX]) {
  char frag[VBX__SHA256_HEX];
  vbx__sha256_buf_hex(in->fragment, in->fragment_len, frag);
  vbx__sha256 c;
  uint8_t d[VBX__SHA256_LEN];
  char line[4096 + 64];
  vbx__sha256_init(&c);
  int n = snprintf(line, sizeof(line), "voidbox-kernel-key\nbuilder=%s\nfragment-sha256=%s\n",
                   in->builder_version, frag);
  vbx__sha256_update(&c, line, (size_t)n);
  /* The path can be long: hash it without a bounded buffer. */
  vbx__sha256_update(&c, "tarball=", 8);
  vbx__sha256_update(&c, in->tarball_path, strlen(in->tarball_path));
  n = snprintf(line, sizeof(line), "\ntarball-size=%" PRIu64 "\ntarball-mtime=%" PRId64 "\n",
               in->tarball_size, in->tarball_mtime);
  vbx__sha256_update(&c, line, (size_t)n);
  vbx__sha256_final(&c, d);
  vbx__sha256_hex(d, hex);
}

int vbx__image_cache_lock(const char *dir, void *progress_file, vbx_error *err) {
  char path[4096];
  if (vbx__img_path(path, sizeof(path), "%s/.lock", dir))
    return vbx__error_set(err, VBX_E_TOOBIG, "image cache: path too long");
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return vbx__error_set(err, VBX_E_IO, "image cache: cannot open %s: %s", path, strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
  if (progress_file) fprintf(progress_file, "image: waiting for another build holding %s\n", path);
  while (flock(fd, LOCK_EX)) {
    if (errno == EINTR) continue;
    close(fd);
    return vbx__error_set(err, VBX_E_IO, "image cache: lock %s: %s", path, strerror(errno));
  }
  return fd;
}
