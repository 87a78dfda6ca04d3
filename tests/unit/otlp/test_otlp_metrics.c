/*
 * test_otlp_metrics - the metric aggregator: counters summed per
 * attribute set (in any order), gauges' last value, histogram buckets at
 * their boundaries (bucket i holds bounds[i-1] < v <= bounds[i]), count,
 * sum, min and max, the 2000-stream limit, refused points, and the
 * ExportMetricsServiceRequest it encodes.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otlp_json.h"

static const vbx_otlp_resource res = {"svc", "0.1.0", NULL};

static int add(vbx_otlp_metrics *m, const char *name, int kind, double v,
               const char *const *attrs) {
  vbx_metric_data d = {.struct_size = sizeof(d),
                       .name = name,
                       .unit = "{token}",
                       .description = "tokens used",
                       .plugin = "llm-openai",
                       .kind = kind,
                       .value = v,
                       .time_ns = 1,
                       .attrs = attrs};
  return vbx_otlp_metrics_add(m, &d);
}

/* The metric named `name` in the first scope's list. */
static json_t *metric(json_t *doc, const char *name) {
  json_t *rm = json_array_get(json_object_get(doc, "resourceMetrics"), 0);
  size_t i, j;
  json_t *sm, *mt;
  json_array_foreach(json_object_get(rm, "scopeMetrics"), i, sm) {
    json_array_foreach(json_object_get(sm, "metrics"), j, mt) {
      if (strcmp(json_string_value(json_object_get(mt, "name")), name) == 0) return mt;
    }
  }
  return NULL;
}

static const char *attr(json_t *point, const char *key) {
  size_t i;
  json_t *kv;
  json_array_foreach(json_object_get(point, "attributes"), i, kv) {
    if (strcmp(json_string_value(json_object_get(kv, "key")), key) == 0)
      return json_string_value(json_object_get(json_object_get(kv, "value"), "stringValue"));
  }
  return NULL;
}

static void test_counter_sums(void **state) {
  (void)state;
  vbx_otlp_metrics *m = vbx_otlp_metrics_new(1000);
  const char *ab[] = {"a", "1", "b", "2", NULL}, *ba[] = {"b", "2", "a", "1", NULL};
  const char *other[] = {"a", "9", NULL};
  assert_int_equal(add(m, "tokens", VBX_METRIC_COUNTER, 2, ab), 0);
  assert_int_equal(add(m, "tokens", VBX_METRIC_COUNTER, 3, ba), 0); /* the same set */
  assert_int_equal(add(m, "tokens", VBX_METRIC_COUNTER, 10, other), 0);
  assert_int_equal(add(m, "tokens", VBX_METRIC_COUNTER, 0.5, NULL), 0);
  json_t *doc = vbx_otlp_metrics_json(m, &res, 5000);
  assert_non_null(doc);
  char *text = json_dumps(doc, JSON_COMPACT);
  assert_non_null(text);
  free(text);
  json_t *rm = json_array_get(json_object_get(doc, "resourceMetrics"), 0);
  json_t *sm = json_array_get(json_object_get(rm, "scopeMetrics"), 0);
  assert_string_equal(json_string_value(json_object_get(json_object_get(sm, "scope"), "name")),
                      "voidbox.plugin.llm-openai");
  json_t *mt = metric(doc, "tokens");
  assert_string_equal(json_string_value(json_object_get(mt, "unit")), "{token}");
  assert_string_equal(json_string_value(json_object_get(mt, "description")), "tokens used");
  json_t *sum = json_object_get(mt, "sum");
  assert_true(json_is_true(json_object_get(sum, "isMonotonic")));
  assert_int_equal(json_integer_value(json_object_get(sum, "aggregationTemporality")), 2);
  json_t *pts = json_object_get(sum, "dataPoints");
  assert_int_equal(json_array_size(pts), 3);
  json_t *p0 = json_array_get(pts, 0);
  assert_true(json_is_real(json_object_get(p0, "asDouble")));
  assert_true(json_real_value(json_object_get(p0, "asDouble")) == 5.0);
  assert_string_equal(attr(p0, "a"), "1");
  assert_string_equal(attr(p0, "b"), "2");
  assert_string_equal(json_string_value(json_object_get(p0, "startTimeUnixNano")), "1000");
  assert_string_equal(json_string_value(json_object_get(p0, "timeUnixNano")), "5000");
  assert_true(json_real_value(json_object_get(json_array_get(pts, 1), "asDouble")) == 10.0);
  assert_int_equal(json_array_size(json_object_get(json_array_get(pts, 2), "attributes")), 0);
  json_decref(doc);
  vbx_otlp_metrics_free(m);
}

