/*
 * test_result_json.c - vbx_result_to_json: every key and its type, parsed
 * back with jansson; status names; accessors on NULL and out of range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"

static vbx_runtime *rt;

static void keys_exactly(const json_t *o, const char *const *keys) {
  size_t n = 0;
  for (; keys[n]; n++)
    assert_non_null(json_object_get(o, keys[n]));
  assert_int_equal(json_object_size(o), n);
}

static void test_report_shape(void **state) {
  (void)state;
  fake_reset();
  const char *s =
      "[{\"tool\":\"write_file\",\"input\":{\"path\":\"/o.json\",\"content\":"
      "\"{\\\"k\\\":[1,2]}\"}},{\"text\":\"done\"}]";
  vbx_box *a = fake_box("a", s);
  a->output_file = strdup("/o.json");
  vbx_box *fo[2] = {fake_box("b", "[{\"text\":\"B\"}]"), fake_box("c", "[{\"error\":\"nope\"}]")};
  vbx_pipeline *p = vbx_pipeline_named("report");
  vbx_pipeline_pipe(p, a);
  vbx_pipeline_fan_out(p, fo, 2);
  /* b's result must not depend on whether it finished before c failed */
  vbx_pipeline_fail_fast(p, 0);
  vbx_pipeline_pipe(p, fake_box("d", "[{\"text\":\"D\"}]"));
  vbx_result *res = NULL;
  vbx_error err;
  assert_int_equal(vbx_pipeline_run(rt, p, NULL, &res, &err), 0);
  char *text = vbx_result_to_json(res);
  assert_non_null(text);
  json_error_t je;
  json_t *root = json_loads(text, 0, &je);
  assert_non_null(root);

  static const char *const top[] = {
      "schema_version",    "name", "status", "error", "stages", "totals", "trace_id",
      "telemetry_dropped", NULL};
  keys_exactly(root, top);
  /* the run's trace: 32 lower-case hex digits, as vbx_result_trace_id */
  const char *tid = json_string_value(json_object_get(root, "trace_id"));
  assert_non_null(tid);
  assert_int_equal(strlen(tid), 32);
  assert_int_equal(strspn(tid, "0123456789abcdef"), 32);
  assert_string_equal(tid, vbx_result_trace_id(res));
  assert_int_equal(json_integer_value(json_object_get(root, "telemetry_dropped")), 0);
  assert_string_equal(json_string_value(json_object_get(root, "name")), "report");
  assert_string_equal(json_string_value(json_object_get(root, "status")), "failed");
  assert_string_equal(json_string_value(json_object_get(root, "error")),
                      "stage 'fan_out[b,c]': box 'c' failed: nope");
  json_t *stages = json_object_get(root, "stages");
  assert_true(json_is_array(stages));
  assert_int_equal(json_array_size(stages), 3);
  static const char *const stage_keys[] = {"name", "boxes", NULL};
  static const char *const box_keys[] = {"name",
                                         "status",
                                         "error",
                                         "error_code",
                                         "output",
                                         "model",
                                         "turns",
                                         "input_tokens",
                                         "output_tokens",
                                         "cache_read_tokens",
                                         "cache_write_tokens",
                                         "cost_usd",
                                         "duration_ms",
                                         "tool_calls",
                                         NULL};
  static const char *const call_keys[] = {"name",     "input",       "output",
                                          "is_error", "duration_ms", NULL};
  const char *want_status[] = {"ok", "ok", "failed", "skipped"};
  size_t k = 0;
  for (size_t i = 0; i < 3; i++) {
    json_t *st = json_array_get(stages, i);
    keys_exactly(st, stage_keys);
    assert_true(json_is_string(json_object_get(st, "name")));
    json_t *boxes = json_object_get(st, "boxes");
    assert_true(json_is_array(boxes));
    for (size_t j = 0; j < json_array_size(boxes); j++, k++) {
      json_t *b = json_array_get(boxes, j);
      if (i == 0) {
        static const char *const with_so[] = {"name",
                                              "status",
                                              "error",
                                              "error_code",
                                              "output",
                                              "model",
                                              "turns",
                                              "input_tokens",
                                              "output_tokens",
                                              "cache_read_tokens",
                                              "cache_write_tokens",
                                              "cost_usd",
                                              "duration_ms",
                                              "tool_calls",
                                              "structured_output",
                                              NULL};
        keys_exactly(b, with_so);
        json_t *so = json_object_get(b, "structured_output");
        assert_true(json_is_object(so));
        assert_int_equal(json_array_size(json_object_get(so, "k")), 2);
      } else {
        keys_exactly(b, box_keys);
      }
      assert_string_equal(json_string_value(json_object_get(b, "status")), want_status[k]);
      assert_true(json_is_string(json_object_get(b, "name")));
      assert_true(json_is_string(json_object_get(b, "output")));
      json_t *e = json_object_get(b, "error");
      assert_true(k == 2 ? json_is_string(e) : json_is_null(e));
      json_t *ec = json_object_get(b, "error_code");
      if (k == 2)
        assert_string_equal(json_string_value(ec), "VBX_E_PROVIDER");
      else
        assert_true(json_is_null(ec));
      assert_true(json_is_integer(json_object_get(b, "turns")));
      assert_true(json_is_integer(json_object_get(b, "input_tokens")));
      assert_true(json_is_integer(json_object_get(b, "output_tokens")));
      assert_true(json_is_real(json_object_get(b, "cost_usd")));
      assert_true(json_is_number(json_object_get(b, "duration_ms")));
      json_t *calls = json_object_get(b, "tool_calls");
      assert_true(json_is_array(calls));
      assert_int_equal(json_array_size(calls), k == 0 ? 1 : 0);
      for (size_t c = 0; c < json_array_size(calls); c++) {
        json_t *call = json_array_get(calls, c);
        keys_exactly(call, call_keys);
        assert_string_equal(json_string_value(json_object_get(call, "name")), "write_file");
        assert_true(json_is_string(json_object_get(call, "input")));
        assert_string_equal(json_string_value(json_object_get(call, "output")),
                            "wrote 11 bytes to /o.json");
        assert_true(json_is_number(json_object_get(call, "duration_ms")));
        assert_true(json_is_false(json_object_get(call, "is_error")));
      }
    }
  }
  assert_int_equal(k, 4);
  json_t *b0 = json_array_get(json_object_get(json_array_get(stages, 0), "boxes"), 0);
  assert_string_equal(json_string_value(json_object_get(b0, "output")), "done");
  assert_int_equal(json_integer_value(json_object_get(b0, "turns")), 2);

  static const char *const tot_keys[] = {"input_tokens", "output_tokens", "cost_usd", "duration_ms",
                                         NULL};
  json_t *tot = json_object_get(root, "totals");
  keys_exactly(tot, tot_keys);
  /* a: 2 turns, b: 1, c: 1 (failed turn still counted), d: skipped */
  assert_int_equal(json_integer_value(json_object_get(tot, "input_tokens")), 40);
  assert_int_equal(json_integer_value(json_object_get(tot, "output_tokens")), 20);
  assert_true(json_real_value(json_object_get(tot, "cost_usd")) > 0.99);
  assert_true(json_is_number(json_object_get(tot, "duration_ms")));

  /* Read back: the same report, statuses and text derived again. */
  vbx_result *back = NULL;
  assert_int_equal(vbx_result_from_json(text, strlen(text), &back, &err), 0);
  char *again = vbx_result_to_json(back);
  assert_string_equal(again, text);
  assert_int_equal(vbx_result_status(back), VBX_STATUS_FAILED);
  assert_string_equal(vbx_result_text(back), vbx_result_text(res));
  assert_int_equal(vbx_result_stage_count(back), 3);
  const vbx_box_result *c = vbx_result_box(back, 1, 1);
  assert_string_equal(vbx_box_result_error(c), "nope");
  vbx_free(again);
  vbx_result_free(back);
  json_decref(root);
  vbx_free(text);
  vbx_result_free(res);
  vbx_pipeline_free(p);
}

