/*
 * test_otlp_traceparent - trace context in and out of a run, seen at the
 * receiver:
 *  - the CLI's TRACEPARENT environment variable: the run's root span is a
 *    child of its span, every span is in its trace, the report's trace_id
 *    is it; a malformed TRACEPARENT is refused before anything runs;
 *  - (local) a command in a box prints $TRACEPARENT: its trace is the
 *    run's and its span is the span of the box it ran in.
 *
 *   test_otlp_traceparent mock|local
 * Skips (77): local without root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ot.h"

#define IN_TRACE "4bf92f3577b34da6a3ce929d0e0e4736"
#define IN_SPAN "00f067aa0ba902b7"

static const char *backend = "mock";

typedef struct fx {
  char dir[64];
  otlp_recv *recv;
  ot_run run;
  json_t *spans;
} fx;

static void run(fx *f, const char *traceparent) {
  ot_require_exporter();
  ot_tmpdir(f->dir, "tp");
  assert_int_equal(otlp_recv_start(NULL, &f->recv), 0);
  ot_pipeline(f->dir, backend, otlp_recv_port(f->recv), NULL);
  char env[128];
  snprintf(env, sizeof env, "TRACEPARENT=%s", traceparent);
  const char *const envs[] = {env, NULL};
  ot_voidbox(f->dir, "spec.yaml", envs, NULL, 90, &f->run);
  f->spans = ot_spans(f->recv);
}

static void fx_free(fx *f) {
  otlp_recv_stop(f->recv);
  json_decref(f->spans);
  ot_run_free(&f->run);
  ot_rmtree(f->dir);
}

static json_t *report_box(const json_t *report, const char *name) {
  size_t i, j;
  json_t *st, *b;
  json_array_foreach(json_object_get(report, "stages"), i, st) json_array_foreach(
      json_object_get(st, "boxes"), j, b) if (strcmp(ot_str(b, "name"), name) == 0) return b;
  return NULL;
}

static void test_incoming_traceparent(void **state) {
  (void)state;
  fx f = {0};
  run(&f, "00-" IN_TRACE "-" IN_SPAN "-01");
  if (f.run.status != 0) ot_dump(&f.run);
  assert_int_equal(f.run.status, 0);
  assert_int_equal(otlp_recv_violations(f.recv, NULL, 0), 0);
  assert_string_equal(ot_str(f.run.report, "trace_id"), IN_TRACE);
  json_t *root = ot_span_named(f.spans, "run otlp_pipe");
  assert_non_null(root);
  assert_string_equal(ot_str(root, "parentSpanId"), IN_SPAN);
  assert_string_equal(ot_str(root, "traceId"), IN_TRACE);
  size_t i, n_parentless = 0;
  json_t *s;
  json_array_foreach(f.spans, i, s) {
    assert_string_equal(ot_str(s, "traceId"), IN_TRACE);
    assert_string_not_equal(ot_str(s, "spanId"), IN_SPAN);
    n_parentless += *ot_str(s, "parentSpanId") == '\0';
  }
  assert_int_equal(n_parentless, 0);
  if (strcmp(backend, "local") == 0) {
    /* the box's command saw TRACEPARENT=00-<run trace>-<its box span>-01 */
    json_t *calls = json_object_get(report_box(f.run.report, "right"), "tool_calls");
    const char *out = ot_str(json_array_get(calls, 1), "output");
    char trace[33], span[17], flags[3];
    if (sscanf(out, "tp=00-%32[0-9a-f]-%16[0-9a-f]-%2[0-9a-f]", trace, span, flags) != 3)
      fail_msg("the box's command printed '%s', not tp=<a traceparent>", out);
    assert_string_equal(trace, IN_TRACE);
    json_t *box = ot_span_named(f.spans, "box right");
    assert_non_null(box);
    if (strcmp(span, ot_str(box, "spanId")) != 0)
      fail_msg("the box's TRACEPARENT names span %s, the span of box right is %s", span,
               ot_str(box, "spanId"));
  }
  fx_free(&f);
}

/* Without TRACEPARENT a run starts a trace of its own (two runs, two). */
static void test_new_trace_without(void **state) {
  (void)state;
  char ids[2][33];
  for (int k = 0; k < 2; k++) {
    fx f = {0};
    ot_require_exporter();
    ot_tmpdir(f.dir, "tp");
    assert_int_equal(otlp_recv_start(NULL, &f.recv), 0);
    ot_pipeline(f.dir, backend, otlp_recv_port(f.recv), NULL);
    ot_voidbox(f.dir, "spec.yaml", NULL, NULL, 90, &f.run);
    assert_int_equal(f.run.status, 0);
    f.spans = ot_spans(f.recv);
    json_t *root = ot_span_named(f.spans, "run otlp_pipe");
    assert_non_null(root);
    assert_string_equal(ot_str(root, "parentSpanId"), "");
    snprintf(ids[k], sizeof ids[k], "%s", ot_str(root, "traceId"));
    assert_string_equal(ids[k], ot_str(f.run.report, "trace_id"));
    fx_free(&f);
  }
  assert_string_not_equal(ids[0], ids[1]);
}

/* A malformed TRACEPARENT is an error before anything runs. */
static void test_malformed_refused(void **state) {
  (void)state;
  static const char *const bad[] = {"00-" IN_TRACE "-" IN_SPAN,
                                    "00-" IN_TRACE "-0000000000000000-01",
                                    "zz-" IN_TRACE "-" IN_SPAN "-01"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    fx f = {0};
    run(&f, bad[i]);
    if (f.run.status == 0 || strcasestr(f.run.err, "traceparent") == NULL) {
      ot_dump(&f.run);
      fail_msg("TRACEPARENT=%s: exit %d, want a failure naming TRACEPARENT", bad[i], f.run.status);
    }
    assert_int_equal(json_array_size(f.spans), 0);
    fx_free(&f);
  }
}

int main(int argc, char **argv) {
  backend = argc > 1 ? argv[1] : "mock";
  if (strcmp(backend, "mock") != 0 && strcmp(backend, "local") != 0) {
    fprintf(stderr, "usage: test_otlp_traceparent mock|local\n");
    return 2;
  }
  if (strcmp(backend, "local") == 0 && geteuid() != 0)
    ot_skip("sandbox-local needs root (namespaces, pivot_root); uid %u", geteuid());
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_incoming_traceparent),
      cmocka_unit_test(test_new_trace_without),
      cmocka_unit_test(test_malformed_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