static void test_repeated_key_last_wins(void **state) {
  (void)state;
  vbx_otlp_metrics *m = vbx_otlp_metrics_new(0);
  const char *dup[] = {"k", "first", "", "empty key", "k", "last", NULL};
  const char *one[] = {"k", "last", NULL};
  assert_int_equal(add(m, "c", VBX_METRIC_COUNTER, 1, dup), 0);
  assert_int_equal(add(m, "c", VBX_METRIC_COUNTER, 1, one), 0);
  json_t *doc = vbx_otlp_metrics_json(m, &res, 1);
  json_t *pts = json_object_get(json_object_get(metric(doc, "c"), "sum"), "dataPoints");
  assert_int_equal(json_array_size(pts), 1);
  assert_string_equal(attr(json_array_get(pts, 0), "k"), "last");
  json_decref(doc);
  vbx_otlp_metrics_free(m);
}

static void test_gauge_last(void **state) {
  (void)state;
  vbx_otlp_metrics *m = vbx_otlp_metrics_new(0);
  assert_int_equal(add(m, "mem", VBX_METRIC_GAUGE, 5, NULL), 0);
  assert_int_equal(add(m, "mem", VBX_METRIC_GAUGE, -2.5, NULL), 0);
  json_t *doc = vbx_otlp_metrics_json(m, &res, 77);
  json_t *g = json_object_get(metric(doc, "mem"), "gauge");
  assert_non_null(g);
  assert_null(json_object_get(g, "aggregationTemporality"));
  json_t *p = json_array_get(json_object_get(g, "dataPoints"), 0);
  assert_true(json_real_value(json_object_get(p, "asDouble")) == -2.5);
  assert_string_equal(json_string_value(json_object_get(p, "timeUnixNano")), "77");
  json_decref(doc);
  vbx_otlp_metrics_free(m);
}

static void test_histogram_buckets(void **state) {
  (void)state;
  vbx_otlp_metrics *m = vbx_otlp_metrics_new(0);
  /* value -> bucket: v <= 0 is bucket 0, 0 < v <= 5 bucket 1, ... */
  const double values[] = {-1, 0, 0.001, 5, 5.0001, 10, 75, 10000, 10000.5, 1e9};
  const int want[16] = {2, 2, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2};
  double sum = 0;
  for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
    assert_int_equal(add(m, "lat", VBX_METRIC_HISTOGRAM, values[i], NULL), 0);
    sum += values[i];
  }
  json_t *doc = vbx_otlp_metrics_json(m, &res, 9);
  json_t *h = json_object_get(metric(doc, "lat"), "histogram");
  assert_int_equal(json_integer_value(json_object_get(h, "aggregationTemporality")), 2);
  json_t *p = json_array_get(json_object_get(h, "dataPoints"), 0);
  assert_string_equal(json_string_value(json_object_get(p, "count")), "10");
  assert_true(fabs(json_real_value(json_object_get(p, "sum")) - sum) < 1e-6);
  assert_true(json_real_value(json_object_get(p, "min")) == -1);
  assert_true(json_real_value(json_object_get(p, "max")) == 1e9);
  json_t *counts = json_object_get(p, "bucketCounts");
  json_t *bounds = json_object_get(p, "explicitBounds");
  assert_int_equal(json_array_size(counts), 16);
  assert_int_equal(json_array_size(bounds), 15);
  const double want_bounds[15] = {0,   5,   10,   25,   50,   75,   100,  250,
                                  500, 750, 1000, 2500, 5000, 7500, 10000};
  for (size_t i = 0; i < 15; i++)
    assert_true(json_number_value(json_array_get(bounds, i)) == want_bounds[i]);
  for (size_t i = 0; i < 16; i++) {
    json_t *c = json_array_get(counts, i);
    assert_true(json_is_string(c));
    char w[8];
    snprintf(w, sizeof(w), "%d", want[i]);
    if (strcmp(json_string_value(c), w) != 0)
      print_error("bucket %zu: got %s, want %s\n", i, json_string_value(c), w);
    assert_string_equal(json_string_value(c), w);
  }
  assert_string_equal(json_string_value(json_object_get(p, "startTimeUnixNano")), "0");
  json_decref(doc);
  vbx_otlp_metrics_free(m);
}

