/*
 * engine/text.c - making bytes from guests and plugins safe to put in JSON
 * (valid UTF-8, no NUL) and bounded appends.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  size_t len;
  uint32_t cp;
  if (c < 0x80) return c ? 1 : 0;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return len;
}

char *vbx__text_sanitize(const char *s, size_t n) {
  char *out = malloc(n + 1);
  if (out == NULL) return NULL;
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    size_t k = utf8_seq(u + i, n - i);
    if (k == 0) {
      out[i++] = '?';
      continue;
    }
    memcpy(out + i, s + i, k);
    i += k;
  }
  out[n] = '\0';
  return out;
}

void vbx__text_append_bounded(vbx__strbuf *sb, const char *s, size_t n, size_t max,
                              int *truncated) {
  size_t room = sb->len < max ? max - sb->len : 0;
  if (n > room) {
    n = room;
    if (truncated) *truncated = 1;
  }
  if (n) vbx__strbuf_append(sb, s, n);
}
