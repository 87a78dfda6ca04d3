/*
 * tests/abi/test_abi_inspect.c - vbx__plugin_inspect probes plugins in a
 * forked child: a report for a good plugin, the loader's error for a bad
 * one, the signal for a crashing constructor, a kill for a hanging one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "plugin/call.h"
#include "plugin/inspect.h"

#define FX(name) VBX_ABI_FIXTURE_DIR "/" name ".so"

static void test_inspect_good(void **s) {
  (void)s;
  char *report = NULL;
  vbx_error err = {0};
  int rc = vbx__plugin_inspect(FX("good"), 5000, &report, &err);
  if (rc) fail_msg("%s", err.message);
  json_error_t je;
  json_t *j = json_loads(report, 0, &je);
  assert_non_null(j);
  assert_string_equal(json_string_value(json_object_get(j, "name")), "abi-good");
  assert_string_equal(json_string_value(json_object_get(j, "version")), "1.2.3");
  assert_string_equal(json_string_value(json_object_get(j, "license")), "MIT");
  assert_non_null(json_string_value(json_object_get(j, "description")));
  assert_int_equal(json_integer_value(json_object_get(j, "abi_major")), VBX_ABI_MAJOR);
  assert_int_equal(json_integer_value(json_object_get(j, "abi_minor")), VBX_ABI_MINOR);
  assert_non_null(strstr(json_string_value(json_object_get(j, "path")), "/good.so"));
  json_t *regs = json_object_get(j, "registers");
  assert_int_equal(json_array_size(regs), 4);
  const char *kinds[] = {"skill", "llm", "sandbox", "exporter"};
  const char *names[] = {"fx-skill", "fx-llm", "fx-sandbox", "fx-exporter"};
  for (size_t i = 0; i < 4; i++) {
    json_t *e = json_array_get(regs, i);
    assert_string_equal(json_string_value(json_object_get(e, "kind")), kinds[i]);
    assert_string_equal(json_string_value(json_object_get(e, "name")), names[i]);
  }
  json_decref(j);
  free(report);
}

static void test_inspect_crash(void **s) {
  (void)s;
  char *report = NULL;
  vbx_error err = {0};
  int rc = vbx__plugin_inspect(FX("ctor_crash"), 5000, &report, &err);
  assert_int_equal(rc, VBX_E_PLUGIN);
  assert_null(report);
  if (!strstr(err.message, "plugin crashed while loading: signal 11 (SIGSEGV)"))
    fail_msg("unexpected: %s", err.message);
}

static void test_inspect_hang(void **s) {
  (void)s;
  char *report = NULL;
  vbx_error err = {0};
  uint64_t t0 = vbx__now_ns();
  int rc = vbx__plugin_inspect(FX("ctor_hang"), 300, &report, &err);
  uint64_t ms = (vbx__now_ns() - t0) / 1000000u;
  assert_int_equal(rc, VBX_E_TIMEOUT);
  assert_null(report);
  assert_non_null(strstr(err.message, "timed out after 300 ms"));
  assert_true(ms >= 250 && ms < 5000);
}

static void test_inspect_errors(void **s) {
  (void)s;
  char *report = NULL;
  vbx_error err = {0};
  assert_int_equal(vbx__plugin_inspect(FX("bad_magic"), 5000, &report, &err), VBX_E_ABI);
  assert_non_null(strstr(err.message, "bad magic 0x12345678, expected 0x50584256"));
  assert_int_equal(vbx__plugin_inspect(FX("init_fail"), 5000, &report, &err), VBX_E_PLUGIN);
  assert_non_null(strstr(err.message, "fixture init refuses"));
  assert_int_equal(vbx__plugin_inspect(FX("missing"), 5000, &report, &err), VBX_E_NOTFOUND);
  assert_null(report);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_inspect_good),
      cmocka_unit_test(test_inspect_crash),
      cmocka_unit_test(test_inspect_hang),
      cmocka_unit_test(test_inspect_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
