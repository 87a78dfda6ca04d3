/*
 * tests/integration/otlp/otlp_recv.h - a validating OTLP/HTTP (JSON)
 * receiver on 127.0.0.1 for the exporter tests, in process (libmicrohttpd,
 * a thread per connection).
 *
 * Each request is checked, in this order, and rejected with the reason
 * recorded as a violation when it is wrong: POST (405), path /v1/traces,
 * /v1/metrics or /v1/logs (404), body at most max_body bytes before and
 * after decoding (413), Content-Type application/json (415),
 * Content-Encoding gzip or identity (415; a gzip body that does not
 * inflate: 400), then the document itself (otlp_check.h; 400). Chunked
 * bodies are accepted. Error answers carry a JSON google.rpc.Status
 * ({"code", "message"}).
 *
 * A valid request is then answered from the status sequence of its
 * signal: the Nth valid request to /v1/traces gets statuses[N] (each
 * signal counts on its own), 200 after the sequence; a 429 or 503 answer
 * carries Retry-After when retry_after is set. Only a 200 accepts the
 * body. With stall, every request is read and never answered (the
 * connection stays open until the receiver stops).
 *
 * With dir, what arrives is also written there as it arrives:
 *   NNNN-SIGNAL.json  each accepted body, decoded (NNNN: the request's
 *                     sequence number, from 0001)
 *   requests.jsonl    one line per request: seq, method, path, status,
 *                     content_type, encoding, bytes (as received),
 *                     headers (lower-case names), violation
 *   violations.txt    one line per rejected request: "NNNN METHOD PATH: why"
 *
 * Threads: the getters may be called from any thread while it runs.
 */
#ifndef VBX_TEST_OTLP_RECV_H
#define VBX_TEST_OTLP_RECV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "otlp_check.h"

#define OTLP_RECV_MAX_BODY_DEFAULT (16u << 20)

typedef struct otlp_recv_opts {
  uint16_t port;        /* 0: pick one (otlp_recv_port tells which) */
  const char *dir;      /* NULL: keep everything in memory only */
  const int *statuses;  /* each signal's answers to its valid requests */
  size_t n_statuses;    /* 0: always 200 */
  unsigned retry_after; /* seconds, with 429/503 answers; 0: no header */
  int stall;            /* read every request, never answer */
  size_t max_body;      /* 0: OTLP_RECV_MAX_BODY_DEFAULT */
} otlp_recv_opts;

typedef struct otlp_recv otlp_recv;

/* otlp_recv_start - listen on 127.0.0.1 and serve until otlp_recv_stop.
 * o may be NULL (defaults). Returns 0, or -1 with the reason printed to
 * stderr (the port taken, dir not writable, ...). */
int otlp_recv_start(const otlp_recv_opts *o, otlp_recv **out);
/* otlp_recv_port - the port it listens on. */
uint16_t otlp_recv_port(const otlp_recv *r);
/* otlp_recv_requests - every request finished so far, in arrival order,
 * as an array of {seq, method, path, signal, status, content_type,
 * encoding, bytes, headers, violation, body (every valid one: accepted
 * with 200 or answered from the status sequence), t (seconds,
 * CLOCK_MONOTONIC)}; a new reference (a deep copy). */
json_t *otlp_recv_requests(otlp_recv *r);
/* otlp_recv_bodies - the accepted (200) bodies of sig, in arrival order (a new
 * array; the bodies are deep copies). */
json_t *otlp_recv_bodies(otlp_recv *r, otlp_signal sig);
/* otlp_recv_violations - how many requests were rejected; the first
 * lines of violations.txt's text into buf (may be NULL). */
size_t otlp_recv_violations(otlp_recv *r, char *buf, size_t cap);
/* otlp_recv_pending - requests received and not answered (stalled ones
 * included). */
size_t otlp_recv_pending(otlp_recv *r);
/* otlp_recv_stop - stop serving (stalled connections are closed
 * unanswered), then free. NULL is a no-op. */
void otlp_recv_stop(otlp_recv *r);

/* otlp_inflate - gunzip in[0..n) into a malloc'd buffer of at most max
 * bytes (NUL-terminated, length in *out_len). Returns 0, -1 when it does
 * not inflate (why says so), -2 when it inflates past max. */
int otlp_inflate(const char *in, size_t n, size_t max, char **out, size_t *out_len, char *why,
                 size_t cap);

#endif
