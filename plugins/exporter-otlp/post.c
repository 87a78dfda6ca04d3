/*
 * exporter-otlp/post.c - one export request with the retry policy: POST
 * the JSON body (gzip'd when configured) to the signal's URL; on HTTP
 * 429, 502, 503, 504 or a transport error wait (Retry-After in seconds,
 * else exponential backoff with jitter: 250 ms doubling to 5 s) and try
 * again, at most 5 attempts, never past the deadline in force (the
 * caller's, or a running flush's) and not once the exporter stops. Any
 * other status drops the request with one warning (status and the first
 * 200 bytes of the body); a transport error not worth retrying (a request
 * the host refuses, cancellation, out of memory) drops it too. A 2xx answer's
 * partialSuccess is counted. Retry-After as an HTTP date is not read
 * (backoff is used); in seconds it is capped at 60.
 *
 * Each attempt's connect and idle timeouts are timeout_ms, cut to what is
 * left before the deadline (the idle one a second shorter, as the host
 * checks idleness about once a second), so a collector that is down or
 * stalls cannot hold an attempt past it even without a vbx_call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"
#include "gzip.h"

#define ATTEMPTS 5
#define BACKOFF_START_MS 250u
#define BACKOFF_CAP_MS 5000u
#define RETRY_AFTER_CAP_MS 60000u
#define MAX_RESPONSE ((size_t)1 << 20)
#define BODY_SHOWN 200
#define IDLE_CHECK_MS 1000u /* how often the host's HTTP client checks idleness */

static const char *const nouns[OX_N_SIGNALS] = {"spans", "metric points", "log records"};
static const char *const noun1[OX_N_SIGNALS] = {"span", "metric point", "log record"};
static const char *const rejected_keys[OX_N_SIGNALS] = {"rejectedSpans", "rejectedDataPoints",
                                                        "rejectedLogRecords"};

/* The deadline in force for a request with its own `own` (0: none), with
 * e->mu held: the earlier of it and a running flush's; 1 (long past) once
 * the exporter stops. */
static uint64_t deadline_locked(const ox_exp *e, uint64_t own) {
  uint64_t d = own;
  if (e->flushing && (d == 0 || e->flush_deadline < d)) d = e->flush_deadline;
  return e->stop ? 1 : d;
}

static uint64_t deadline_in_force(ox_exp *e, uint64_t own) {
  pthread_mutex_lock(&e->mu);
  uint64_t d = deadline_locked(e, own);
  pthread_mutex_unlock(&e->mu);
  return d;
}

/* Wait until the monotonic time `until`. 0, or -1 when the deadline in
 * force comes first, the exporter stops or the call is cancelled. */
static int pause_until(ox_exp *e, uint64_t until, uint64_t own, vbx_call *call) {
  int rc = 0;
  pthread_mutex_lock(&e->mu);
  for (;;) {
    uint64_t d = deadline_locked(e, own);
    if ((d != 0 && until >= d) || (call && e->h->is_cancelled(call))) {
      rc = -1;
      break;
    }
    if (ox_now() >= until) break;
    ox_wait_until(&e->wake, &e->mu, until);
  }
  pthread_mutex_unlock(&e->mu);
  return rc;
}

/* Retry-After in whole seconds, as ms (capped); 0 when absent or a date. */
static uint64_t retry_after_ms(const char *v) {
  if (v == NULL || v[0] == '\0' || strspn(v, "0123456789") != strlen(v) || strlen(v) > 6) return 0;
  uint64_t ms = strtoull(v, NULL, 10) * 1000u;
  return ms > RETRY_AFTER_CAP_MS ? RETRY_AFTER_CAP_MS : ms;
}

static uint64_t backoff_ms(int attempt, uint64_t *rng) {
  uint64_t d = BACKOFF_START_MS << (attempt - 1);
  if (d > BACKOFF_CAP_MS) d = BACKOFF_CAP_MS;
  *rng ^= *rng << 13; /* xorshift64 */
  *rng ^= *rng >> 7;
  *rng ^= *rng << 17;
  return d / 2 + *rng % (d / 2 + 1);
}

/* The partialSuccess rejected count of a 2xx body (0 when none). */
static uint64_t rejected_count(ox_exp *e, int signal, const char *body, size_t len) {
  if (body == NULL || len == 0) return 0;
  json_t *j = json_loadb(body, len, 0, NULL);
  json_t *ps = json_object_get(j, "partialSuccess");
  json_t *v = json_object_get(ps, rejected_keys[signal]);
  uint64_t n = 0;
  if (json_is_integer(v) && json_integer_value(v) > 0) n = (uint64_t)json_integer_value(v);
  if (json_is_string(v)) n = strtoull(json_string_value(v), NULL, 10);
  const char *msg = json_string_value(json_object_get(ps, "errorMessage"));
  if (n > 0 || (msg && msg[0]))
    e->h->log(e->h->ctx, VBX_LOG_DEBUG, "otlp: the collector rejected %llu %s: %.200s",
              (unsigned long long)n, nouns[signal], msg ? msg : "");
  json_decref(j);
  return n;
}

