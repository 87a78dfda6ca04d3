/*
 * test_observe.c - plugin/observe.h and the stderr log sink: a hub
 * delivers until closed and outlives spans that still refer to it; scopes
 * nest per thread; plugin spans without a parent join the current span;
 * log lines carry the box ([box:NAME] in text, ids in JSON) and reach the
 * hub as log records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/log.h"
#include "plugin/observe.h"

typedef struct sink {
  int spans, metrics, logs;
  size_t metric_pairs, metric_longest, metric_name_len;
  char last_span[128], last_log[256], last_box[64];
  uint64_t last_parent, last_log_span;
} sink;

static void on_span(void *u, const vbx_span_data *s) {
  sink *k = u;
  k->spans++;
  snprintf(k->last_span, sizeof(k->last_span), "%s", s->name);
  k->last_parent = s->parent_span_id;
  snprintf(k->last_box, sizeof(k->last_box), "%s", s->box ? s->box : "");
}
static void on_metric(void *u, const vbx_metric_data *m) {
  sink *k = u;
  k->metrics++;
  k->metric_pairs = k->metric_longest = 0;
  for (size_t i = 0; m->attrs && m->attrs[i]; i += 2) {
    k->metric_pairs++;
    size_t n = strlen(m->attrs[i + 1]);
    if (n > k->metric_longest) k->metric_longest = n;
  }
  k->metric_name_len = strlen(m->name);
}
static void on_log(void *u, const vbx_log_data *r) {
  sink *k = u;
  k->logs++;
  snprintf(k->last_log, sizeof(k->last_log), "%s", r->body);
  k->last_log_span = r->span_id;
}
static const vbx__tel_ops ops = {on_span, on_metric, on_log};

static void test_hub_and_scope(void **state) {
  (void)state;
  sink k;
  memset(&k, 0, sizeof(k));
  vbx__tel_hub *hub = vbx__tel_hub_new(&ops, &k);
  vbx_span *root = NULL;
  assert_int_equal(vbx__span_root(hub, "run p", NULL, &root), 0);
  /* no scope: a runtime span needs an explicit parent */
  assert_null(vbx__span_start("orphan", NULL, VBX_SPAN_INTERNAL, NULL));
  vbx__obs_scope outer, inner;
  vbx__obs_enter(hub, root, "b1", &outer);
  vbx_span *child = vbx__span_start("child", NULL, VBX_SPAN_INTERNAL, NULL);
  assert_non_null(child);
  vbx__obs_enter(NULL, child, NULL, &inner);
  assert_ptr_equal(vbx__obs_current().hub, hub); /* inherited */
  assert_string_equal(vbx__obs_current().box, "b1");
  vbx_metric_data m = {.struct_size = sizeof(m), .name = "x", .kind = VBX_METRIC_GAUGE, .value = 1};
  vbx__obs_metric(&m);
  m.value = 0.0 / 0.0; /* NaN is refused */
  vbx__obs_metric(&m);
  assert_int_equal(k.metrics, 1);
  /* what a plugin hands over is bounded before anything copies it */
  static char big[100000];
  memset(big, 'v', sizeof(big) - 1);
  const char *many[402];
  for (size_t i = 0; i < 400; i += 2) {
    many[i] = "k";
    many[i + 1] = big;
  }
  many[400] = many[401] = NULL;
  vbx_metric_data huge = {.struct_size = sizeof(huge),
                          .name = big,
                          .kind = VBX_METRIC_COUNTER,
                          .value = 1,
                          .attrs = many};
  vbx__obs_metric(&huge);
  assert_int_equal(k.metrics, 2);
  assert_int_equal(k.metric_pairs, 64);
  assert_int_equal(k.metric_longest, 4096);
  assert_int_equal(k.metric_name_len, 256);
  huge.struct_size = 8; /* too short to hold the kind: refused */
  vbx__obs_metric(&huge);
  assert_int_equal(k.metrics, 2);
  vbx__obs_leave(&inner);
  assert_ptr_equal(vbx__obs_current().span, root);
  uint64_t hi, lo, child_id;
  vbx__span_ids(child, &hi, &lo, &child_id);
  vbx__span_end(child, 0, NULL);
  assert_int_equal(k.spans, 1);
  assert_string_equal(k.last_span, "child");
  assert_string_equal(k.last_box, "b1");
  vbx__obs_leave(&outer);
  assert_null(vbx__obs_current().hub);
  /* a span still open when the hub closes is dropped, not a crash */
  vbx_span *late = vbx__span_start("late", root, VBX_SPAN_INTERNAL, NULL);
  vbx__span_end(root, 0, NULL);
  assert_int_equal(k.spans, 2);
  vbx__tel_hub_close(hub);
  vbx__span_end(late, 0, NULL);
  assert_int_equal(k.spans, 2);
}