static void test_refused_points(void **state) {
  (void)state;
  vbx_otlp_metrics *m = vbx_otlp_metrics_new(0);
  assert_null(vbx_otlp_metrics_json(m, &res, 1)); /* no stream yet */
  assert_int_equal(add(m, "x", VBX_METRIC_COUNTER, NAN, NULL), VBX_E_INVAL);
  assert_int_equal(add(m, "x", VBX_METRIC_GAUGE, INFINITY, NULL), VBX_E_INVAL);
  assert_int_equal(add(m, "x", VBX_METRIC_HISTOGRAM, -INFINITY, NULL), VBX_E_INVAL);
  assert_int_equal(add(m, "x", VBX_METRIC_COUNTER, -1, NULL), VBX_E_INVAL);
  assert_int_equal(add(m, "x", 0, 1, NULL), VBX_E_INVAL);
  assert_int_equal(add(m, "x", 4, 1, NULL), VBX_E_INVAL);
  assert_int_equal(add(m, "", VBX_METRIC_COUNTER, 1, NULL), VBX_E_INVAL);
  assert_int_equal(add(m, NULL, VBX_METRIC_COUNTER, 1, NULL), VBX_E_INVAL);
  /* OTel instrument names: a letter, then [A-Za-z0-9_./-], at most 255 */
  assert_int_equal(add(m, "1tokens", VBX_METRIC_COUNTER, 1, NULL), VBX_E_INVAL);
  assert_int_equal(add(m, "a b", VBX_METRIC_COUNTER, 1, NULL), VBX_E_INVAL);
  assert_int_equal(add(m, "caf\xC3\xA9", VBX_METRIC_COUNTER, 1, NULL), VBX_E_INVAL);
  char long_name[300];
  memset(long_name, 'a', 256);
  long_name[256] = '\0';
  assert_int_equal(add(m, long_name, VBX_METRIC_COUNTER, 1, NULL), VBX_E_INVAL);
  long_name[255] = '\0';
  assert_int_equal(add(m, long_name, VBX_METRIC_GAUGE, 1, NULL), 0);
  assert_int_equal(add(m, "gen_ai.client/op-1", VBX_METRIC_GAUGE, 1, NULL), 0);
  /* one name, one kind */
  assert_int_equal(add(m, "x", VBX_METRIC_COUNTER, 1, NULL), 0);
  const char *a[] = {"k", "v", NULL};
  assert_int_equal(add(m, "x", VBX_METRIC_GAUGE, 1, a), VBX_E_INVAL);
  assert_int_equal(add(m, "x", VBX_METRIC_GAUGE, 1, NULL), VBX_E_INVAL);
  /* a sum that would overflow */
  assert_int_equal(add(m, "big", VBX_METRIC_COUNTER, 1.7e308, NULL), 0);
  assert_int_equal(add(m, "big", VBX_METRIC_COUNTER, 1.7e308, NULL), VBX_E_INVAL);
  assert_int_equal(vbx_otlp_metrics_dropped(m), 0);
  vbx_otlp_metrics_free(m);
  assert_int_equal(vbx_otlp_metrics_add(NULL, NULL), VBX_E_INVAL);
}

