/*
 * test_otlp_encode - spans and log records into OTLP/JSON: ids as
 * lower-case hex, enums as integers, 64-bit values as decimal strings,
 * scopes per reporting plugin, status and severity mapping, the resource,
 * invalid UTF-8, and owned copies of records from older producers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otlp_json.h"

static const char *const res_attrs[] = {"deployment.environment", "test", NULL};
static const vbx_otlp_resource res = {"svc", "1.2.3", res_attrs};

static vbx_span_data span(const char *name, const char *plugin, uint64_t id, uint64_t parent) {
  vbx_span_data s = {.struct_size = sizeof(s),
                     .name = name,
                     .plugin = plugin,
                     .trace_id_hi = 0x0123456789ABCDEFull,
                     .trace_id_lo = 0xFEDCBA9876543210ull,
                     .span_id = id,
                     .parent_span_id = parent,
                     .start_ns = 1700000000123456789ull,
                     .end_ns = 1700000001123456789ull,
                     .kind = VBX_SPAN_CLIENT};
  return s;
}

/* The value of the attribute `key` in a KeyValue array, as stringValue. */
static const char *attr(json_t *arr, const char *key) {
  size_t i;
  json_t *kv;
  json_array_foreach(arr, i, kv) {
    if (strcmp(json_string_value(json_object_get(kv, "key")), key) == 0)
      return json_string_value(json_object_get(json_object_get(kv, "value"), "stringValue"));
  }
  return NULL;
}

static json_t *first_span(json_t *doc) {
  json_t *rs = json_array_get(json_object_get(doc, "resourceSpans"), 0);
  json_t *ss = json_array_get(json_object_get(rs, "scopeSpans"), 0);
  return json_array_get(json_object_get(ss, "spans"), 0);
}

static void test_span_fields(void **state) {
  (void)state;
  const char *attrs[] = {"gen_ai.request.model", "m1", NULL};
  vbx_span_data s = span("llm.call", "voidbox", 0xABCull, 0);
  s.attrs = attrs;
  s.box = "coder";
  const vbx_span_data *list[] = {&s};
  json_t *doc = vbx_otlp_traces_json(&res, list, 1);
  assert_non_null(doc);
  char *text = json_dumps(doc, JSON_COMPACT);
  assert_non_null(text);
  free(text);
  json_t *sp = first_span(doc);
  assert_string_equal(json_string_value(json_object_get(sp, "traceId")),
                      "0123456789abcdeffedcba9876543210");
  assert_string_equal(json_string_value(json_object_get(sp, "spanId")), "0000000000000abc");
  assert_null(json_object_get(sp, "parentSpanId")); /* a root */
  assert_string_equal(json_string_value(json_object_get(sp, "name")), "llm.call");
  assert_true(json_is_integer(json_object_get(sp, "kind")));
  assert_int_equal(json_integer_value(json_object_get(sp, "kind")), 3);
  assert_string_equal(json_string_value(json_object_get(sp, "startTimeUnixNano")),
                      "1700000000123456789");
  assert_string_equal(json_string_value(json_object_get(sp, "endTimeUnixNano")),
                      "1700000001123456789");
  json_t *a = json_object_get(sp, "attributes");
  assert_string_equal(attr(a, "gen_ai.request.model"), "m1");
  assert_string_equal(attr(a, "voidbox.box"), "coder");
  json_t *st = json_object_get(sp, "status");
  assert_int_equal(json_integer_value(json_object_get(st, "code")), 1);
  assert_null(json_object_get(st, "message"));
  /* the resource */
  json_t *r = json_object_get(json_array_get(json_object_get(doc, "resourceSpans"), 0), "resource");
  json_t *ra = json_object_get(r, "attributes");
  assert_string_equal(attr(ra, "service.name"), "svc");
  assert_string_equal(attr(ra, "service.version"), "1.2.3");
  assert_string_equal(attr(ra, "deployment.environment"), "test");
  json_decref(doc);
}

