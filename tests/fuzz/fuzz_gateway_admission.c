/*
 * tests/fuzz/fuzz_gateway_admission.c - libFuzzer target for the LLM
 * gateway's look at a just-accepted connection's waiting bytes
 * (vbx__gw_header_block_authorised, core/gateway/auth.c): the bytes
 * come from whatever connects, so they are untrusted. The input is used as
 * is and with the box's token spliced into an x-api-key and an
 * Authorization header; the answer is checked against a plain reference
 * parser written differently (split into lines, then compare).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/internal.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

/* The reference: lines up to the first empty line; every header line
 * "name: value" (value trimmed of spaces/tabs) is checked by name. */
static int reference(const char *buf, size_t len) {
  const char *end = NULL;
  for (size_t i = 0; i + 4 <= len; i++)
    if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
      end = buf + i + 2; /* keep the last header line's CRLF */
      break;
    }
  if (end == NULL) return 0;
  const char *line = NULL;
  for (const char *p = buf; p + 1 < end; p++)
    if (p[0] == '\r' && p[1] == '\n') {
      line = p + 2;
      break;
    }
  int ok = 0;
  while (line != NULL && line < end) {
    const char *eol = line;
    while (!(eol[0] == '\r' && eol[1] == '\n'))
      eol++;
    const char *colon = memchr(line, ':', (size_t)(eol - line));
    if (colon != NULL) {
      size_t nl = (size_t)(colon - line);
      const char *v = colon + 1, *ve = eol;
      while (v < ve && (*v == ' ' || *v == '\t'))
        v++;
      while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
      int bearer = 0;
      if (nl == 13 && strncasecmp(line, "authorization", 13) == 0 && ve - v > 7 &&
          strncasecmp(v, "Bearer ", 7) == 0) {
        v += 7;
        while (v < ve && *v == ' ')
          v++;
        bearer = 1;
      }
      if ((bearer || (nl == 9 && strncasecmp(line, "x-api-key", 9) == 0)) &&
          (size_t)(ve - v) == strlen(TOKEN) && memcmp(v, TOKEN, strlen(TOKEN)) == 0)
        ok = 1;
    }
    line = eol + 2;
  }
  return ok;
}

static void check(const vbx__gateway *gw, const char *buf, size_t len) {
  if (vbx__gw_header_block_authorised(gw, buf, len) != reference(buf, len)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static vbx__gateway gw;
  if (gw.token_len == 0) {
    memcpy(gw.token, TOKEN, strlen(TOKEN));
    gw.token_len = strlen(TOKEN);
  }
  if (size > VBX__GW_PEEK_MAX) size = VBX__GW_PEEK_MAX; /* what recv(MSG_PEEK) can give */
  /* Exactly the input, in a buffer of its own size (ASan sees overreads). */
  char *b = malloc(size ? size : 1);
  if (b == NULL) return 0;
  memcpy(b, data, size);
  check(&gw, b, size);
  free(b);
  /* The input split at its first byte's position, a header carrying the
   * token spliced in between. */
  static const char *const hdr[] = {"x-api-key: " TOKEN "\r\n",
                                    "Authorization: Bearer " TOKEN "\r\n",
                                    "X-API-KEY:\t" TOKEN " \r\n"};
  size_t cut = size ? data[0] % (size + 1) : 0;
  for (size_t h = 0; h < sizeof hdr / sizeof hdr[0]; h++) {
    size_t hl = strlen(hdr[h]), n = size + hl;
    char *s = malloc(n);
    if (s == NULL) return 0;
    memcpy(s, data, cut);
    memcpy(s + cut, hdr[h], hl);
    memcpy(s + cut + hl, data + cut, size - cut);
    check(&gw, s, n);
    free(s);
  }
  return 0;
}
