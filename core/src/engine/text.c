/*
 * engine/text.c - making bytes from guests and plugins safe to put in JSON
 * (valid UTF-8, no NUL): replaced, or escaped so binary output stays
 * visible to the model; and bounded appends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "util/utf8.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 (NUL too). */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  uint32_t cp;
  size_t k = vbx__utf8_decode(s, n, &cp);
  return cp == 0 ? 0 : k;
}

size_t vbx__text_escape(vbx__strbuf *sb, const char *s, size_t n, size_t max, int *truncated) {
  const unsigned char *u = (const unsigned char *)s;
  size_t escaped = 0, i = 0;
  while (i < n) {
    size_t k = utf8_seq(u + i, n - i);
    char esc[5];
    const char *piece = s + i;
    size_t plen = k;
    if (k == 0) { /* NUL or a byte that is not UTF-8 text */
      if (u[i] == 0)
        memcpy(esc, "\\0", 3), plen = 2;
      else
        snprintf(esc, sizeof(esc), "\\x%02x", u[i]), plen = 4;
      piece = esc;
    }
    if (sb->len + plen > max) {
      if (truncated) *truncated = 1;
      break;
    }
    vbx__strbuf_append(sb, piece, plen);
    if (k == 0) escaped++;
    i += k ? k : 1;
  }
  return escaped;
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