/* A report that is not what the writer makes is refused, naming the path. */
static void test_from_json_errors(void **state) {
  (void)state;
  static const struct {
    const char *json, *want;
  } cases[] = {
      {"[]", "$: not an object"},
      {"{\"name\":\"p\",\"status\":\"ok\",\"error\":null,\"stages\":{}}",
       "stages: missing or not a list"},
      {"{\"name\":\"p\",\"status\":\"weird\",\"error\":null,\"stages\":[]}",
       "$.status: unknown status"},
      {"{\"name\":\"p\",\"status\":\"ok\",\"error\":null,\"stages\":[{\"name\":\"s\","
       "\"boxes\":[{\"name\":\"b\",\"status\":\"ok\",\"error\":null,\"error_code\":null,"
       "\"output\":\"\",\"model\":null,\"turns\":-1}]}]}",
       "stages[0].boxes[0].turns: not a non-negative integer"},
      {"{\"name\":1}", "$.name: not a string"},
      {"{\"a\":1,\"a\":2}", "JSON error"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    vbx_result *r = (vbx_result *)1;
    vbx_error err;
    memset(&err, 0, sizeof(err));
    assert_int_not_equal(vbx_result_from_json(cases[i].json, strlen(cases[i].json), &r, &err), 0);
    assert_null(r);
    if (strstr(err.message, cases[i].want) == NULL)
      fail_msg("%s: got '%s'", cases[i].want, err.message);
  }
}

static void test_names_and_null(void **state) {
  (void)state;
  assert_string_equal(vbx_status_name(VBX_STATUS_OK), "ok");
  assert_string_equal(vbx_status_name(VBX_STATUS_FAILED), "failed");
  assert_string_equal(vbx_status_name(VBX_STATUS_CANCELLED), "cancelled");
  assert_string_equal(vbx_status_name(VBX_STATUS_SKIPPED), "skipped");
  assert_string_equal(vbx_status_name((vbx_status)99), "unknown");
  assert_string_equal(vbx_result_text(NULL), "");
  assert_null(vbx_result_box(NULL, 0, 0));
  assert_null(vbx_result_to_json(NULL));
  assert_int_equal(vbx_box_result_tool_call(NULL, 0, NULL, NULL, NULL, NULL), VBX_E_NOTFOUND);
  vbx_result_free(NULL);
}

int main(void) {
  rt = fake_runtime();
  if (rt == NULL) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_report_shape),
      cmocka_unit_test(test_names_and_null),
      cmocka_unit_test(test_from_json_errors),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vbx_runtime_free(rt);
  fake_reset();
  return rc;
}
