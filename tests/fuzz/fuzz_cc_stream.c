/*
 * tests/fuzz/fuzz_cc_stream.c - libFuzzer target for claude-code's
 * stream-json reader (core/src/engine/cc_stream.c), which reads bytes from
 * inside a sandbox: the first byte picks a chunk size, fed whole and
 * chunked the summaries must agree, kept strings stay within their bounds,
 * and nothing leaks or overruns (ASan/UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cc_stream.h"

static void check(const vbx__cc_summary *s) {
  if (s->result && strlen(s->result) > VBX__CC_TEXT_MAX) abort();
  if (s->last_text && strlen(s->last_text) > VBX__CC_TEXT_MAX) abort();
  if (strlen(s->bad_head) > VBX__CC_BAD_HEAD) abort();
}

static int same(const char *a, const char *b) {
  return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t step = (size_t)(data[0] % 17) + 1;
  const char *text = (const char *)data + 1;
  size_t n = size - 1;
  vbx__cc_stream a, b;
  vbx__cc_stream_init(&a, NULL);
  vbx__cc_stream_init(&b, NULL);
  int ra = vbx__cc_stream_feed(&a, text, n);
  if (ra == 0) ra = vbx__cc_stream_finish(&a);
  int rb = 0;
  for (size_t i = 0; i < n && rb == 0; i += step)
    rb = vbx__cc_stream_feed(&b, text + i, i + step <= n ? step : n - i);
  if (rb == 0) rb = vbx__cc_stream_finish(&b);
  check(&a.sum);
  check(&b.sum);
  if (ra != rb || a.sum.turns != b.sum.turns || a.sum.input_tokens != b.sum.input_tokens ||
      a.sum.is_error != b.sum.is_error || a.sum.bad_lines != b.sum.bad_lines ||
      !same(a.sum.result, b.sum.result) || !same(a.sum.model, b.sum.model))
    abort();
  vbx__cc_stream_clear(&a);
  vbx__cc_stream_clear(&b);
  return 0;
}
