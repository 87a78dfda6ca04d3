/*
 * tests/fuzz/fuzz_llm_ndjson.c - libFuzzer target for the NDJSON line
 * splitter of plugins/llm-common: whole vs chunked feeding must agree, and
 * no delivered line may exceed the bound or contain a newline.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"

#define MAX_LINE 256

typedef struct digest {
  uint64_t h;
  size_t n;
} digest;

static int on_line(void *user, const char *line, size_t len) {
  digest *d = user;
  if (len > MAX_LINE || memchr(line, 0x0a, len) || line[len] != 0 || len == 0) abort();
  d->n++;
  for (size_t i = 0; i < len; i++)
    d->h = (d->h ^ (unsigned char)line[i]) * 1099511628211ull;
  d->h = (d->h ^ 0xff) * 1099511628211ull;
  return 0;
}

static int split(const uint8_t *data, size_t size, size_t step, digest *d) {
  vbx_ndjson_splitter s;
  vbx_ndjson_init(&s, MAX_LINE, on_line, d);
  int rc = 0;
  for (size_t i = 0; i < size && !rc; i += step) {
    size_t n = size - i < step ? size - i : step;
    rc = vbx_ndjson_feed(&s, (const char *)data + i, n);
  }
  if (!rc) rc = vbx_ndjson_finish(&s);
  vbx_ndjson_free(&s);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  size_t step = (size_t)(data[0] % 11) + 1;
  digest whole = {1469598103934665603ull, 0}, chunked = {1469598103934665603ull, 0};
  int a = split(data + 1, size - 1, size, &whole);
  int b = split(data + 1, size - 1, step, &chunked);
  if (a != b || whole.h != chunked.h || whole.n != chunked.n) abort();
  return 0;
}