static void test_parent_and_status(void **state) {
  (void)state;
  vbx_span_data a = span("child", NULL, 2, 0x1111222233334444ull);
  a.status = VBX_E_TIMEOUT;
  a.status_message = "took too long";
  vbx_span_data b = span("bare", NULL, 3, 1);
  b.status = VBX_E_TIMEOUT;
  vbx_span_data c = span("odd kind", NULL, 4, 0);
  c.kind = 42;
  const vbx_span_data *list[] = {&a, &b, &c};
  json_t *doc = vbx_otlp_traces_json(&res, list, 3);
  json_t *spans = json_object_get(
      json_array_get(
          json_object_get(json_array_get(json_object_get(doc, "resourceSpans"), 0), "scopeSpans"),
          0),
      "spans");
  json_t *sa = json_array_get(spans, 0), *sb = json_array_get(spans, 1),
         *sc = json_array_get(spans, 2);
  assert_string_equal(json_string_value(json_object_get(sa, "parentSpanId")), "1111222233334444");
  json_t *st = json_object_get(sa, "status");
  assert_int_equal(json_integer_value(json_object_get(st, "code")), 2);
  assert_string_equal(json_string_value(json_object_get(st, "message")), "took too long");
  st = json_object_get(sb, "status");
  assert_int_equal(json_integer_value(json_object_get(st, "code")), 2);
  assert_string_equal(json_string_value(json_object_get(st, "message")), "VBX_E_TIMEOUT");
  assert_int_equal(json_integer_value(json_object_get(sc, "kind")), 1); /* INTERNAL */
  json_decref(doc);
}

static void test_scope_grouping(void **state) {
  (void)state;
  vbx_span_data s[5] = {span("a", NULL, 1, 0), span("b", "llm-openai", 2, 1),
                        span("c", "voidbox", 3, 1), span("d", "skill-mcp", 4, 1),
                        span("e", "llm-openai", 5, 1)};
  const vbx_span_data *list[] = {&s[0], &s[1], &s[2], &s[3], &s[4]};
  json_t *doc = vbx_otlp_traces_json(&res, list, 5);
  json_t *rs = json_object_get(doc, "resourceSpans");
  assert_int_equal(json_array_size(rs), 1);
  json_t *scopes = json_object_get(json_array_get(rs, 0), "scopeSpans");
  assert_int_equal(json_array_size(scopes), 3);
  const char *names[] = {"voidbox", "voidbox.plugin.llm-openai", "voidbox.plugin.skill-mcp"};
  const size_t counts[] = {2, 2, 1};
  for (size_t i = 0; i < 3; i++) {
    json_t *ss = json_array_get(scopes, i);
    json_t *scope = json_object_get(ss, "scope");
    assert_string_equal(json_string_value(json_object_get(scope, "name")), names[i]);
    assert_string_equal(json_string_value(json_object_get(scope, "version")), "1.2.3");
    assert_int_equal(json_array_size(json_object_get(ss, "spans")), counts[i]);
  }
  json_t *e = json_array_get(json_object_get(json_array_get(scopes, 1), "spans"), 1);
  assert_string_equal(json_string_value(json_object_get(e, "name")), "e");
  json_decref(doc);
}

/* OTLP attribute keys are unique and non-empty; a span has a name. */
static void test_unique_keys_and_names(void **state) {
  (void)state;
  const char *attrs[] = {"k", "1", "", "x", "j", "2", "k", "3", "voidbox.box", "own", NULL};
  vbx_span_data s = span("", NULL, 1, 0);
  s.attrs = attrs;
  s.box = "b";
  const vbx_span_data *list[] = {&s};
  json_t *doc = vbx_otlp_traces_json(&res, list, 1);
  json_t *sp = first_span(doc);
  assert_string_equal(json_string_value(json_object_get(sp, "name")), "unnamed");
  json_t *a = json_object_get(sp, "attributes");
  assert_int_equal(json_array_size(a), 3);
  assert_string_equal(attr(a, "j"), "2");
  assert_string_equal(attr(a, "k"), "3");
  assert_string_equal(attr(a, "voidbox.box"), "own");
  assert_null(attr(a, ""));
  json_decref(doc);
}

