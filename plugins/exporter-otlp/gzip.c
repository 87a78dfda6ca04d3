/*
 * exporter-otlp/gzip.c - gzip with zlib: deflateInit2 with windowBits
 * 15 + 16 writes the gzip header and trailer; one deflate(Z_FINISH) into a
 * deflateBound-sized buffer compresses the whole body.
 */
#include "gzip.h"

#include <stdlib.h>
#include <zlib.h>

#include "voidbox/errors.h"

int ox_gzip(const void *in, size_t n, unsigned char **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  if (n > OX_GZIP_MAX_IN) return VBX_E_TOOBIG;
  z_stream zs = {0};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return VBX_E_NOMEM;
  int rc = VBX_E_NOMEM;
  size_t cap = deflateBound(&zs, (uLong)n) + 32; /* + room for the gzip header's fields */
  unsigned char *buf = malloc(cap);
  if (buf == NULL) goto out;
  zs.next_in = (Bytef *)in;
  zs.avail_in = (uInt)n;
  zs.next_out = buf;
  zs.avail_out = (uInt)cap;
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) goto out;
  *out = buf;
  *out_len = cap - zs.avail_out;
  buf = NULL;
  rc = 0;
out:
  free(buf);
  deflateEnd(&zs);
  return rc;
}
