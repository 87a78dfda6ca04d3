/*
 * test_otlp_read - reading OTLP/JSON trace files back: a round trip
 * through the encoder, JSON lines, lenient forms (upper-case hex, integer
 * times, typed attributes) and one test per error kind with its exact
 * "line N: PATH: message".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "otlp_json.h"

#define TID "\"0123456789abcdef0123456789abcdef\""
#define SID "\"00000000000000aa\""
#define SPAN(extra)                               \
  "{\"traceId\":" TID ",\"spanId\":" SID          \
  ",\"name\":\"s\",\"startTimeUnixNano\":\"10\"," \
  "\"endTimeUnixNano\":\"20\"" extra "}"
#define REQ(spans) "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" spans "]}]}]}"

static void expect_error(const char *text, int code, const char *why_want) {
  vbx_otlp_span_rec *recs = (vbx_otlp_span_rec *)1;
  size_t n = 99;
  char why[512];
  int rc = vbx_otlp_read_traces(text, strlen(text), &recs, &n, why, sizeof(why));
  if (rc != code || strcmp(why, why_want) != 0)
    print_error("rc %d why '%s'\nwant %d '%s'\n", rc, why, code, why_want);
  assert_int_equal(rc, code);
  assert_string_equal(why, why_want);
  assert_null(recs);
  assert_int_equal(n, 0);
}

static void test_round_trip(void **state) {
  (void)state;
  const char *attrs[] = {"tool", "bash", NULL};
  vbx_span_data a = {.struct_size = sizeof(a),
                     .name = "box",
                     .plugin = "voidbox",
                     .trace_id_hi = 0xAull,
                     .trace_id_lo = 0xBull,
                     .span_id = 1,
                     .start_ns = 1700000000000000000ull,
                     .end_ns = 1700000000500000000ull,
                     .kind = VBX_SPAN_INTERNAL,
                     .box = "b1"};
  vbx_span_data b = a;
  b.name = "tool.call";
  b.plugin = "skill-cli";
  b.span_id = 2;
  b.parent_span_id = 1;
  b.status = VBX_E_TOOL;
  b.status_message = "exit 1";
  b.attrs = attrs;
  b.kind = VBX_SPAN_CLIENT;
  const vbx_span_data *list[] = {&a, &b};
  vbx_otlp_resource res = {"svc", NULL, NULL};
  json_t *doc = vbx_otlp_traces_json(&res, list, 2);
  char *text = json_dumps(doc, JSON_INDENT(2));
  json_decref(doc);
  vbx_otlp_span_rec *recs = NULL;
  size_t n = 0;
  char why[256];
  assert_int_equal(vbx_otlp_read_traces(text, strlen(text), &recs, &n, why, sizeof(why)), 0);
  free(text);
  assert_int_equal(n, 2);
  assert_string_equal(recs[0].trace_id, "000000000000000a000000000000000b");
  assert_string_equal(recs[0].span_id, "0000000000000001");
  assert_string_equal(recs[0].parent_id, "");
  assert_string_equal(recs[0].name, "box");
  assert_string_equal(recs[0].scope, "voidbox");
  assert_string_equal(recs[0].box, "b1");
  assert_int_equal(recs[0].start_ns, 1700000000000000000ull);
  assert_int_equal(recs[0].end_ns, 1700000000500000000ull);
  assert_int_equal(recs[0].kind, 1);
  assert_int_equal(recs[0].status_code, 1);
  assert_null(recs[0].status_message);
  assert_string_equal(recs[1].parent_id, "0000000000000001");
  assert_string_equal(recs[1].scope, "voidbox.plugin.skill-cli");
  assert_int_equal(recs[1].kind, 3);
  assert_int_equal(recs[1].status_code, 2);
  assert_string_equal(recs[1].status_message, "exit 1");
  assert_string_equal(json_string_value(json_object_get(recs[1].attrs, "tool")), "bash");
  assert_string_equal(json_string_value(json_object_get(recs[1].attrs, "voidbox.box")), "b1");
  vbx_otlp_span_recs_free(recs, n);
}

static void test_json_lines(void **state) {
  (void)state;
  const char *text = REQ(SPAN("")) "\n\n  \r\n" REQ(SPAN("") "," SPAN("")) "\r\n";
  vbx_otlp_span_rec *recs = NULL;
  size_t n = 0;
  char why[256] = "x";
  assert_int_equal(vbx_otlp_read_traces(text, strlen(text), &recs, &n, why, sizeof(why)), 0);
  assert_string_equal(why, "");
  assert_int_equal(n, 3);
  vbx_otlp_span_recs_free(recs, n);
  /* an error on the third line names it */
  expect_error(REQ(SPAN("")) "\n" REQ(SPAN("")) "\n" REQ(SPAN(",\"kind\":9")), VBX_E_INVAL,
               "line 3: resourceSpans[0].scopeSpans[0].spans[0].kind: not an integer from 0 to 5");
  expect_error(REQ(SPAN("")) "\n\n{\"resourceSpans\": [}\n", VBX_E_INVAL,
               "line 3: JSON syntax error: unexpected token near '}' (column 20)");
}

