/*
 * tests/unit/plugin_options/test_popt.c - vbx_popt_string, _int, _bool and
 * _none: what each accepts, and for what it refuses the code, the field and
 * the message in each wording (terse, precise, between).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_host.h"
#include "popt.h"

#define H fake_host()

static fake_call c;

static vbx_json *parse(const char *s) {
  vbx_json *v = H->json_parse(s, strlen(s), NULL);
  assert_non_null(v);
  return v;
}

/* A vbx_popt reporting into c (cleared), with field "key". */
static vbx_popt opt(int precise, int code) {
  memset(&c, 0, sizeof(c));
  vbx_popt o = {.h = H,
                .call = (vbx_call *)&c,
                .field = "key",
                .what = "W",
                .code = code,
                .precise = precise};
  return o;
}

static void refused(int rc, int code, const char *field, const char *msg) {
  assert_int_equal(rc, code);
  assert_int_equal(c.code, code);
  assert_string_equal(c.field, field);
  assert_string_equal(c.message, msg);
}

/* vbx_popt_string on JSON text js, in wording w, bounds lo..hi; *out starts
 * as "old" and must be untouched on refusal. Returns the rc. */
static int str(int w, const char *js, size_t lo, size_t hi, char **out) {
  vbx_popt o = opt(w, VBX_E_SPEC);
  vbx_json *v = parse(js);
  int rc = vbx_popt_string(&o, v, lo, hi, out);
  H->json_decref(v);
  return rc;
}

static void test_string(void **state) {
  (void)state;
  char *out = strdup("old");
  /* accepted: a copy, the previous value freed */
  assert_int_equal(str(VBX_POPT_TERSE, "\"abc\"", 1, 3, &out), 0);
  assert_string_equal(out, "abc");
  assert_int_equal(str(VBX_POPT_PRECISE, "\"\"", 0, 3, &out), 0);
  assert_string_equal(out, "");
  assert_int_equal(c.code, 0);
  free(out);
  out = strdup("old");

  /* terse: the whole rule, whatever is wrong */
  refused(str(VBX_POPT_TERSE, "1", 0, 8, &out), VBX_E_SPEC, "key", "W must be a string");
  refused(str(VBX_POPT_TERSE, "1", 1, 8, &out), VBX_E_SPEC, "key", "W must be a non-empty string");
  refused(str(VBX_POPT_TERSE, "\"\"", 1, 8, &out), VBX_E_SPEC, "key",
          "W must be a non-empty string");
  refused(str(VBX_POPT_TERSE, "\"abcd\"", 1, 3, &out), VBX_E_SPEC, "key",
          "W must be a non-empty string");
  /* precise: over the limit is VBX_E_TOOBIG with the sizes */
  refused(str(VBX_POPT_PRECISE, "null", 1, 3, &out), VBX_E_SPEC, "key",
          "W must be a non-empty string");
  refused(str(VBX_POPT_PRECISE, "\"abcd\"", 0, 3, &out), VBX_E_TOOBIG, "key",
          "W is 4 bytes, over the 3-byte limit");
  refused(str(VBX_POPT_PRECISE, "\"\"", 1, 3, &out), VBX_E_SPEC, "key",
          "W must be a non-empty string");
  /* between: strings as terse */
  refused(str(VBX_POPT_BETWEEN, "true", 1, 3, &out), VBX_E_SPEC, "key",
          "W must be a non-empty string");
  refused(str(VBX_POPT_BETWEEN, "\"abcd\"", 1, 3, &out), VBX_E_SPEC, "key",
          "W must be a non-empty string");
  assert_string_equal(out, "old");
  free(out);
}

static int num(int w, const char *js, int64_t lo, int64_t hi, int64_t *out) {
  vbx_popt o = opt(w, VBX_E_INVAL);
  vbx_json *v = parse(js);
  int rc = vbx_popt_int(&o, v, lo, hi, out);
  H->json_decref(v);
  return rc;
}

