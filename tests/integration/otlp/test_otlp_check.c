/*
 * test_otlp_check - the receiver's OTLP/JSON validator (otlp_check.h) on
 * documents known good and on one mutation per rule: each rule is seen to
 * fail, with the JSON path of what is wrong and the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include <cmocka.h>
#include <jansson.h>

#include "otlp_check.h"

#define TID "\"5b8efff798038103d269b633813fc60c\""
#define T0 "\"1700000000000000000\""
#define T1 "\"1700000001000000000\""

static const char *const GOOD_TRACES =
    "{\"resourceSpans\": [{\"resource\": {\"attributes\": [{\"key\": \"service.name\","
    " \"value\": {\"stringValue\": \"voidbox\"}}]},"
    " \"scopeSpans\": [{\"scope\": {\"name\": \"voidbox\", \"version\": \"0.1.0\"},"
    " \"spans\": [{\"traceId\": " TID
    ", \"spanId\": \"eee19b7ec3c1b174\", \"name\": \"run p\","
    " \"kind\": 1, \"startTimeUnixNano\": " T0 ", \"endTimeUnixNano\": " T1
    ","
    " \"attributes\": [{\"key\": \"voidbox.box\", \"value\": {\"stringValue\": \"a\"}}],"
    " \"status\": {\"code\": 1}},"
    " {\"traceId\": " TID
    ", \"spanId\": \"eee19b7ec3c1b175\", \"parentSpanId\": \"eee19b7ec3c1b174\","
    " \"name\": \"chat mock\", \"kind\": 3, \"startTimeUnixNano\": " T0
    ","
    " \"endTimeUnixNano\": " T0
    ", \"flags\": 256,"
    " \"attributes\": [{\"key\": \"gen_ai.usage.input_tokens\", \"value\": {\"intValue\": "
    "\"520\"}},"
    " {\"key\": \"x.d\", \"value\": {\"doubleValue\": 1.5}},"
    " {\"key\": \"x.b\", \"value\": {\"boolValue\": true}},"
    " {\"key\": \"x.bytes\", \"value\": {\"bytesValue\": \"AAEC\"}},"
    " {\"key\": \"x.kv\", \"value\": {\"kvlistValue\": {\"values\": [{\"key\": \"k\","
    " \"value\": {\"intValue\": \"-3\"}}]}}},"
    " {\"key\": \"gen_ai.response.finish_reasons\", \"value\": {\"arrayValue\": {\"values\":"
    " [{\"stringValue\": \"stop\"}]}}}],"
    " \"events\": [{\"timeUnixNano\": " T0
    ", \"name\": \"e\"}],"
    " \"links\": [{\"traceId\": " TID
    ", \"spanId\": \"00000000000000a1\"}],"
    " \"status\": {\"code\": 2, \"message\": \"boom\"}},"
    " {\"traceId\": " TID
    ", \"spanId\": \"eee19b7ec3c1b176\", \"parentSpanId\": \"\","
    " \"name\": \"n\", \"startTimeUnixNano\": " T0 ", \"endTimeUnixNano\": " T1 "}]}]}]}";

static const char *const GOOD_METRICS =
    "{\"resourceMetrics\": [{\"resource\": {}, \"scopeMetrics\": [{\"scope\": {\"name\": "
    "\"voidbox\"}, \"metrics\": ["
    "{\"name\": \"voidbox.tool.calls\", \"unit\": \"{call}\", \"sum\": {\"dataPoints\": ["
    "{\"attributes\": [{\"key\": \"gen_ai.tool.name\", \"value\": {\"stringValue\": \"bash\"}}],"
    " \"startTimeUnixNano\": " T0 ", \"timeUnixNano\": " T1
    ", \"asInt\": \"3\"}],"
    " \"aggregationTemporality\": 2, \"isMonotonic\": true}},"
    "{\"name\": \"voidbox.sandbox.memory.usage\", \"unit\": \"By\", \"gauge\": {\"dataPoints\": ["
    "{\"timeUnixNano\": " T1
    ", \"asDouble\": 1048576.0}]}},"
    "{\"name\": \"gen_ai.client.token.usage\", \"unit\": \"{token}\", \"histogram\": {"
    "\"dataPoints\": [{\"startTimeUnixNano\": " T0 ", \"timeUnixNano\": " T1
    ", \"count\": \"3\","
    " \"sum\": 1130.5, \"bucketCounts\": [\"0\", \"1\", \"2\"], \"explicitBounds\": [0, 500],"
    " \"min\": 30, \"max\": 600}], \"aggregationTemporality\": 2}}]}]}]}";

static const char *const GOOD_LOGS =
    "{\"resourceLogs\": [{\"resource\": {}, \"scopeLogs\": [{\"scope\": {\"name\": \"voidbox\"},"
    " \"logRecords\": [{\"timeUnixNano\": " T0 ", \"observedTimeUnixNano\": " T1
    ","
    " \"severityNumber\": 13, \"severityText\": \"WARN\", \"body\": {\"stringValue\": \"hi\"},"
    " \"traceId\": " TID
    ", \"spanId\": \"eee19b7ec3c1b174\"},"
    " {\"observedTimeUnixNano\": " T1
    ", \"severityNumber\": 9, \"traceId\": \"\","
    " \"spanId\": \"\"}]}]}]}";

static json_t *load(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
  if (j == NULL) print_error("bad fixture: %s at %d:%d\n", e.text, e.line, e.column);
  assert_non_null(j);
  return j;
}

/* Replace (or, with value NULL, delete) the member at path ("a[0].b"). */
static void set_path(json_t *doc, const char *path, const char *value) {
  json_t *cur = doc;
  const char *p = path;
  for (;;) {
    char key[128] = "";
    size_t idx = 0;
    int is_idx = *p == '[';
    if (is_idx) {
      idx = strtoul(p + 1, (char **)&p, 10);
      p++; /* ']' */
    } else {
      size_t n = strcspn(p, ".[");
      snprintf(key, sizeof key, "%.*s", (int)n, p);
      p += n;
    }
    if (*p == '.') p++;
    if (*p == '\0') {
      if (is_idx)
        json_array_set_new(cur, idx, load(value));
      else if (value)
        json_object_set_new(cur, key, load(value));
      else
        json_object_del(cur, key);
      return;
    }
    cur = is_idx ? json_array_get(cur, idx) : json_object_get(cur, key);
    if (cur == NULL) print_error("no %s in the fixture\n", path);
    assert_non_null(cur);
  }
}