static void test_lenient_forms(void **state) {
  (void)state;
  const char *text = REQ(
      "{\"traceId\":\"0123456789ABCDEF0123456789ABCDEF\",\"spanId\":\"00000000000000AA\","
      "\"parentSpanId\":\"\",\"startTimeUnixNano\":5,\"endTimeUnixNano\":\"18446744073709551615\","
      "\"attributes\":[{\"key\":\"i\",\"value\":{\"intValue\":\"-42\"}},"
      "{\"key\":\"j\",\"value\":{\"intValue\":7}},"
      "{\"key\":\"b\",\"value\":{\"boolValue\":true}},"
      "{\"key\":\"d\",\"value\":{\"doubleValue\":1.5}},"
      "{\"key\":\"n\",\"value\":{\"doubleValue\":\"NaN\"}},"
      "{\"key\":\"arr\",\"value\":{\"arrayValue\":{\"values\":[{\"stringValue\":\"x\"}]}}},"
      "{\"key\":\"empty\",\"value\":{}},{\"key\":\"none\"}]}");
  vbx_otlp_span_rec *recs = NULL;
  size_t n = 0;
  char why[256];
  int rc = vbx_otlp_read_traces(text, strlen(text), &recs, &n, why, sizeof(why));
  if (rc != 0) print_error("%s\n", why);
  assert_int_equal(rc, 0);
  assert_int_equal(n, 1);
  assert_string_equal(recs[0].trace_id, "0123456789abcdef0123456789abcdef");
  assert_string_equal(recs[0].span_id, "00000000000000aa");
  assert_string_equal(recs[0].parent_id, "");
  assert_string_equal(recs[0].name, "");
  assert_null(recs[0].scope);
  assert_int_equal(recs[0].start_ns, 5);
  assert_int_equal(recs[0].end_ns, UINT64_MAX);
  assert_int_equal(recs[0].kind, 0);
  assert_int_equal(recs[0].status_code, 0);
  json_t *a = recs[0].attrs;
  assert_int_equal(json_integer_value(json_object_get(a, "i")), -42);
  assert_int_equal(json_integer_value(json_object_get(a, "j")), 7);
  assert_true(json_is_true(json_object_get(a, "b")));
  assert_true(json_real_value(json_object_get(a, "d")) == 1.5);
  assert_string_equal(json_string_value(json_object_get(a, "n")), "NaN");
  assert_string_equal(json_string_value(json_object_get(a, "arr")),
                      "{\"values\":[{\"stringValue\":\"x\"}]}");
  assert_null(json_object_get(a, "empty"));
  assert_null(json_object_get(a, "none"));
  vbx_otlp_span_recs_free(recs, n);
}

static void test_empty_inputs(void **state) {
  (void)state;
  const char *texts[] = {
      "", "  \n\t\r\n", "{}", "{\"resourceSpans\":[]}", "{\"resourceSpans\":[{}]}", REQ("")};
  for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
    vbx_otlp_span_rec *recs = (vbx_otlp_span_rec *)1;
    size_t n = 5;
    assert_int_equal(vbx_otlp_read_traces(texts[i], strlen(texts[i]), &recs, &n, NULL, 0), 0);
    assert_int_equal(n, 0);
    vbx_otlp_span_recs_free(recs, n);
  }
}