static void test_invalid_utf8(void **state) {
  (void)state;
  const char *attrs[] = {"k", "a\xC0\xAFz", NULL};
  vbx_span_data s = span("bad \xFF name", NULL, 1, 0);
  s.attrs = attrs;
  const vbx_span_data *list[] = {&s};
  json_t *doc = vbx_otlp_traces_json(&res, list, 1);
  assert_non_null(doc);
  char *text = json_dumps(doc, JSON_COMPACT);
  assert_non_null(text);
  free(text);
  json_t *sp = first_span(doc);
  assert_string_equal(json_string_value(json_object_get(sp, "name")), "bad \xEF\xBF\xBD name");
  assert_string_equal(attr(json_object_get(sp, "attributes"), "k"), "a\xEF\xBF\xBD\xEF\xBF\xBDz");
  json_decref(doc);
}

static void test_resource_service_name_from_attrs(void **state) {
  (void)state;
  const char *attrs[] = {"service.name", "from-attrs", NULL};
  vbx_otlp_resource r = {"ignored", NULL, attrs};
  const vbx_span_data *list[] = {NULL};
  json_t *doc = vbx_otlp_traces_json(&r, list, 0);
  json_t *ra = json_object_get(
      json_object_get(json_array_get(json_object_get(doc, "resourceSpans"), 0), "resource"),
      "attributes");
  assert_int_equal(json_array_size(ra), 1);
  assert_string_equal(attr(ra, "service.name"), "from-attrs");
  json_decref(doc);
}

static void test_log_records(void **state) {
  (void)state;
  vbx_log_data recs[6];
  const vbx_log_data *list[6];
  const int want_num[] = {1, 5, 9, 13, 17, 17}; /* out of range: the nearest */
  const char *want_text[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "ERROR"};
  for (int i = 0; i < 6; i++) {
    recs[i] = (vbx_log_data){.struct_size = sizeof(vbx_log_data),
                             .time_ns = 1700000000000000001ull + (uint64_t)i,
                             .level = (vbx_log_level)i,
                             .origin = i % 2 ? "llm-openai" : "voidbox",
                             .box = i == 2 ? "b1" : NULL,
                             .body = "hello"};
    list[i] = &recs[i];
  }
  recs[3].trace_id_hi = 1;
  recs[3].span_id = 0xFFull;
  recs[4].trace_id_lo = 7; /* without a span id: neither is sent */
  recs[5].time_ns = 0;     /* observed now */
  json_t *doc = vbx_otlp_logs_json(&res, list, 6);
  assert_non_null(doc);
  json_t *rl = json_array_get(json_object_get(doc, "resourceLogs"), 0);
  assert_non_null(json_object_get(rl, "resource"));
  json_t *sl = json_array_get(json_object_get(rl, "scopeLogs"), 0);
  assert_string_equal(json_string_value(json_object_get(json_object_get(sl, "scope"), "name")),
                      "voidbox");
  json_t *lr = json_object_get(sl, "logRecords");
  assert_int_equal(json_array_size(lr), 6);
  for (size_t i = 0; i < 6; i++) {
    json_t *r = json_array_get(lr, i);
    assert_true(json_is_integer(json_object_get(r, "severityNumber")));
    assert_int_equal(json_integer_value(json_object_get(r, "severityNumber")), want_num[i]);
    if (want_text[i])
      assert_string_equal(json_string_value(json_object_get(r, "severityText")), want_text[i]);
    else
      assert_null(json_object_get(r, "severityText"));
    assert_true(json_is_string(json_object_get(r, "timeUnixNano")));
    assert_true(json_is_string(json_object_get(r, "observedTimeUnixNano")));
    if (i == 5)
      assert_true(strtoull(json_string_value(json_object_get(r, "observedTimeUnixNano")), NULL,
                           10) > 1600000000000000000ull);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "body"), "stringValue")), "hello");
    json_t *a = json_object_get(r, "attributes");
    assert_string_equal(attr(a, "voidbox.origin"), i % 2 ? "llm-openai" : "voidbox");
    if (i == 2) assert_string_equal(attr(a, "voidbox.box"), "b1");
    if (i == 3) {
      assert_string_equal(json_string_value(json_object_get(r, "traceId")),
                          "00000000000000010000000000000000");
      assert_string_equal(json_string_value(json_object_get(r, "spanId")), "00000000000000ff");
    } else {
      assert_null(json_object_get(r, "traceId"));
      assert_null(json_object_get(r, "spanId"));
    }
  }
  assert_string_equal(json_string_value(json_object_get(json_array_get(lr, 0), "timeUnixNano")),
                      "1700000000000000001");
  json_decref(doc);
}

