/*
 * gateway/auth.c - the per-box token: generation, validation, and the
 * constant-time check of a request's x-api-key / Authorization header.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

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
  const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-api-key");
  if (key != NULL) ok |= token_equal(gw, key);
  const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
    const char *t = auth + 7;
    while (*t == ' ') t++;
    ok |= token_equal(gw, t);
  }
  return ok;
}