#define P "line 1: resourceSpans[0].scopeSpans[0].spans[0]"

static void test_id_errors(void **state) {
  (void)state;
  expect_error(REQ("{\"traceId\":\"0123\",\"spanId\":" SID "}"), VBX_E_INVAL,
               P ".traceId: not 32 hex digits");
  expect_error(REQ("{\"traceId\":\"0123456789abcdef0123456789abcdeg\",\"spanId\":" SID "}"),
               VBX_E_INVAL, P ".traceId: not 32 hex digits");
  expect_error(REQ("{\"traceId\":7,\"spanId\":" SID "}"), VBX_E_INVAL, P ".traceId: not a string");
  expect_error(REQ("{\"spanId\":" SID "}"), VBX_E_INVAL, P ".traceId: missing");
  expect_error(REQ("{\"traceId\":" TID ",\"spanId\":\"AQIDBAUGBwg=\"}"), VBX_E_INVAL,
               P ".spanId: not 16 hex digits");
  expect_error(REQ(SPAN(",\"parentSpanId\":\"abc\"")), VBX_E_INVAL,
               P ".parentSpanId: not 16 hex digits");
}

static void test_time_errors(void **state) {
  (void)state;
  expect_error(REQ("{\"traceId\":" TID ",\"spanId\":" SID ",\"endTimeUnixNano\":\"1\"}"),
               VBX_E_INVAL, P ".startTimeUnixNano: missing");
  expect_error(REQ("{\"traceId\":" TID ",\"spanId\":" SID
                   ",\"startTimeUnixNano\":\"1e9\",\"endTimeUnixNano\":\"1\"}"),
               VBX_E_INVAL,
               P
               ".startTimeUnixNano: not a decimal string or a non-negative integer of "
               "nanoseconds");
  expect_error(REQ("{\"traceId\":" TID ",\"spanId\":" SID
                   ",\"startTimeUnixNano\":-1,\"endTimeUnixNano\":\"1\"}"),
               VBX_E_INVAL,
               P
               ".startTimeUnixNano: not a decimal string or a non-negative integer of "
               "nanoseconds");
  expect_error(REQ("{\"traceId\":" TID ",\"spanId\":" SID
                   ",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"18446744073709551616\"}"),
               VBX_E_INVAL,
               P
               ".endTimeUnixNano: not a decimal string or a non-negative integer of "
               "nanoseconds");
  expect_error(REQ("{\"traceId\":" TID ",\"spanId\":" SID
                   ",\"startTimeUnixNano\":\"20\",\"endTimeUnixNano\":\"10\"}"),
               VBX_E_INVAL, P ".endTimeUnixNano: before startTimeUnixNano");
}

static void test_field_errors(void **state) {
  (void)state;
  expect_error(REQ(SPAN(",\"kind\":\"SPAN_KIND_CLIENT\"")), VBX_E_INVAL,
               P ".kind: not an integer from 0 to 5");
  expect_error(REQ(SPAN(",\"status\":{\"code\":3}")), VBX_E_INVAL,
               P ".status.code: not an integer from 0 to 2");
  expect_error(REQ(SPAN(",\"status\":{\"code\":2,\"message\":5}")), VBX_E_INVAL,
               P ".status.message: not a string");
  expect_error(REQ(SPAN(",\"status\":[]")), VBX_E_INVAL, P ".status: not an object");
  expect_error(REQ(SPAN(",\"attributes\":{}")), VBX_E_INVAL, P ".attributes: not an array");
  expect_error(REQ(SPAN(",\"attributes\":[{\"value\":{\"stringValue\":\"x\"}}]")), VBX_E_INVAL,
               P ".attributes[0].key: not a string");
  expect_error(REQ(SPAN(",\"attributes\":[{\"key\":\"a\",\"value\":{}},3]")), VBX_E_INVAL,
               P ".attributes[1]: not an object");
  expect_error(REQ(SPAN(",\"attributes\":[{\"key\":\"a\",\"value\":\"x\"}]")), VBX_E_INVAL,
               P ".attributes[0].value: not an object");
  expect_error(REQ(SPAN(",\"attributes\":[{\"key\":\"a\",\"value\":{\"intValue\":\"1x\"}}]")),
               VBX_E_INVAL, P ".attributes[0].value.intValue: not a valid intValue");
  expect_error(REQ(SPAN(",\"name\":[]")), VBX_E_INVAL, P ".name: not a string");
  expect_error(REQ("3"), VBX_E_INVAL,
               "line 1: resourceSpans[0].scopeSpans[0].spans[0]: not an object");
}

