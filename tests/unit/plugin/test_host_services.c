/*
 * tests/unit/plugin/test_host_services.c - the host-services table a
 * plugin receives: JSON handles, errors, config, allocator, logging,
 * telemetry, and the size-first struct reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugin/abi.h"
#include "plugin/registry.h"

static const vbx_host_services *H;
static char logbuf[8192];

static void capture(void *user, vbx_log_level level, const char *origin, const char *msg) {
  (void)user;
  size_t n = strlen(logbuf);
  snprintf(logbuf + n, sizeof(logbuf) - n, "[%s/%d] %s\n", origin, (int)level, msg);
}

static int init(const vbx_host_services *h, const vbx_registrar *r, void **st) {
  (void)r;
  H = h;
  *st = NULL;
  return 0;
}

VBX_PLUGIN_DEFINE("hs-test", "0.0.1", "MIT", "host services test plugin", init, NULL)

static vbx__registry *REG;

static int setup(void **s) {
  (void)s;
  const char *cfg[] = {"llm.base_url=http://x", "flag=", NULL};
  vbx__logger log = {VBX_LOG_INFO, capture, NULL, 0};
  vbx_error err = {0};
  if (vbx__registry_new(&log, cfg, &REG)) return -1;
  if (vbx__registry_load_entry(REG, vbx_plugin_entry_v1, "in-process", &err)) return -1;
  return 0;
}

static int teardown(void **s) {
  (void)s;
  vbx__registry_free(REG);
  return 0;
}

static void test_json_round_trip(void **s) {
  (void)s;
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  const char *text = "{\"z\":1,\"a\":[true,null,2.5,\"s\\u00e9\"],\"m\":{\"k\":-7}}";
  vbx_json *v = H->json_parse(text, strlen(text), &c);
  assert_non_null(v);
  assert_int_equal(H->json_type(v), VBX_JSON_OBJECT);
  assert_int_equal(H->json_object_size(v), 3);
  vbx_json *val = NULL;
  /* insertion order, not sorted */
  assert_string_equal(H->json_object_key_at(v, 0, &val), "z");
  assert_int_equal(H->json_integer_value(val), 1);
  assert_string_equal(H->json_object_key_at(v, 1, &val), "a");
  assert_string_equal(H->json_object_key_at(v, 2, NULL), "m");
  assert_null(H->json_object_key_at(v, 3, &val));
  assert_null(val);
  vbx_json *arr = H->json_object_get(v, "a");
  assert_int_equal(H->json_array_size(arr), 4);
  assert_true(H->json_is_true(H->json_array_get(arr, 0)));
  assert_int_equal(H->json_type(H->json_array_get(arr, 1)), VBX_JSON_NULL);
  assert_true(H->json_number_value(H->json_array_get(arr, 2)) == 2.5);
  assert_string_equal(H->json_string_value(H->json_array_get(arr, 3)), "s\xc3\xa9");
  assert_int_equal(H->json_string_length(H->json_array_get(arr, 3)), 3);
  assert_null(H->json_array_get(arr, 4));
  assert_int_equal(H->json_integer_value(H->json_object_get(H->json_object_get(v, "m"), "k")), -7);
  assert_null(H->json_string_value(arr));
  char *dump = H->json_dump(v);
  assert_string_equal(dump, "{\"z\":1,\"a\":[true,null,2.5,\"s\xc3\xa9\"],\"m\":{\"k\":-7}}");
  H->free(dump);
  H->json_decref(v);

  /* Build: setters steal, incref gives an extra reference. */
  vbx_json *o = H->json_object_new();
  vbx_json *list = H->json_array_new();
  assert_int_equal(H->json_array_append(list, H->json_integer_new(INT64_C(9007199254740993))), 0);
  assert_int_equal(H->json_array_append(list, H->json_real_new(0.5)), 0);
  assert_int_equal(H->json_array_append(list, H->json_bool_new(0)), 0);
  assert_int_equal(H->json_array_append(list, H->json_null_new()), 0);
  assert_int_equal(H->json_object_set(o, "b", list), 0);
  assert_int_equal(H->json_object_set(o, "a", H->json_string_new("x\0y", 3)), 0);
  vbx_json *kept = H->json_incref(H->json_object_get(o, "b"));
  assert_int_equal(H->json_object_set(o, NULL, H->json_null_new()), VBX_E_INVAL);
  assert_null(H->json_string_new("\xff", 1)); /* invalid UTF-8 */
  dump = H->json_dump(o);
  assert_string_equal(dump, "{\"b\":[9007199254740993,0.5,false,null],\"a\":\"x\\u0000y\"}");
  H->free(dump);
  H->json_decref(o);
  assert_int_equal(H->json_array_size(kept), 4); /* still alive */
  H->json_decref(kept);

  /* Parse errors name the position; duplicates are refused. */
  assert_null(H->json_parse("{\"a\":", 5, &c));
  assert_int_equal(c.code, VBX_E_PROTOCOL);
  assert_non_null(strstr(c.message, "line 1"));
  assert_null(H->json_parse("{\"a\":1,\"a\":2}", 13, &c));
  vbx_json *scalar = H->json_parse("42", 2, &c);
  assert_int_equal(H->json_integer_value(scalar), 42);
  H->json_decref(scalar);
}

