/*
 * term_text.c - neutralising terminal control sequences (see term_text.h).
 */
#include "term_text.h"

#include "util/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Code points a terminal acts on instead of showing: C1 controls and the
 * bidirectional embedding, override and isolate characters. */
static int is_control(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

void vbx__term_append(vbx__strbuf *sb, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, run = 0; /* run: plain bytes not yet appended */
  while (i < n) {
    uint32_t cp = 0;
    size_t k = vbx__utf8_decode(u + i, n - i, &cp);
    char esc[12];
    if (k == 1 && cp != 0x7f && (cp >= 0x20 || cp == '\t')) {
      i++, run++;
      continue;
    }
    if (k > 1 && !is_control(cp)) {
      i += k, run += k;
      continue;
    }
    if (run) vbx__strbuf_append(sb, s + i - run, run);
    run = 0;
    if (k == 0)
      snprintf(esc, sizeof(esc), "\\x%02x", u[i]), k = 1;
    else if (k == 1)
      snprintf(esc, sizeof(esc), "^%c", cp == 0x7f ? '?' : (char)(cp + 0x40));
    else
      snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
    vbx__strbuf_puts(sb, esc);
    i += k;
  }
  if (run) vbx__strbuf_append(sb, s + n - run, run);
}

void vbx__term_puts(vbx__strbuf *sb, const char *s) {
  if (s != NULL) vbx__term_append(sb, s, strlen(s));
}
