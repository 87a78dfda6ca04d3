/*
 * otlp-common/otlp_str.c - JSON scalars the OTLP/JSON mapping asks for:
 * strings that are always valid UTF-8 (jansson refuses anything else),
 * 64-bit integers as decimal strings and ids as lower-case hex.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_int.h"
#include "util/utf8.h"

size_t vbx__otlp_utf8_cut(const char *s, size_t n, size_t max) {
  if (n <= max) return n;
  size_t cut = max;
  /* step back over continuation bytes to the start of the cut sequence */
  for (int i = 0; i < 3 && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80; i++)
    cut--;
  if (((unsigned char)s[cut] & 0xC0) == 0x80) cut = max; /* not UTF-8 anyway */
  return cut;
}

json_t *vbx__otlp_strn(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, bad = 0;
  uint32_t cp; /* vbx__utf8_decode gives 0 for bytes that are not one valid sequence */
  while (i < n) {
    size_t l = vbx__utf8_decode(u + i, n - i, &cp);
    if (l == 0) {
      bad++;
      l = 1;
    }
    i += l;
  }
  if (bad == 0) return json_stringn(s, n);
  /* each bad byte becomes U+FFFD (3 bytes) */
  if (n > (SIZE_MAX - 1) / 3) return NULL;
  char *buf = malloc(n + 2 * bad + 1);
  if (buf == NULL) return NULL;
  size_t o = 0;
  for (i = 0; i < n;) {
    size_t l = vbx__utf8_decode(u + i, n - i, &cp);
    if (l == 0) {
      memcpy(buf + o, "\xEF\xBF\xBD", 3);
      o += 3;
      i++;
    } else {
      memcpy(buf + o, s + i, l);
      o += l;
      i += l;
    }
  }
  json_t *j = json_stringn(buf, o);
  free(buf);
  return j;
}

json_t *vbx__otlp_str(const char *s) { return s ? vbx__otlp_strn(s, strlen(s)) : json_string(""); }

json_t *vbx__otlp_u64(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
  return json_string(buf);
}

void vbx__otlp_hex64(uint64_t v, char out[17]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; i--) {
    out[i] = digits[v & 0xF];
    v >>= 4;
  }
  out[16] = '\0';
}