typedef struct bad_case {
  otlp_signal sig;
  const char *path;
  const char *value; /* NULL: delete */
  const char *want;  /* substring of the reason */
} bad_case;

static void good(otlp_signal sig, const char *text) {
  char why[600];
  json_t *doc = load(text);
  int rc = otlp_check(sig, doc, why, sizeof why);
  if (rc != 0) print_error("good %s document refused: %s\n", otlp_signal_name(sig), why);
  assert_int_equal(rc, 0);
  json_decref(doc);
}

static void bad(const bad_case *c) {
  const char *base = c->sig == OTLP_TRACES    ? GOOD_TRACES
                     : c->sig == OTLP_METRICS ? GOOD_METRICS
                                              : GOOD_LOGS;
  json_t *doc = load(base);
  set_path(doc, c->path, c->value);
  char why[600] = "";
  int rc = otlp_check(c->sig, doc, why, sizeof why);
  if (rc == 0 || strstr(why, c->want) == NULL)
    print_error("%s = %s: rc %d, reason '%s', want '%s'\n", c->path, c->value ? c->value : "(del)",
                rc, why, c->want);
  assert_int_equal(rc, -1);
  assert_non_null(strstr(why, c->want));
  json_decref(doc);
}

static void test_good_documents(void **state) {
  (void)state;
  good(OTLP_TRACES, GOOD_TRACES);
  good(OTLP_METRICS, GOOD_METRICS);
  good(OTLP_LOGS, GOOD_LOGS);
}

#define SP "resourceSpans[0].scopeSpans[0].spans[0]"
#define SP1 "resourceSpans[0].scopeSpans[0].spans[1]"

