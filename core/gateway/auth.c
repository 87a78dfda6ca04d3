/*
 * gateway/auth.c - the per-box token: generation, validation, the
 * constant-time check of a request's x-api-key / Authorization header, and
 * the look at a just-accepted connection's waiting bytes for it (admission).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "gateway/internal.h"

int vbx__gw_random_hex(char *buf, size_t cap, size_t nbytes) {
  unsigned char raw[64];
  if (nbytes > sizeof(raw) || cap < 2 * nbytes + 1) return VBX_E_INVAL;
  size_t got = 0;
  while (got < nbytes) {
    ssize_t n = getrandom(raw + got, nbytes - got, 0);
    if (n <= 0) return VBX_E_IO;
    got += (size_t)n;
  }
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < nbytes; i++) {
    buf[2 * i] = hex[raw[i] >> 4];
    buf[2 * i + 1] = hex[raw[i] & 15];
  }
  buf[2 * nbytes] = 0;
  return 0;
}

int vbx__gw_token_ok(const char *token) {
  size_t n = token ? strlen(token) : 0;
  if (n < 16 || n >= VBX__GATEWAY_TOKEN_MAX) return 0;
  for (size_t i = 0; i < n; i++)
    if (token[i] <= ' ' || token[i] > '~') return 0;
  return 1;
}

/* Compare in time that depends only on the token's length, never on where
 * the presented value first differs. */
static int token_equal(const vbx__gateway *gw, const char *given) {
  size_t glen = strnlen(given, VBX__GATEWAY_TOKEN_MAX + 1);
  unsigned diff = (unsigned)(glen != gw->token_len);
  for (size_t i = 0; i < gw->token_len; i++) {
    unsigned char g = i < glen ? (unsigned char)given[i] : 0;
    diff |= (unsigned)(g ^ (unsigned char)gw->token[i]);
  }
  return diff == 0;
}

int vbx__gw_authorised(const vbx__gateway *gw, struct MHD_Connection *c) {
  int ok = 0;
  const char *key = vbx__mhd.lookup_connection_value(c, MHD_HEADER_KIND, "x-api-key");
  if (key != NULL) ok |= token_equal(gw, key);
  const char *auth =
      vbx__mhd.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
    const char *t = auth + 7;
    while (*t == ' ')
      t++;
    ok |= token_equal(gw, t);
  }
  return ok;
}

/* Header name [p, p+n) equals name (lower case), ignoring case. */
static int name_is(const char *p, size_t n, const char *name) {
  return n == strlen(name) && strncasecmp(p, name, n) == 0;
}

/* The value [v, v+n) is the token: constant time over the token's length,
 * and a value with other bytes after it (a NUL included) is not it. */
static int value_is_token(const vbx__gateway *gw, const char *v, size_t n) {
  unsigned diff = (unsigned)(n != gw->token_len);
  for (size_t i = 0; i < gw->token_len; i++) {
    unsigned char g = i < n ? (unsigned char)v[i] : 0;
    diff |= (unsigned)(g ^ (unsigned char)gw->token[i]);
  }
  return diff == 0;
}

int vbx__gw_header_block_authorised(const vbx__gateway *gw, const char *buf, size_t len) {
  const char *end = len >= 4 ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
  if (end == NULL) return 0; /* not a whole header block (yet): MHD decides later */
  const char *p = memmem(buf, (size_t)(end - buf), "\r\n", 2); /* skip the request line */
  if (p == NULL) p = end;                                      /* no header at all */
  int ok = 0;
  while (p < end) {
    p += 2; /* a header line starts after each CRLF, up to the blank line */
    const char *eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
    if (eol == NULL) break;
    const char *colon = memchr(p, ':', (size_t)(eol - p));
    if (colon != NULL) {
      const char *v = colon + 1, *ve = eol;
      while (v < ve && (*v == ' ' || *v == '\t'))
        v++;
      while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
      if (name_is(p, (size_t)(colon - p), "x-api-key")) {
        ok |= value_is_token(gw, v, (size_t)(ve - v));
      } else if (name_is(p, (size_t)(colon - p), "authorization") && ve - v > 7 &&
                 strncasecmp(v, "Bearer ", 7) == 0) {
        v += 7;
        while (v < ve && *v == ' ')
          v++;
        ok |= value_is_token(gw, v, (size_t)(ve - v));
      }
    }
    p = eol;
  }
  return ok;
}

int vbx__gw_peek_authorised(const vbx__gateway *gw, int fd) {
  char buf[VBX__GW_PEEK_MAX];
  ssize_t got = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
  if (got <= 0) return 0;
  return vbx__gw_header_block_authorised(gw, buf, (size_t)got);
}
