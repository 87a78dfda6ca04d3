/*
 * tests/fuzz/fuzz_llm_sse.c - libFuzzer target for the incremental SSE
 * parser of plugins/llm-common. The input is parsed twice, whole and cut
 * into chunks at positions taken from the input itself; both runs must
 * produce the same events and the same result (differential check), and
 * every dispatched event must respect the bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"

#define MAX_LINE 512
#define MAX_EVENT 1024

typedef struct digest {
  uint64_t h;
  size_t n;
} digest;

static void mix(digest *d, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    d->h = (d->h ^ b[i]) * 1099511628211ull;
}

static int on_event(void *user, const char *event, const char *data, size_t len, const char *id) {
  digest *d = user;
  if (len > MAX_EVENT || data[len] != 0 || strlen(event) >= VBX_SSE_NAME_MAX ||
      strlen(id) >= VBX_SSE_NAME_MAX)
    abort();
  d->n++;
  mix(d, event, strlen(event) + 1);
  mix(d, data, len + 1);
  mix(d, id, strlen(id) + 1);
  return 0;
}

static int parse(const uint8_t *data, size_t size, size_t step, digest *d) {
  vbx_sse_parser p;
  vbx_sse_init(&p, MAX_LINE, MAX_EVENT, on_event, d);
  int rc = 0;
  for (size_t i = 0; i < size && !rc; i += step) {
    size_t n = size - i < step ? size - i : step;
    rc = vbx_sse_feed(&p, (const char *)data + i, n);
  }
  if (!rc) rc = vbx_sse_finish(&p);
  vbx_sse_free(&p);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  size_t step = (size_t)(data[0] % 13) + 1;
  digest whole = {1469598103934665603ull, 0}, chunked = {1469598103934665603ull, 0};
  int a = parse(data + 1, size - 1, size, &whole);
  int b = parse(data + 1, size - 1, step, &chunked);
  if (a != b || whole.h != chunked.h || whole.n != chunked.n) abort();
  return 0;
}