static void test_int(void **state) {
  (void)state;
  int64_t n = 7;
  for (int w = VBX_POPT_TERSE; w <= VBX_POPT_BETWEEN; w++) {
    assert_int_equal(num(w, "0", 0, 255, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(num(w, "255", 0, 255, &n), 0);
    assert_int_equal(n, 255);
    assert_int_equal(num(w, "-5", -5, 5, &n), 0);
    assert_int_equal(n, -5);
  }
  n = 7;
  refused(num(VBX_POPT_TERSE, "\"1\"", 0, 255, &n), VBX_E_INVAL, "key",
          "W must be an integer in 0..255");
  refused(num(VBX_POPT_TERSE, "256", 0, 255, &n), VBX_E_INVAL, "key",
          "W must be an integer in 0..255");
  refused(num(VBX_POPT_PRECISE, "1.0", 0, 255, &n), VBX_E_INVAL, "key", "W must be an integer");
  refused(num(VBX_POPT_PRECISE, "300", 0, 255, &n), VBX_E_INVAL, "key", "W is 300, must be 0..255");
  refused(num(VBX_POPT_PRECISE, "-1", 0, 255, &n), VBX_E_INVAL, "key", "W is -1, must be 0..255");
  refused(num(VBX_POPT_BETWEEN, "true", 1, 10, &n), VBX_E_INVAL, "key", "W must be an integer");
  refused(num(VBX_POPT_BETWEEN, "0", 1, 10, &n), VBX_E_INVAL, "key",
          "W must be between 1 and 10 (got 0)");
  refused(num(VBX_POPT_BETWEEN, "11", 1, 10, &n), VBX_E_INVAL, "key",
          "W must be between 1 and 10 (got 11)");
  assert_int_equal(n, 7);
}

static void test_bool(void **state) {
  (void)state;
  int b = 5;
  for (int w = VBX_POPT_TERSE; w <= VBX_POPT_BETWEEN; w++) {
    vbx_popt o = opt(w, VBX_E_SPEC);
    vbx_json *t = parse("true"), *f = parse("false"), *one = parse("1");
    assert_int_equal(vbx_popt_bool(&o, t, &b), 0);
    assert_int_equal(b, 1);
    assert_int_equal(vbx_popt_bool(&o, f, &b), 0);
    assert_int_equal(b, 0);
    b = 5;
    refused(vbx_popt_bool(&o, one, &b), VBX_E_SPEC, "key", "W must be true or false");
    assert_int_equal(b, 5);
    H->json_decref(t);
    H->json_decref(f);
    H->json_decref(one);
  }
  /* no field: the error has none */
  vbx_popt o = opt(VBX_POPT_TERSE, VBX_E_INVAL);
  o.field = NULL;
  vbx_json *s = parse("\"yes\"");
  refused(vbx_popt_bool(&o, s, &b), VBX_E_INVAL, "", "W must be true or false");
  H->json_decref(s);
}

static void test_none(void **state) {
  (void)state;
  memset(&c, 0, sizeof(c));
  assert_int_equal(vbx_popt_none(H, NULL, "llm-x", (vbx_call *)&c), 0);
  const char *fine[] = {"{}", "[1]", "\"s\"", "null"};
  for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
    vbx_json *v = parse(fine[i]);
    assert_int_equal(vbx_popt_none(H, v, "llm-x", (vbx_call *)&c), 0);
    H->json_decref(v);
  }
  assert_int_equal(c.code, 0);
  vbx_json *v = parse("{\"depth\":1}");
  refused(vbx_popt_none(H, v, "sandbox 'x'", (vbx_call *)&c), VBX_E_INVAL, "depth",
          "sandbox 'x' takes no option `depth`");
  H->json_decref(v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_string),
      cmocka_unit_test(test_int),
      cmocka_unit_test(test_bool),
      cmocka_unit_test(test_none),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