/* A producer built for ABI 1.3 sends a span without kind, status_message
 * and box: the copy reads them as zero/NULL whatever follows in memory. */
static void test_dup_older_struct_size(void **state) {
  (void)state;
  const char *attrs[] = {"a", "1", "b", "2", NULL};
  vbx_span_data s = span("old", "p", 7, 6);
  s.attrs = attrs;
  s.status = VBX_E_IO;
  s.kind = 99;
  s.status_message = (const char *)0x1; /* garbage past struct_size */
  s.box = (const char *)0x2;
  s.struct_size = (uint32_t)offsetof(vbx_span_data, kind);
  vbx_span_data *d = vbx_otlp_span_dup(&s);
  assert_non_null(d);
  assert_int_equal(d->struct_size, sizeof(vbx_span_data));
  assert_string_equal(d->name, "old");
  assert_string_equal(d->plugin, "p");
  assert_int_equal(d->span_id, 7);
  assert_int_equal(d->parent_span_id, 6);
  assert_int_equal(d->status, VBX_E_IO);
  assert_int_equal(d->kind, 0);
  assert_null(d->status_message);
  assert_null(d->box);
  assert_string_equal(d->attrs[2], "b");
  assert_string_equal(d->attrs[3], "2");
  assert_null(d->attrs[4]);
  assert_true(d->attrs != attrs && d->name != s.name);
  /* encoding the copy: kind 0 becomes INTERNAL */
  const vbx_span_data *list[] = {d};
  json_t *doc = vbx_otlp_traces_json(&res, list, 1);
  assert_int_equal(json_integer_value(json_object_get(first_span(doc), "kind")), 1);
  json_decref(doc);
  vbx_otlp_span_free(d);
  /* a shorter log record too: only the fields it covers */
  vbx_log_data r = {.struct_size = (uint32_t)offsetof(vbx_log_data, box),
                    .time_ns = 5,
                    .level = VBX_LOG_WARN,
                    .origin = "o",
                    .box = (const char *)0x3,
                    .body = (const char *)0x4};
  vbx_log_data *dl = vbx_otlp_log_dup(&r);
  assert_non_null(dl);
  assert_int_equal(dl->time_ns, 5);
  assert_string_equal(dl->origin, "o");
  assert_null(dl->box);
  assert_null(dl->body);
  vbx_otlp_log_free(dl);
  vbx_otlp_span_free(NULL);
  vbx_otlp_log_free(NULL);
}

static void test_dup_bounds(void **state) {
  (void)state;
  size_t big = 70000;
  char *value = malloc(big + 1);
  assert_non_null(value);
  memset(value, 'x', big);
  memcpy(value + 65535, "\xE2\x82\xAC", 3); /* a euro sign across the cut */
  value[big] = '\0';
  const char **attrs = calloc(2 * 300 + 1, sizeof(*attrs));
  assert_non_null(attrs);
  for (size_t i = 0; i < 300; i++) {
    attrs[2 * i] = "k";
    attrs[2 * i + 1] = i == 0 ? value : "v";
  }
  vbx_span_data s = span("n", NULL, 1, 0);
  s.attrs = attrs;
  vbx_span_data *d = vbx_otlp_span_dup(&s);
  assert_non_null(d);
  assert_int_equal(strlen(d->attrs[1]), 65535); /* cut before the euro sign */
  size_t pairs = 0;
  while (d->attrs[2 * pairs] != NULL)
    pairs++;
  assert_int_equal(pairs, 256);
  vbx_otlp_span_free(d);
  vbx_log_data r = {.struct_size = sizeof(r), .body = value, .origin = "o"};
  vbx_log_data *dl = vbx_otlp_log_dup(&r);
  assert_int_equal(strlen(dl->body), 65535);
  vbx_otlp_log_free(dl);
  free(attrs);
  free(value);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_span_fields),
      cmocka_unit_test(test_parent_and_status),
      cmocka_unit_test(test_scope_grouping),
      cmocka_unit_test(test_unique_keys_and_names),
      cmocka_unit_test(test_invalid_utf8),
      cmocka_unit_test(test_resource_service_name_from_attrs),
      cmocka_unit_test(test_log_records),
      cmocka_unit_test(test_dup_older_struct_size),
      cmocka_unit_test(test_dup_bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
