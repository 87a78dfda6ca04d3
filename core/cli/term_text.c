/*
 * term_text.c - neutralising terminal control sequences (see term_text.h).
 * Printable ASCII, by far the most common text, is found sixteen bytes at
 * a time (SSE2 where the compiler has it, else two 64-bit words) and copied
 * in runs; only the other bytes are decoded one character at a time.
 */
#include "term_text.h"

#include "util/utf8.h"

#include <stdint.h>
#include <string.h>

/* Code points a terminal acts on instead of showing: C1 controls and the
 * bidirectional embedding, override and isolate characters. */
static int is_control(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

#if defined(__SSE2__)
#include <emmintrin.h>

/* Bit i set when byte i of the 16 at u is printable ASCII. */
static unsigned plain_mask(const unsigned char *u) {
  /* b - 0x20 (wrapping) <= 0x5e exactly for 0x20..0x7e */
  const __m128i x = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)u), _mm_set1_epi8(0x20));
  const __m128i span = _mm_set1_epi8(0x5e);
  return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(x, span), span));
}

size_t vbx__term_plain(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    unsigned m = plain_mask(u + i);
    if (m != 0xffff) return i + (size_t)__builtin_ctz(~m);
  }
  if (i < n && n >= 16) { /* the last 16 bytes again: those before i are plain */
    unsigned m = plain_mask(u + n - 16);
    return m == 0xffff ? n : n - 16 + (size_t)__builtin_ctz(~m);
  }
  while (i < n && u[i] >= 0x20 && u[i] < 0x7f)
    i++;
  return i;
}
#else
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Non-zero when one of the eight bytes of x is not printable ASCII: below
 * 0x20 (the borrow of x - 0x20.. reaches a byte's high bit) or above 0x7e
 * (x + 0x01.. sets it, or it was set). Exact as to whether one is. */
static uint64_t word_special(uint64_t x) {
  return (((x - ONES * 0x20) & ~x) | (x + ONES) | x) & HIGHS;
}

size_t vbx__term_plain(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint64_t a, b;
    memcpy(&a, u + i, 8);
    memcpy(&b, u + i + 8, 8);
    if (word_special(a) | word_special(b)) break;
  }
  while (i < n && u[i] >= 0x20 && u[i] < 0x7f)
    i++;
  return i;
}
#endif

static const char hex[] = "0123456789abcdef";

/* The character at u[0, n) (n > 0), which is not printable ASCII: sets *k
 * to the bytes it spans and returns the length of its escape, written to
 * esc, or 0 when its bytes are shown as they are (a tab, UTF-8 other than
 * the controls). */
static size_t classify(const unsigned char *u, size_t n, size_t *k, char esc[8]) {
  uint32_t cp = 0;
  size_t len = vbx__utf8_decode(u, n, &cp);
  *k = len ? len : 1;
  if ((len == 1 && cp == '\t') || (len > 1 && !is_control(cp))) return 0;
  if (len == 0) { /* not UTF-8: \xNN */
    esc[0] = '\\', esc[1] = 'x', esc[2] = hex[u[0] >> 4], esc[3] = hex[u[0] & 15];
    return 4;
  }
  if (len == 1) { /* C0 or DEL: ^X */
    esc[0] = '^', esc[1] = cp == 0x7f ? '?' : (char)(cp + 0x40);
    return 2;
  }
  esc[0] = '\\', esc[1] = 'u'; /* the controls are all below U+10000: \uNNNN */
  for (int d = 0; d < 4; d++)
    esc[2 + d] = hex[(cp >> (12 - 4 * d)) & 15];
  return 6;
}

void vbx__term_append(vbx__strbuf *sb, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, run = 0; /* run: bytes shown as they are, not yet appended */
  while (i < n) {
    size_t r = vbx__term_plain(s + i, n - i);
    i += r, run += r;
    if (i == n) break;
    size_t k;
    char esc[8];
    size_t e = classify(u + i, n - i, &k, esc);
    if (e == 0) {
      i += k, run += k;
      continue;
    }
    if (run) vbx__strbuf_append(sb, s + i - run, run);
    run = 0;
    vbx__strbuf_append(sb, esc, e);
    i += k;
  }
  if (run) vbx__strbuf_append(sb, s + n - run, run);
}

void vbx__term_puts(vbx__strbuf *sb, const char *s) {
  if (s != NULL) vbx__term_append(sb, s, strlen(s));
}

size_t vbx__term_write(char *dst, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, o = 0;
  while (i < n) {
    size_t r = vbx__term_plain(s + i, n - i);
    memcpy(dst + o, s + i, r);
    i += r, o += r;
    if (i == n) break;
    size_t k;
    char esc[8];
    size_t e = classify(u + i, n - i, &k, esc);
    if (e == 0)
      memcpy(dst + o, s + i, k), o += k;
    else
      memcpy(dst + o, esc, e), o += e;
    i += k;
  }
  return o;
}
