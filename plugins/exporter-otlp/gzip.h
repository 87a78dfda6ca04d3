/*
 * exporter-otlp/gzip.h - a request body compressed into one gzip member
 * (RFC 1952) with zlib, for Content-Encoding: gzip.
 *
 * Threads: pure function.
 */
#ifndef VBX_OTLP_GZIP_H
#define VBX_OTLP_GZIP_H

#include <stddef.h>

#define OX_GZIP_MAX_IN ((size_t)1 << 30)

/* Compress in[0..n) into *out (malloc'd, freed by the caller) of *out_len
 * bytes. 0, VBX_E_TOOBIG over OX_GZIP_MAX_IN, VBX_E_NOMEM. */
int ox_gzip(const void *in, size_t n, unsigned char **out, size_t *out_len);

#endif