static void test_structure_errors(void **state) {
  (void)state;
  expect_error("[1]", VBX_E_INVAL, "line 1: not a JSON object");
  expect_error("\n\n  [1]", VBX_E_INVAL, "line 3: not a JSON object");
  expect_error("{\"resourceSpans\":{}}", VBX_E_INVAL, "line 1: resourceSpans: not an array");
  expect_error("{\"resourceSpans\":[1]}", VBX_E_INVAL, "line 1: resourceSpans[0]: not an object");
  expect_error("{\"resourceSpans\":[{\"scopeSpans\":\"x\"}]}", VBX_E_INVAL,
               "line 1: resourceSpans[0].scopeSpans: not an array");
  expect_error("{\"resourceSpans\":[{},{\"scopeSpans\":[{},null]}]}", VBX_E_INVAL,
               "line 1: resourceSpans[1].scopeSpans[1]: not an object");
  expect_error("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":{}}]}]}", VBX_E_INVAL,
               "line 1: resourceSpans[0].scopeSpans[0].spans: not an array");
  expect_error("{\"resourceSpans\":[{\"scopeSpans\":[{\"scope\":{\"name\":1}}]}]}", VBX_E_INVAL,
               "line 1: resourceSpans[0].scopeSpans[0].scope.name: not a string");
  expect_error("{\"resourceSpans\":[{\"scopeSpans\":[{\"scope\":[]}]}]}", VBX_E_INVAL,
               "line 1: resourceSpans[0].scopeSpans[0].scope: not an object");
  /* a document over several lines: jansson's own line and column */
  expect_error("{\n  \"resourceSpans\": [\n    x\n  ]\n}\n", VBX_E_INVAL,
               "line 3: JSON syntax error: invalid token near 'x' (column 5)");
  expect_error("{\"resourceSpans\":[]} trailing", VBX_E_INVAL,
               "line 1: JSON syntax error: end of file expected near 'trailing' (column 29)");
  /* the second span of the second scope of a later line */
  expect_error(
      "{}\n"
      "{\"resourceSpans\":[{\"scopeSpans\":[{},{\"spans\":[" SPAN("") ",{}]}]}]}",
      VBX_E_INVAL, "line 2: resourceSpans[0].scopeSpans[1].spans[1].traceId: missing");
}

static void test_size_limit(void **state) {
  (void)state;
  vbx_otlp_span_rec *recs = NULL;
  size_t n = 0;
  char why[256];
  /* the length is checked before a byte is read */
  assert_int_equal(vbx_otlp_read_traces("{}", ((size_t)256 << 20) + 1, &recs, &n, why, sizeof(why)),
                   VBX_E_LIMIT);
  assert_string_equal(why, "the input is 268435457 bytes, over the 268435456-byte (256 MiB) limit");
  /* a tiny why buffer is cut, not overrun */
  char small[8];
  assert_int_equal(vbx_otlp_read_traces("[1]", 3, &recs, &n, small, sizeof(small)), VBX_E_INVAL);
  assert_string_equal(small, "line 1:");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_json_lines),
      cmocka_unit_test(test_lenient_forms), cmocka_unit_test(test_empty_inputs),
      cmocka_unit_test(test_id_errors),     cmocka_unit_test(test_time_errors),
      cmocka_unit_test(test_field_errors),  cmocka_unit_test(test_structure_errors),
      cmocka_unit_test(test_size_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
