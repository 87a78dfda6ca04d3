/*
 * tests/integration/otlp/otlp_inflate.c - gunzip of a request body, bounded
 * (a small gzip body may inflate to gigabytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "otlp_recv.h"

int otlp_inflate(const char *in, size_t n, size_t max, char **out, size_t *out_len, char *why,
                 size_t cap) {
  *out = NULL;
  *out_len = 0;
  if (n < 18 || (unsigned char)in[0] != 0x1f || (unsigned char)in[1] != 0x8b) {
    snprintf(why, cap, "Content-Encoding gzip, but the body is not gzip (%zu bytes)", n);
    return -1;
  }
  z_stream z = {0};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    snprintf(why, cap, "inflateInit2 failed");
    return -1;
  }
  size_t size = 0, alloc = n * 4 + 1024;
  if (alloc > max + 1) alloc = max + 1;
  char *buf = malloc(alloc + 1);
  int rc = buf ? Z_OK : Z_MEM_ERROR;
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)n;
  while (rc == Z_OK) {
    if (size == alloc) {
      if (alloc > max) break; /* more than max came out */
      alloc = alloc * 2 > max + 1 ? max + 1 : alloc * 2;
      char *nb = realloc(buf, alloc + 1);
      if (nb == NULL) {
        rc = Z_MEM_ERROR;
        break;
      }
      buf = nb;
    }
    z.next_out = (Bytef *)buf + size;
    z.avail_out = (uInt)(alloc - size);
    rc = inflate(&z, Z_NO_FLUSH);
    size = alloc - z.avail_out;
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break; /* truncated */
  }
  int res = 0;
  if (size > max) {
    snprintf(why, cap, "the gzip body inflates past %zu bytes", max);
    res = -2;
  } else if (rc != Z_STREAM_END) {
    snprintf(why, cap, "the gzip body does not inflate: %s",
             rc == Z_OK || rc == Z_BUF_ERROR ? "truncated"
             : z.msg                         ? z.msg
                                             : "error");
    res = -1;
  } else if (z.avail_in != 0) {
    snprintf(why, cap, "%u bytes after the end of the gzip stream", z.avail_in);
    res = -1;
  }
  inflateEnd(&z);
  if (res != 0) {
    free(buf);
    return res;
  }
  buf[size] = '\0';
  *out = buf;
  *out_len = size;
  return 0;
}