static void test_errors_and_cancel(void **s) {
  (void)s;
  vbx__cancel cancel;
  atomic_init(&cancel.cancelled, 0);
  vbx_call c;
  vbx__call_init(&c, &cancel, NULL, 12345);
  assert_int_equal(H->set_error(&c, VBX_E_TOOL, "script", "no such step %d", 4), VBX_E_TOOL);
  assert_int_equal(c.code, VBX_E_TOOL);
  assert_string_equal(c.field, "script");
  assert_string_equal(c.message, "no such step 4");
  assert_int_equal(H->deadline_ns(&c), 12345);
  assert_int_equal(H->is_cancelled(&c), 1); /* deadline 12345 ns long past */
  vbx__call_init(&c, &cancel, NULL, 0);
  assert_int_equal(H->is_cancelled(&c), 0);
  vbx__cancel_set(&cancel);
  assert_int_equal(H->is_cancelled(&c), 1);
  assert_int_equal(H->set_error(NULL, VBX_E_IO, NULL, "outside init: dropped"), VBX_E_IO);
  uint64_t a = H->monotonic_ns(), b = H->monotonic_ns();
  assert_true(b >= a);
  assert_true(H->realtime_ns() > 1600000000ull * 1000000000ull);
}

static void test_config_and_alloc(void **s) {
  (void)s;
  assert_string_equal(H->config_get(H->ctx, "llm.base_url"), "http://x");
  assert_string_equal(H->config_get(H->ctx, "flag"), "");
  assert_null(H->config_get(H->ctx, "llm"));
  setenv("VOIDBOX_LLM_API_TIMEOUT", "30", 1);
  const char *v = H->config_get(H->ctx, "llm.api-timeout");
  assert_string_equal(v, "30");
  setenv("VOIDBOX_LLM_API_TIMEOUT", "31", 1);
  assert_string_equal(H->config_get(H->ctx, "llm.api-timeout"), "31");
  assert_string_equal(v, "30"); /* earlier pointer still valid */
  setenv("VOIDBOX_LLM_BASE_URL", "http://env", 1);
  assert_string_equal(H->config_get(H->ctx, "llm.base_url"), "http://x"); /* --set wins */
  unsetenv("VOIDBOX_LLM_API_TIMEOUT");
  unsetenv("VOIDBOX_LLM_BASE_URL");
  assert_null(H->config_get(H->ctx, "nothing.here"));

  unsigned char *p = H->alloc(64);
  for (int i = 0; i < 64; i++)
    assert_int_equal(p[i], 0);
  p = H->realloc(p, 128);
  assert_non_null(p);
  H->free(p);
  char *d = H->strndup("abcdef", 3);
  assert_string_equal(d, "abc");
  H->free(d);
  d = H->strdup("xyz");
  assert_string_equal(d, "xyz");
  H->free(d);
}

static void test_logging(void **s) {
  (void)s;
  logbuf[0] = '\0';
  H->log(H->ctx, VBX_LOG_WARN, "value %d", 5);
  H->log(H->ctx, VBX_LOG_DEBUG, "below the level");
  assert_string_equal(logbuf, "[hs-test/3] value 5\n");
  const vbx_host_services *core = vbx__host_services_core();
  assert_int_equal(core->struct_size, sizeof(vbx_host_services));
  assert_non_null(core->json_parse);
}

static int n_spans, n_metrics;
static vbx_span_data last_span;
static char last_attrs[256];
static uint64_t first_span_id;

