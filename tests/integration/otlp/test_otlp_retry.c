/*
 * test_otlp_retry - a collector that answers each signal's first two
 * requests 503 with Retry-After: 1, then 200: the exporter retries the
 * same batch after waiting as told, and everything arrives exactly once:
 * the span tree is whole with no span twice, no log record twice, the
 * cumulative counters not doubled, nothing reported lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ot.h"

static const char *const DEBUG_LOGS[] = {"--log-level", "debug", NULL};

/* The requests of one signal, in order. */
static json_t *requests_of(const json_t *reqs, const char *signal) {
  json_t *out = json_array();
  size_t i;
  json_t *q;
  json_array_foreach(reqs, i, q) if (strcmp(ot_str(q, "signal"), signal) == 0)
      json_array_append(out, q);
  return out;
}

static void test_retries_deliver_once(void **state) {
  (void)state;
  ot_require_exporter();
  char dir[64];
  ot_tmpdir(dir, "retry");
  static const int seq[] = {503, 503, 200};
  otlp_recv_opts o = {.statuses = seq, .n_statuses = 3, .retry_after = 1};
  otlp_recv *r;
  assert_int_equal(otlp_recv_start(&o, &r), 0);
  /* three signals retried twice 1 s apart by one sender: ~6 s, within
   * the flush bound (and under the host's 10 s hang limit) */
  ot_pipeline(dir, "mock", otlp_recv_port(r), "      flush_timeout_ms: 9000\n");
  ot_run run;
  ot_voidbox(dir, "spec.yaml", NULL, DEBUG_LOGS, 90, &run);
  if (run.status != 0) ot_dump(&run);
  assert_int_equal(run.status, 0);
  assert_int_equal(otlp_recv_violations(r, NULL, 0), 0);
  json_t *reqs = otlp_recv_requests(r);
  static const char *const signals[] = {"traces", "metrics", "logs"};
  for (size_t s = 0; s < 3; s++) {
    json_t *q = requests_of(reqs, signals[s]);
    if (json_array_size(q) < 3) {
      ot_dump(&run);
      fail_msg("%zu %s requests, want 503, 503, 200 at least", json_array_size(q), signals[s]);
    }
    for (int k = 0; k < 3; k++) {
      json_t *e = json_array_get(q, k);
      assert_int_equal(json_integer_value(json_object_get(e, "status")), seq[k]);
      if (k == 0) continue;
      /* the same batch again, after the Retry-After second */
      json_t *prev = json_array_get(q, k - 1);
      double gap =
          json_real_value(json_object_get(e, "t")) - json_real_value(json_object_get(prev, "t"));
      if (gap < 0.95)
        fail_msg("%s retry %d came %.3f s after the 503 with Retry-After: 1", signals[s], k, gap);
      if (s != 1 && !json_equal(json_object_get(e, "body"), json_object_get(prev, "body")))
        fail_msg("%s retry %d is not the batch that was refused", signals[s], k);
    }
    json_decref(q);
  }
  json_decref(reqs);
  /* exactly once: no span id twice, the tree whole */
  json_t *spans = ot_spans(r);
  json_t *seen = json_object();
  size_t i, roots = 0;
  json_t *sp;
  json_array_foreach(spans, i, sp) {
    const char *id = ot_str(sp, "spanId");
    if (json_object_get(seen, id)) fail_msg("span %s ('%s') arrived twice", id, ot_str(sp, "name"));
    json_object_set_new(seen, id, json_true());
  }
  json_array_foreach(spans, i, sp) {
    const char *parent = ot_str(sp, "parentSpanId");
    if (*parent == '\0')
      roots++;
    else if (json_object_get(seen, parent) == NULL)
      fail_msg("span '%s': its parent %s never arrived", ot_str(sp, "name"), parent);
  }
  assert_int_equal(roots, 1);
  size_t chats = 0;
  json_array_foreach(spans, i, sp) chats += strncmp(ot_str(sp, "name"), "chat", 4) == 0;
  assert_int_equal(chats, 3 + 2 + 2);
  json_decref(seen);
  json_decref(spans);
  /* no log record twice */
  json_t *logs = ot_logs(r);
  assert_true(json_array_size(logs) > 0);
  json_t *keys = json_object();
  json_array_foreach(logs, i, sp) {
    char key[2200];
    snprintf(key, sizeof key, "%s/%s/%s", ot_str(sp, "timeUnixNano"), ot_str(sp, "spanId"),
             ot_json(json_object_get(sp, "body")));
    if (json_object_get(keys, key)) fail_msg("log record %s arrived twice", key);
    json_object_set_new(keys, key, json_true());
  }
  json_decref(keys);
  json_decref(logs);
  /* cumulative counters count each call once */
  json_t *metrics = ot_metrics(r);
  json_t *pts = json_object_get(
      json_object_get(json_object_get(metrics, "voidbox.tool.calls"), "sum"), "dataPoints");
  long long calls = 0;
  json_array_foreach(pts, i, sp) calls +=
      strtoll(ot_str(sp, "asInt"), NULL, 10) +
      (long long)json_number_value(json_object_get(sp, "asDouble"));
  assert_int_equal(calls, 7);
  json_decref(metrics);
  /* nothing lost, nothing said lost */
  assert_int_equal(json_integer_value(json_object_get(run.report, "telemetry_dropped")), 0);
  if (strstr(run.err, "not delivered")) {
    ot_dump(&run);
    fail_msg("a loss was reported although every batch got through");
  }
  ot_run_free(&run);
  otlp_recv_stop(r);
  ot_rmtree(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_retries_deliver_once)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