static void test_stream_limit(void **state) {
  (void)state;
  vbx_otlp_metrics *m = vbx_otlp_metrics_new(0);
  char v[16];
  const char *attrs[] = {"i", v, NULL};
  for (int i = 0; i < 2000; i++) {
    snprintf(v, sizeof(v), "%d", i);
    assert_int_equal(add(m, i % 2 ? "odd" : "even", VBX_METRIC_COUNTER, 1, attrs), 0);
  }
  snprintf(v, sizeof(v), "new");
  assert_int_equal(add(m, "odd", VBX_METRIC_COUNTER, 1, attrs), VBX_E_LIMIT);
  assert_int_equal(add(m, "fresh", VBX_METRIC_GAUGE, 1, NULL), VBX_E_LIMIT);
  assert_int_equal(vbx_otlp_metrics_dropped(m), 2);
  snprintf(v, sizeof(v), "7");
  assert_int_equal(add(m, "odd", VBX_METRIC_COUNTER, 4, attrs), 0); /* an existing stream */
  json_t *doc = vbx_otlp_metrics_json(m, &res, 1);
  assert_non_null(doc);
  assert_null(metric(doc, "fresh"));
  json_t *pts = json_object_get(json_object_get(metric(doc, "odd"), "sum"), "dataPoints");
  assert_int_equal(json_array_size(pts), 1000);
  json_t *p7 = json_array_get(pts, 3); /* odd streams: 1, 3, 5, 7 */
  assert_string_equal(attr(p7, "i"), "7");
  assert_true(json_real_value(json_object_get(p7, "asDouble")) == 5.0);
  json_decref(doc);
  vbx_otlp_metrics_free(m);
}

/* Streams with long attribute values stop at 16 MiB of keys, well before
 * 2000 streams. */
static void test_stream_bytes_limit(void **state) {
  (void)state;
  vbx_otlp_metrics *m = vbx_otlp_metrics_new(0);
  static char vals[64][4097];
  static char keys[64][8];
  const char *attrs[129];
  for (int i = 0; i < 64; i++) {
    memset(vals[i], 'v', 4096);
    vals[i][4096] = '\0';
    snprintf(keys[i], sizeof(keys[i]), "k%d", i);
    attrs[2 * i] = keys[i];
    attrs[2 * i + 1] = vals[i];
  }
  attrs[128] = NULL;
  int n = 0, rc = 0;
  for (; n < 2000 && rc == 0; n++) {
    vals[0][0] = (char)('A' + n % 26); /* a new attribute set each time */
    vals[1][0] = (char)('A' + n / 26);
    rc = add(m, "wide", VBX_METRIC_GAUGE, 1, attrs);
  }
  assert_int_equal(rc, VBX_E_LIMIT);
  assert_true(n > 50 && n < 70); /* 64 values of 4 KiB: some 260 KiB a stream */
  assert_int_equal(vbx_otlp_metrics_dropped(m), 1);
  vbx_otlp_metrics_free(m);
}

static void test_scopes_per_plugin(void **state) {
  (void)state;
  vbx_otlp_metrics *m = vbx_otlp_metrics_new(0);
  vbx_metric_data d = {
      .struct_size = sizeof(d), .name = "a", .kind = VBX_METRIC_COUNTER, .value = 1};
  assert_int_equal(vbx_otlp_metrics_add(m, &d), 0);
  d.name = "b";
  d.plugin = "voidbox";
  assert_int_equal(vbx_otlp_metrics_add(m, &d), 0);
  d.name = "c";
  d.plugin = "sandbox-qemu";
  assert_int_equal(vbx_otlp_metrics_add(m, &d), 0);
  json_t *doc = vbx_otlp_metrics_json(m, &res, 1);
  json_t *sms =
      json_object_get(json_array_get(json_object_get(doc, "resourceMetrics"), 0), "scopeMetrics");
  assert_int_equal(json_array_size(sms), 2);
  json_t *s0 = json_array_get(sms, 0), *s1 = json_array_get(sms, 1);
  assert_string_equal(json_string_value(json_object_get(json_object_get(s0, "scope"), "name")),
                      "voidbox");
  assert_int_equal(json_array_size(json_object_get(s0, "metrics")), 2);
  assert_string_equal(json_string_value(json_object_get(json_object_get(s1, "scope"), "name")),
                      "voidbox.plugin.sandbox-qemu");
  assert_null(json_object_get(metric(doc, "a"), "unit")); /* none given */
  json_decref(doc);
  vbx_otlp_metrics_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counter_sums),       cmocka_unit_test(test_repeated_key_last_wins),
      cmocka_unit_test(test_gauge_last),         cmocka_unit_test(test_histogram_buckets),
      cmocka_unit_test(test_refused_points),     cmocka_unit_test(test_stream_limit),
      cmocka_unit_test(test_stream_bytes_limit), cmocka_unit_test(test_scopes_per_plugin),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
