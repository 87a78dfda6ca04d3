/*
 * image/sha256.c - SHA-256 for image manifests and cache keys: hex and file
 * helpers over the protocol library's digest.
 */
#include "image/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "voidbox/errors.h"

/* The digest itself is the protocol library's SHA-256 (FIPS 180-4 tested
 * there); this file adds hex and file helpers for image manifests. */

void vbx__sha256_init(vbx__sha256 *c) { vbx_proto_sha256_init(c); }

void vbx__sha256_update(vbx__sha256 *c, const void *data, size_t len) {
  vbx_proto_sha256_update(c, data, len);
}

void vbx__sha256_final(vbx__sha256 *c, uint8_t out[VBX__SHA256_LEN]) {
  vbx_proto_sha256_final(c, out);
}

void vbx__sha256_hex(const uint8_t d[VBX__SHA256_LEN], char hex[VBX__SHA256_HEX]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < VBX__SHA256_LEN; i++) {
    hex[2 * i] = digits[d[i] >> 4];
    hex[2 * i + 1] = digits[d[i] & 15];
  }
  hex[64] = '\0';
}

void vbx__sha256_buf_hex(const void *data, size_t len, char hex[VBX__SHA256_HEX]) {
  vbx__sha256 c;
  uint8_t d[VBX__SHA256_LEN];
  vbx__sha256_init(&c);
  vbx__sha256_update(&c, data, len);
  vbx__sha256_final(&c, d);
  vbx__sha256_hex(d, hex);
}

int vbx__sha256_file_hex(const char *path, char hex[VBX__SHA256_HEX], uint64_t *size_out) {
  int rc = VBX_E_IO;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO;
  vbx__sha256 c;
  uint8_t d[VBX__SHA256_LEN], buf[65536];
  uint64_t size = 0;
  vbx__sha256_init(&c);
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) goto out;
    if (n == 0) break;
    vbx__sha256_update(&c, buf, (size_t)n);
    size += (uint64_t)n;
  }
  vbx__sha256_final(&c, d);
  vbx__sha256_hex(d, hex);
  if (size_out) *size_out = size;
  rc = 0;
out:
  close(fd);
  return rc;
}