static void sink(void *user, const vbx_span_data *sp, const vbx_metric_data *m) {
  assert_ptr_equal(user, &n_spans);
  if (sp) {
    n_spans++;
    last_span = *sp;
    last_attrs[0] = '\0';
    for (size_t i = 0; sp->attrs[i]; i += 2) {
      size_t n = strlen(last_attrs);
      snprintf(last_attrs + n, sizeof(last_attrs) - n, "%s=%s;", sp->attrs[i], sp->attrs[i + 1]);
    }
    assert_string_equal(sp->plugin, "hs-test");
  } else {
    n_metrics++;
    assert_string_equal(m->name, "tokens");
    assert_true(m->value == 12.0);
    assert_string_equal(m->unit, "1");
    assert_string_equal(m->plugin, "hs-test");
    assert_int_equal(m->kind, VBX_METRIC_COUNTER);
  }
}

static void test_telemetry(void **s) {
  (void)s;
  vbx__registry_set_telemetry(REG, sink, &n_spans);
  vbx_span *root = H->span_begin(H->ctx, "root", NULL);
  vbx_span *child = H->span_begin(H->ctx, "child", root);
  H->span_set_attr(child, "http.status", "200");
  H->span_set_attr(child, "k2", "v2");
  H->span_end(child, 0);
  assert_int_equal(n_spans, 1);
  assert_string_equal(last_attrs, "http.status=200;k2=v2;");
  first_span_id = last_span.span_id;
  uint64_t trace_lo = last_span.trace_id_lo, parent = last_span.parent_span_id;
  assert_true(last_span.end_ns >= last_span.start_ns);
  H->span_end(root, VBX_E_TIMEOUT);
  assert_int_equal(n_spans, 2);
  assert_non_null(last_span.status_message);
  assert_non_null(strstr(last_span.status_message, "VBX_E_TIMEOUT"));
  assert_int_equal(last_span.parent_span_id, 0);
  assert_int_equal(last_span.span_id, parent);
  assert_int_equal(last_span.trace_id_lo, trace_lo);
  assert_int_equal(last_span.status, VBX_E_TIMEOUT);
  assert_true(first_span_id != 0 && first_span_id != last_span.span_id);
  H->metric_add(H->ctx, "tokens", 12.0, "1");
  assert_int_equal(n_metrics, 1);
  vbx__registry_set_telemetry(REG, NULL, NULL);
  logbuf[0] = '\0';
  H->span_end(H->span_begin(H->ctx, "quiet", NULL), 0); /* default sink: TRACE, filtered */
  assert_int_equal(n_spans, 2);
  assert_string_equal(logbuf, "");
}

static void test_abi_copy_in(void **s) {
  (void)s;
  typedef struct {
    uint32_t struct_size;
    int a, b;
  } v2;
  typedef struct {
    uint32_t struct_size;
    int a;
  } v1;
  struct {
    v2 v;
    int extra;
  } v3;
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  v1 old = {sizeof(v1), 7};
  v2 out;
  memset(&out, 0xff, sizeof(out));
  assert_int_equal(vbx__abi_copy_in(&out, sizeof(out), &old, "v", &c), 0);
  assert_int_equal(out.a, 7);
  assert_int_equal(out.b, 0); /* zero-extended */
  assert_int_equal(out.struct_size, sizeof(v2));
  memset(&v3, 0, sizeof(v3));
  v3.v.struct_size = sizeof(v3);
  v3.v.a = 1;
  assert_int_equal(vbx__abi_copy_in(&out, sizeof(out), &v3, "v", &c), 0);
  v3.extra = 5;
  assert_int_equal(vbx__abi_copy_in(&out, sizeof(out), &v3, "v", &c), VBX_E_ABI);
  assert_non_null(strstr(c.message, "tail is not zero"));
  old.struct_size = 2;
  assert_int_equal(vbx__abi_copy_in(&out, sizeof(out), &old, "v", &c), VBX_E_ABI);
  assert_int_equal(vbx__abi_copy_in(&out, sizeof(out), NULL, "v", &c), VBX_E_INVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_round_trip),  cmocka_unit_test(test_errors_and_cancel),
      cmocka_unit_test(test_config_and_alloc), cmocka_unit_test(test_logging),
      cmocka_unit_test(test_telemetry),        cmocka_unit_test(test_abi_copy_in),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