static void test_trace_rules(void **state) {
  (void)state;
  static const bad_case cases[] = {
      {OTLP_TRACES, SP ".traceId", "\"5B8EFFF798038103D269B633813FC60C\"",
       SP ".traceId: '5B8EFFF798038103D269B633813FC60C' is not 32 lower-case hex digits"},
      {OTLP_TRACES, SP ".traceId", "\"5b8efff798038103d269b633813fc60\"", "is not 32 hex digits"},
      {OTLP_TRACES, SP ".traceId", "\"00000000000000000000000000000000\"", "is all zero"},
      {OTLP_TRACES, SP ".traceId", "12", SP ".traceId: must be a string of 32 hex digits"},
      {OTLP_TRACES, SP ".traceId", NULL, SP ".traceId: required field missing"},
      {OTLP_TRACES, SP ".spanId", "\"eee19b7ec3c1b17\"", SP ".spanId: 'eee19b7ec3c1b17' is not 16"},
      {OTLP_TRACES, SP ".spanId", "\"0000000000000000\"", "is all zero"},
      {OTLP_TRACES, SP ".spanId", "\"eee19b7ec3c1b17g\"", "is not 16 lower-case hex digits"},
      {OTLP_TRACES, SP1 ".parentSpanId", "\"xyz\"", SP1 ".parentSpanId: 'xyz' is not 16 hex"},
      {OTLP_TRACES, SP ".kind", "6", SP ".kind: 6 is out of range 0..5"},
      {OTLP_TRACES, SP ".kind", "\"SPAN_KIND_CLIENT\"",
       SP ".kind: must be an integer, got a string"},
      {OTLP_TRACES, SP ".status.code", "3", SP ".status.code: 3 is out of range 0..2"},
      {OTLP_TRACES, SP ".status.code", "\"2\"", "status.code: must be an integer"},
      {OTLP_TRACES, SP ".status.mesage", "\"x\"", SP ".status.mesage: unknown field"},
      {OTLP_TRACES, SP ".startTimeUnixNano", "1700000000000000000",
       SP ".startTimeUnixNano: a 64-bit integer must be a decimal string, got an integer"},
      {OTLP_TRACES, SP ".startTimeUnixNano", "\"17e8\"", "'17e8' is not a decimal uint64"},
      {OTLP_TRACES, SP ".startTimeUnixNano", "\"18446744073709551616\"", "not a decimal uint64"},
      {OTLP_TRACES, SP ".endTimeUnixNano", "\"1699999999999999999\"",
       SP ": endTimeUnixNano 1699999999999999999 is before startTimeUnixNano"},
      {OTLP_TRACES, SP ".endTimeUnixNano", "\"0\"", SP ".endTimeUnixNano: must be a time"},
      {OTLP_TRACES, SP ".name", NULL, SP ".name: required field missing"},
      {OTLP_TRACES, SP ".name", "\"\"", SP ".name: must not be empty"},
      {OTLP_TRACES, SP ".spanid", "\"eee19b7ec3c1b174\"",
       SP ".spanid: unknown field (misspelled, or not part of this OTLP message)"},
      {OTLP_TRACES, SP ".flags", "-1", SP ".flags: -1 is out of range 0..4294967295"},
      {OTLP_TRACES, SP ".attributes[0].value", "{\"intValue\": 5}",
       SP ".attributes[0].value.intValue: a 64-bit integer must be a decimal string"},
      {OTLP_TRACES, SP ".attributes[0].value", "{\"intValue\": \"9223372036854775808\"}",
       "is not a decimal int64"},
      {OTLP_TRACES, SP ".attributes[0].value", "{\"doubleValue\": \"1.5\"}",
       "doubleValue: must be a number, got a string"},
      {OTLP_TRACES, SP ".attributes[0].value", "{\"boolValue\": \"true\"}",
       "boolValue: must be a boolean"},
      {OTLP_TRACES, SP ".attributes[0].value", "{\"stringValue\": \"a\", \"intValue\": \"1\"}",
       SP ".attributes[0].value: an AnyValue holds exactly one"},
      {OTLP_TRACES, SP ".attributes[0].value", "{}", "an AnyValue holds exactly one"},
      {OTLP_TRACES, SP ".attributes[0].value", "{\"string_value\": \"a\"}",
       "value.string_value: unknown field"},
      {OTLP_TRACES, SP ".attributes[0].value", "\"a\"", "must be an AnyValue object, got a string"},
      {OTLP_TRACES, SP ".attributes[0].value", "{\"bytesValue\": \"AA=E\"}", "not base64"},
      {OTLP_TRACES, SP ".attributes[0].key", NULL, SP ".attributes[0].key: required field missing"},
      {OTLP_TRACES, SP1 ".attributes[1].key", "\"gen_ai.usage.input_tokens\"",
       SP1 ".attributes[1]: duplicate attribute key 'gen_ai.usage.input_tokens' (also at [0])"},
      {OTLP_TRACES, SP ".attributes", "{}", SP ".attributes: must be an array, got an object"},
      {OTLP_TRACES, SP1 ".events[0].timeUnixNano", NULL,
       SP1 ".events[0].timeUnixNano: required field missing"},
      {OTLP_TRACES, SP1 ".links[0].spanId", "\"a1\"", SP1 ".links[0].spanId: 'a1' is not 16"},
      {OTLP_TRACES, "resourceSpans[0].resource", NULL,
       "resourceSpans[0].resource: required field missing"},
      {OTLP_TRACES, "resourceSpans[0].scopeSpans[0].scope", NULL,
       "resourceSpans[0].scopeSpans[0].scope: required field missing"},
      {OTLP_TRACES, "resourceSpans[0].scopeSpans[0].scope.name", NULL,
       "resourceSpans[0].scopeSpans[0].scope.name: required field missing"},
      {OTLP_TRACES, "resourceSpans[0].scopeSpans[0].spans", "[]",
       "resourceSpans[0].scopeSpans[0].spans: is empty"},
      {OTLP_TRACES, "resourceSpans", "[]", "resourceSpans: is empty"},
      {OTLP_TRACES, "resourceSpan", "[]", "resourceSpan: unknown field"},
      {OTLP_TRACES, "resourceSpans[0].resource.attributes[0].value",
       "{\"arrayValue\": {\"values\": [{\"intValue\": 1}]}}",
       "resourceSpans[0].resource.attributes[0].value.arrayValue.values[0].intValue: a 64-bit"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    bad(&cases[i]);
}

#define MT "resourceMetrics[0].scopeMetrics[0].metrics"

static void test_metric_rules(void **state) {
  (void)state;
  static const bad_case cases[] = {
      {OTLP_METRICS, MT "[0].sum.isMonotonic", NULL,
       MT "[0].sum.isMonotonic: required field missing"},
      {OTLP_METRICS, MT "[0].sum.isMonotonic", "\"true\"", "isMonotonic: must be a boolean"},
      {OTLP_METRICS, MT "[0].sum.aggregationTemporality", "0",
       MT "[0].sum.aggregationTemporality: 0 is out of range 1..2"},
      {OTLP_METRICS, MT "[0].sum.aggregationTemporality", NULL,
       "aggregationTemporality: required field missing"},
      {OTLP_METRICS, MT "[0].sum.aggregationTemporality", "\"AGGREGATION_TEMPORALITY_CUMULATIVE\"",
       "aggregationTemporality: must be an integer"},
      {OTLP_METRICS, MT "[0].sum.dataPoints[0].asInt", "3",
       MT "[0].sum.dataPoints[0].asInt: a 64-bit integer must be a decimal string"},
      {OTLP_METRICS, MT "[0].sum.dataPoints[0].asDouble", "3.0",
       MT "[0].sum.dataPoints[0]: a number data point has exactly one of asDouble and asInt"},
      {OTLP_METRICS, MT "[0].sum.dataPoints[0].asInt", NULL, "exactly one of asDouble and asInt"},
      {OTLP_METRICS, MT "[0].sum.dataPoints[0].timeUnixNano", NULL,
       "dataPoints[0].timeUnixNano: required field missing"},
      {OTLP_METRICS, MT "[0].sum.dataPoints[0].startTimeUnixNano", "\"1800000000000000000\"",
       "timeUnixNano 1700000001000000000 is before startTimeUnixNano"},
      {OTLP_METRICS, MT "[0].sum.dataPoints", "[]", MT "[0].sum.dataPoints: is empty"},
      {OTLP_METRICS, MT "[0].gauge",
       "{\"dataPoints\": [{\"timeUnixNano\": " T1 ", \"asInt\": \"1\"}]}",
       MT "[0]: metric 'voidbox.tool.calls' has 2 data kinds"},
      {OTLP_METRICS, MT "[0].sum", NULL, "has 0 data kinds"},
      {OTLP_METRICS, MT "[0].name", "\"1tool calls\"", MT "[0].name: '1tool calls' is not an"},
      {OTLP_METRICS, MT "[0].name", NULL, MT "[0].name: required field missing"},
      {OTLP_METRICS, MT "[0].sume", "{}", MT "[0].sume: unknown field"},
      {OTLP_METRICS, MT "[1].gauge.dataPoints[0].asDouble", "\"1.0\"",
       "asDouble: must be a number, got a string"},
      {OTLP_METRICS, MT "[2].histogram.dataPoints[0].bucketCounts", "[\"0\", \"3\"]",
       MT "[2].histogram.dataPoints[0]: bucketCounts has 2 entries, explicitBounds 2: want 3"},
      {OTLP_METRICS, MT "[2].histogram.dataPoints[0].bucketCounts", "[\"0\", \"1\", \"1\"]",
       "bucketCounts sum to 2, count is 3"},
      {OTLP_METRICS, MT "[2].histogram.dataPoints[0].bucketCounts", "[\"0\", 1, \"2\"]",
       "bucketCounts[1]: a 64-bit integer must be a decimal string"},
      {OTLP_METRICS, MT "[2].histogram.dataPoints[0].bucketCounts", NULL,
       "explicitBounds without bucketCounts"},
      {OTLP_METRICS, MT "[2].histogram.dataPoints[0].count", "3",
       "count: a 64-bit integer must be a decimal string"},
      {OTLP_METRICS, MT "[2].histogram.dataPoints[0].count", NULL, "count: required field missing"},
      {OTLP_METRICS, MT "[2].histogram.dataPoints[0].explicitBounds", "[500, 0]",
       "explicitBounds not strictly increasing at [1]"},
      {OTLP_METRICS, MT "[2].histogram.dataPoints[0].explicitBounds", "[0, \"500\"]",
       "explicitBounds[1]: must be a number"},
      {OTLP_METRICS, MT "[2].histogram.dataPoints[0].min", "700", "min 700 > max 600"},
      {OTLP_METRICS, MT "[2].histogram.aggregationTemporality", "3",
       "histogram.aggregationTemporality: 3 is out of range 1..2"},
      {OTLP_METRICS, "resourceMetrics[0].scopeMetrics[0].scope", NULL,
       "resourceMetrics[0].scopeMetrics[0].scope: required field missing"},
      {OTLP_METRICS, "resourceMetrics[0].resource", NULL,
       "resourceMetrics[0].resource: required field missing"},
      {OTLP_METRICS, "resourceMetrics[0].scopeMetrics[0].metrics", "[]", "metrics: is empty"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    bad(&cases[i]);
}

#define LR "resourceLogs[0].scopeLogs[0].logRecords"

static void test_log_rules(void **state) {
  (void)state;
  static const bad_case cases[] = {
      {OTLP_LOGS, LR "[0].severityNumber", "0", LR "[0].severityNumber: 0 is out of range 1..24"},
      {OTLP_LOGS, LR "[0].severityNumber", "25", "25 is out of range 1..24"},
      {OTLP_LOGS, LR "[0].severityNumber", NULL, "severityNumber: required field missing"},
      {OTLP_LOGS, LR "[0].severityNumber", "\"SEVERITY_NUMBER_WARN\"", "must be an integer"},
      {OTLP_LOGS, LR "[0].spanId", "\"\"", LR "[0]: traceId and spanId go together"},
      {OTLP_LOGS, LR "[0].traceId", "\"xyz\"", LR "[0].traceId: 'xyz' is not 32 hex digits"},
      {OTLP_LOGS, LR "[0].timeUnixNano", "17", "a 64-bit integer must be a decimal string"},
      {OTLP_LOGS, LR "[1].observedTimeUnixNano", NULL,
       LR "[1]: neither timeUnixNano nor observedTimeUnixNano is set"},
      {OTLP_LOGS, LR "[0].body", "{}", LR "[0].body: an AnyValue holds exactly one"},
      {OTLP_LOGS, LR "[0].body", "\"hi\"", "body: must be an AnyValue object"},
      {OTLP_LOGS, LR "[0].severity", "9", LR "[0].severity: unknown field"},
      {OTLP_LOGS, LR, "[]", "logRecords: is empty"},
      {OTLP_LOGS, "resourceLogs[0].scopeLogs[0].scope", "{\"name\": \"\"}",
       "scope.name: must not be empty"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    bad(&cases[i]);
}

/* Whole-request rules: the signal's own top key, JSON itself, duplicate
 * keys (refused while parsing). */
static void test_request_rules(void **state) {
  (void)state;
  char why[600];
  assert_int_equal(otlp_check_text(OTLP_METRICS, GOOD_TRACES, strlen(GOOD_TRACES), why, sizeof why),
                   -1);
  assert_non_null(strstr(why, "resourceSpans: unknown field"));
  assert_int_equal(otlp_check_text(OTLP_LOGS, "[]", 2, why, sizeof why), -1);
  assert_non_null(strstr(why, "(request): must be an object, got an array"));
  assert_int_equal(otlp_check_text(OTLP_LOGS, "{\"resourceLogs\": [", 18, why, sizeof why), -1);
  assert_non_null(strstr(why, "not JSON:"));
  const char *dup = "{\"resourceLogs\": [], \"resourceLogs\": []}";
  assert_int_equal(otlp_check_text(OTLP_LOGS, dup, strlen(dup), why, sizeof why), -1);
  assert_non_null(strstr(why, "duplicate object key"));
  assert_int_equal(otlp_check_text(OTLP_LOGS, "{}", 2, why, sizeof why), -1);
  assert_non_null(strstr(why, "resourceLogs: required field missing"));
  assert_int_equal(otlp_check_text(OTLP_LOGS, GOOD_LOGS, strlen(GOOD_LOGS), why, sizeof why), 0);
  assert_int_equal(otlp_signal_of_path("/v1/traces"), OTLP_TRACES);
  assert_int_equal(otlp_signal_of_path("/v1/logs"), OTLP_LOGS);
  assert_int_equal(otlp_signal_of_path("/v1/metrics"), OTLP_METRICS);
  assert_int_equal(otlp_signal_of_path("/v1/traces/"), -1);
  assert_int_equal(otlp_signal_of_path("/"), -1);
}

/* The Node decoder's fixtures (data/good, data/bad): this validator agrees
 * on every one of them. */
static void check_dir(const char *sub, int want) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", VBX_OTLP_DATA_DIR, sub);
  DIR *d = opendir(path);
  assert_non_null(d);
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
    snprintf(path, sizeof path, "%s/%s/%s", VBX_OTLP_DATA_DIR, sub, e->d_name);
    json_error_t err;
    json_t *doc = json_load_file(path, 0, &err);
    assert_non_null(doc);
    otlp_signal sig = strstr(e->d_name, "-traces.json")    ? OTLP_TRACES
                      : strstr(e->d_name, "-metrics.json") ? OTLP_METRICS
                                                           : OTLP_LOGS;
    char why[600];
    int rc = otlp_check(sig, doc, why, sizeof why);
    if (rc != want) print_error("%s: rc %d (%s), want %d\n", path, rc, why, want);
    assert_int_equal(rc, want);
    json_decref(doc);
    n++;
  }
  closedir(d);
  assert_true(n >= 3);
}

static void test_decoder_fixtures(void **state) {
  (void)state;
  check_dir("good", 0);
  check_dir("bad", -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_documents), cmocka_unit_test(test_trace_rules),
      cmocka_unit_test(test_metric_rules),   cmocka_unit_test(test_log_rules),
      cmocka_unit_test(test_request_rules),  cmocka_unit_test(test_decoder_fixtures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
