/*
 * util/utf8.c - UTF-8 decoding and sanitising (see utf8.h).
 */
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>

size_t vbx__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned char c = s[0];
  size_t len;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf)
    len = 2, *cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef)
    len = 3, *cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4)
    len = 4, *cp = c & 0x07;
  else
    return 0;
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    *cp = (*cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 3 && (*cp < 0x800 || (*cp >= 0xd800 && *cp <= 0xdfff))) ||
      (len == 4 && (*cp < 0x10000 || *cp > 0x10ffff)))
    return 0;
  return len;
}

char *vbx__text_sanitize(const char *s, size_t n) {
  char *out = malloc(n + 1);
  if (out == NULL) return NULL;
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    size_t k = vbx__utf8_decode(u + i, n - i, &cp);
    if (k == 0 || cp == 0) {
      out[i++] = '?';
      continue;
    }
    memcpy(out + i, s + i, k);
    i += k;
  }
  out[n] = '\0';
  return out;
}
