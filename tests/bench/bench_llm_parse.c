/*
 * tests/bench/bench_llm_parse.c - throughput of the llm-common stream
 * parsers (plugins/llm-common: vbx_sse_*, vbx_ndjson_*) over a large
 * synthetic stream of realistic provider events, fed in realistic chunk
 * sizes (1460 bytes: one TCP segment; 16384: libcurl's default buffer).
 *
 * Prints MB/s, events/s and ns/event for Anthropic SSE, OpenAI SSE and
 * Ollama NDJSON, plus ratios: against a memchr line scan of the same bytes
 * (the floor any line parser pays) and between chunk sizes. Size with
 * VBX_BENCH_MB (default 64 MiB per stream). Not a ctest test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ndjson.h"
#include "sse.h"

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *words[] = {"the ",   "model ",          "streams ",    "tokens, ",
                              "one ",   "delta ",          "at ",         "a ",
                              "time; ", "\\\"quoted\\\" ", "caf\\u00e9 ", "x = 1\\n"};

/* A text piece of 1..6 words, JSON-escaped. */
static size_t piece(char *out, unsigned *seed) {
  size_t n = 0;
  unsigned k = 1 + (*seed = *seed * 1103515245u + 12345u) % 6;
  for (unsigned i = 0; i < k; i++) {
    const char *w = words[(*seed = *seed * 1103515245u + 12345u) % 12];
    size_t l = strlen(w);
    memcpy(out + n, w, l);
    n += l;
  }
  out[n] = 0;
  return n;
}

typedef enum { ANTHROPIC, OPENAI, OLLAMA } kind;

static char *make_stream(kind k, size_t target, size_t *len, size_t *events) {
  char *buf = malloc(target + 4096);
  size_t n = 0, ev = 0;
  unsigned seed = 42;
  char p[128];
  if (!buf) return NULL;
  while (n < target) {
    piece(p, &seed);
    int w;
    if (k == ANTHROPIC)
      w = sprintf(buf + n,
                  "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                  "\"delta\":{\"type\":\"text_delta\",\"text\":\"%s\"}}\n\n",
                  p);
    else if (k == OPENAI)
      w = sprintf(
          buf + n,
          "data: {\"id\":\"chatcmpl-9x8y7z\",\"object\":\"chat.completion.chunk\",\"created\":"
          "1736000000,\"model\":\"gpt-4o-2024-08-06\",\"system_fingerprint\":\"fp_abc\","
          "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"logprobs\":null,"
          "\"finish_reason\":null}]}\n\n",
          p);
    else
      w = sprintf(
          buf + n,
          "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00.000000Z\",\"message\":"
          "{\"role\":\"assistant\",\"content\":\"%s\"},\"done\":false}\n",
          p);
    n += (size_t)w;
    ev++;
  }
  *len = n;
  *events = ev;
  return buf;
}

static size_t seen;
static int on_event(void *u, const char *e, const char *d, size_t l, const char *id) {
  (void)u, (void)e, (void)d, (void)id;
  seen += l;
  return 0;
}
static int on_line(void *u, const char *line, size_t l) {
  (void)u, (void)line;
  seen += l;
  return 0;
}

/* Seconds to parse buf in `chunk`-byte pieces; checks the event count. */
static double run(kind k, const char *buf, size_t len, size_t chunk, size_t want) {
  uint64_t t0 = now_ns();
  size_t got;
  if (k == OLLAMA) {
    vbx_ndjson_splitter s;
    vbx_ndjson_init(&s, 1 << 20, on_line, NULL);
    for (size_t o = 0; o < len; o += chunk)
      vbx_ndjson_feed(&s, buf + o, len - o < chunk ? len - o : chunk);
    vbx_ndjson_finish(&s);
    got = s.lines;
    vbx_ndjson_free(&s);
  } else {
    vbx_sse_parser p;
    vbx_sse_init(&p, 1 << 20, 1 << 20, on_event, NULL);
    for (size_t o = 0; o < len; o += chunk)
      vbx_sse_feed(&p, buf + o, len - o < chunk ? len - o : chunk);
    vbx_sse_finish(&p);
    got = p.events;
    vbx_sse_free(&p);
  }
  double s = (double)(now_ns() - t0) / 1e9;
  if (got != want) fprintf(stderr, "bench_llm_parse: expected %zu events, parsed %zu\n", want, got);
  return s;
}

/* The floor: find every newline with memchr, per chunk. */
static double scan(const char *buf, size_t len, size_t chunk) {
  uint64_t t0 = now_ns();
  size_t lines = 0;
  for (size_t o = 0; o < len; o += chunk) {
    const char *p = buf + o, *e = buf + (len - o < chunk ? len : o + chunk);
    while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
      lines++;
      p++;
    }
  }
  seen += lines;
  return (double)(now_ns() - t0) / 1e9;
}

int main(void) {
  const char *env = getenv("VBX_BENCH_MB");
  size_t mb = env ? strtoul(env, NULL, 10) : 64;
  if (mb == 0 || mb > 4096) mb = 64;
  static const char *names[] = {"anthropic SSE", "openai SSE", "ollama NDJSON"};
  static const size_t chunks[] = {1460, 16384};
  printf("bench_llm_parse: %zu MiB per stream, best of 3 runs\n", mb);
  printf("%-14s %6s %10s %12s %10s %10s\n", "stream", "chunk", "MB/s", "events/s", "ns/event",
         "vs memchr");
  for (int k = 0; k < 3; k++) {
    size_t len, events;
    char *buf = make_stream((kind)k, mb << 20, &len, &events);
    if (!buf) return 1;
    double mbs[2];
    for (int c = 0; c < 2; c++) {
      double best = 1e9, floor = 1e9;
      for (int r = 0; r < 3; r++) {
        double t = run((kind)k, buf, len, chunks[c], events);
        double f = scan(buf, len, chunks[c]);
        if (t < best) best = t;
        if (f < floor) floor = f;
      }
      mbs[c] = (double)len / 1e6 / best;
      printf("%-14s %6zu %10.1f %12.0f %10.1f %9.1fx\n", names[k], chunks[c], mbs[c],
             (double)events / best, best * 1e9 / (double)events, best / floor);
    }
    printf("%-14s  ratio 16384/1460 chunk throughput: %.2f; avg event %.0f bytes\n", names[k],
           mbs[1] / mbs[0], (double)len / (double)events);
    free(buf);
  }
  return seen == 0;
}