static void test_traceparent(void **state) {
  (void)state;
  sink k;
  memset(&k, 0, sizeof(k));
  vbx__tel_hub *hub = vbx__tel_hub_new(&ops, &k);
  static const char *bad[] = {
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",     /* short */
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  /* zero trace */
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  /* zero span */
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  /* version ff */
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", /* v00 longer */
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",  /* not hex */
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", /* later version, no dash */
  };
  vbx_span *s = NULL;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(vbx__span_root(hub, "r", bad[i], &s), VBX_E_INVAL);
    assert_null(s);
  }
  /* a later version keeps the first four fields */
  assert_int_equal(
      vbx__span_root(hub, "r", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", &s),
      0);
  char tp[56];
  assert_int_equal(vbx__span_traceparent(s, tp), 0);
  assert_int_equal(strncmp(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36), 0);
  assert_int_equal(strlen(tp), 55);
  assert_string_not_equal(tp + 36, "00f067aa0ba902b7-01"); /* our own span id */
  vbx__span_end(s, 0, NULL);
  assert_true(k.last_parent == 0x00f067aa0ba902b7ull);
  assert_int_equal(vbx__span_traceparent(NULL, tp), VBX_E_NOTFOUND);
  assert_string_equal(tp, "");
  vbx__tel_hub_close(hub);
}

/* Run fn with stderr going to a file; its text into buf. */
static void capture_stderr(void (*fn)(void *), void *arg, char *buf, size_t cap) {
  fflush(stderr);
  FILE *tmp = tmpfile();
  assert_non_null(tmp);
  int saved = dup(2);
  dup2(fileno(tmp), 2);
  fn(arg);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  rewind(tmp);
  size_t n = fread(buf, 1, cap - 1, tmp);
  buf[n] = '\0';
  fclose(tmp);
}

static void log_two(void *arg) {
  const vbx__logger *log = arg;
  vbx__log_emit(log, VBX_LOG_WARN, "sandbox-x", "disk \"%s\" at %d%%", "/", 91);
  vbx__log_emit(log, VBX_LOG_DEBUG, "sandbox-x", "filtered");
}

static void test_log_sinks(void **state) {
  (void)state;
  sink k;
  memset(&k, 0, sizeof(k));
  vbx__tel_hub *hub = vbx__tel_hub_new(&ops, &k);
  vbx_span *root = NULL;
  assert_int_equal(
      vbx__span_root(hub, "run", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &root),
      0);
  vbx__obs_scope saved;
  vbx__obs_enter(hub, root, "alpha", &saved);
  char out[2048];
  vbx__logger text = {VBX_LOG_INFO, NULL, NULL, VBX_LOG_FORMAT_TEXT};
  capture_stderr(log_two, &text, out, sizeof(out));
  assert_string_equal(out, "[box:alpha] sandbox-x: warn: disk \"/\" at 91%\n");
  assert_int_equal(k.logs, 1);
  assert_string_equal(k.last_log, "disk \"/\" at 91%");
  uint64_t hi, lo, id;
  vbx__span_ids(root, &hi, &lo, &id);
  assert_true(k.last_log_span == id);

  vbx__logger js = {VBX_LOG_INFO, NULL, NULL, VBX_LOG_FORMAT_JSON};
  capture_stderr(log_two, &js, out, sizeof(out));
  json_error_t je;
  json_t *o = json_loads(out, 0, &je);
  if (o == NULL) fail_msg("not JSON: %s (%s)", out, je.text);
  assert_string_equal(json_string_value(json_object_get(o, "level")), "warn");
  assert_string_equal(json_string_value(json_object_get(o, "origin")), "sandbox-x");
  assert_string_equal(json_string_value(json_object_get(o, "box")), "alpha");
  assert_string_equal(json_string_value(json_object_get(o, "trace_id")),
                      "4bf92f3577b34da6a3ce929d0e0e4736");
  char want[17];
  snprintf(want, sizeof(want), "%016llx", (unsigned long long)id);
  assert_string_equal(json_string_value(json_object_get(o, "span_id")), want);
  assert_string_equal(json_string_value(json_object_get(o, "message")), "disk \"/\" at 91%");
  const char *when = json_string_value(json_object_get(o, "time"));
  assert_non_null(when);
  assert_int_equal(strlen(when), 30); /* 2026-12-07T12:00:00.123456789Z */
  assert_int_equal(when[29], 'Z');
  json_decref(o);
  assert_int_equal(k.logs, 2);
  vbx__obs_leave(&saved);
  /* outside any scope: no prefix, no ids, nothing exported */
  capture_stderr(log_two, &text, out, sizeof(out));
  assert_string_equal(out, "sandbox-x: warn: disk \"/\" at 91%\n");
  assert_int_equal(k.logs, 2);
  vbx__span_end(root, 0, NULL);
  vbx__tel_hub_close(hub);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hub_and_scope),
      cmocka_unit_test(test_traceparent),
      cmocka_unit_test(test_log_sinks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