/* One warning for a refused request (later ones with the same status at
 * debug level: the destroy summary counts them all). */
static void warn_refused(ox_exp *e, int signal, size_t records, const vbx_http_response *r) {
  char shown[BODY_SHOWN + 1];
  size_t n = r->body ? (r->body_len < BODY_SHOWN ? r->body_len : BODY_SHOWN) : 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)r->body[i];
    shown[i] = (c < ' ' || c >= 0x7F) ? ' ' : (char)c;
  }
  shown[n] = '\0';
  pthread_mutex_lock(&e->mu);
  int first = e->warned[signal] != r->status;
  e->warned[signal] = r->status;
  pthread_mutex_unlock(&e->mu);
  e->h->log(e->h->ctx, first ? VBX_LOG_WARN : VBX_LOG_DEBUG,
            "otlp: %s refused %zu %s with HTTP %ld; dropped: %s", e->target[signal].where, records,
            records == 1 ? noun1[signal] : nouns[signal], r->status, n ? shown : "(no body)");
}

static void response_free(const vbx_host_services *h, vbx_http_response *r) {
  h->free(r->body);
  h->free(r->retry_after);
  h->free(r->content_type);
  memset(r, 0, sizeof(*r));
}

int ox_post(ox_exp *e, int signal, json_t *doc, size_t records, uint64_t deadline, vbx_call *call,
            uint64_t *rejected) {
  const vbx_host_services *h = e->h;
  const ox_target *t = &e->target[signal];
  *rejected = 0;
  char *text = json_dumps(doc, JSON_COMPACT);
  unsigned char *gz = NULL;
  size_t len = text ? strlen(text) : 0;
  if (text == NULL || (e->cfg.gzip && ox_gzip(text, len, &gz, &len) != 0)) {
    free(text);
    return OX_R_NOMEM;
  }
  const char *body = gz ? (const char *)gz : text;
  uint64_t rng = ox_now() ^ (uint64_t)(uintptr_t)&rng;
  int reason = OX_R_FLUSH_TIMEOUT;
  for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
    uint64_t d = deadline_in_force(e, deadline), now = ox_now();
    if (d != 0 && now >= d) {
      if (attempt == 1) { /* never tried: lost to the clock, not to the collector */
        pthread_mutex_lock(&e->mu);
        reason = e->flushing || e->flushed ? OX_R_FLUSH_TIMEOUT : OX_R_NOT_FLUSHED;
        pthread_mutex_unlock(&e->mu);
      }
      break;
    }
    uint64_t t_ms = e->cfg.timeout_ms, idle_ms = t_ms;
    if (d != 0) {
      uint64_t left = (d - now) / 1000000u + 1;
      if (left < t_ms) t_ms = left;
      /* the host notices idleness about once a second: keep that second */
      uint64_t idle_left = left > 2 * IDLE_CHECK_MS ? left - IDLE_CHECK_MS : left / 2 + 1;
      idle_ms = idle_left < t_ms ? idle_left : t_ms;
    }
    vbx_http_request req = {.struct_size = sizeof(req),
                            .method = "POST",
                            .url = t->url,
                            .headers = (const char *const *)t->headers,
                            .body = body,
                            .body_len = len,
                            .connect_timeout_ms = (uint32_t)t_ms,
                            .idle_timeout_ms = (uint32_t)idle_ms,
                            .max_response_bytes = MAX_RESPONSE};
    vbx_http_response resp = {.struct_size = sizeof(resp)};
    int rc = h->http_request(h->ctx, &req, &resp, call);
    uint64_t wait_ms = 0;
    int retry = 1;
    if (rc == 0 && resp.status >= 200 && resp.status < 300) {
      *rejected = rejected_count(e, signal, resp.body, resp.body_len);
      reason = 0;
    } else if (rc == 0 && resp.status != 429 && resp.status != 502 && resp.status != 503 &&
               resp.status != 504) {
      warn_refused(e, signal, records, &resp);
      reason = OX_R_REJECTED;
    } else if (rc == 0) {
      reason = OX_R_UNAVAILABLE;
      wait_ms = retry_after_ms(resp.retry_after);
    } else {
      reason = rc == VBX_E_NOMEM ? OX_R_NOMEM : OX_R_UNREACHABLE;
      retry = rc == VBX_E_HTTP || rc == VBX_E_TIMEOUT || rc == VBX_E_IO || rc == VBX_E_AGAIN;
    }
    h->log(h->ctx, VBX_LOG_DEBUG, "otlp: POST %s attempt %d: %s %ld", t->where, attempt,
           rc == 0 ? "HTTP" : "transport error", rc == 0 ? resp.status : (long)rc);
    response_free(h, &resp);
    if (reason == 0 || reason == OX_R_REJECTED || !retry || attempt == ATTEMPTS) break;
    if (wait_ms == 0) wait_ms = backoff_ms(attempt, &rng);
    if (pause_until(e, ox_now() + wait_ms * 1000000u, deadline, call) != 0) break;
  }
  free(text);
  free(gz);
  return reason;
}
