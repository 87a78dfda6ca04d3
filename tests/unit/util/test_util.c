/*
 * test_util.c - core/util: string buffer, positioned error reports,
 * "did you mean" suggestions, error code names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/strbuf.h"

static void test_strbuf_appends_and_takes(void **s) {
  (void)s;
  vbx__strbuf sb = VBX__STRBUF_INIT;
  assert_int_equal(vbx__strbuf_puts(&sb, "abc"), 0);
  assert_int_equal(vbx__strbuf_append(&sb, "defgh", 2), 0);
  assert_int_equal(vbx__strbuf_printf(&sb, "-%d-%s", 42, "x"), 0);
  assert_int_equal(sb.len, strlen("abcde-42-x"));
  char *out = vbx__strbuf_take(&sb);
  assert_string_equal(out, "abcde-42-x");
  assert_null(sb.data);
  assert_int_equal(sb.len, 0);
  free(out);
  /* An empty buffer still yields a string. */
  out = vbx__strbuf_take(&sb);
  assert_string_equal(out, "");
  free(out);
}

static void test_strbuf_grows_past_many_doublings(void **s) {
  (void)s;
  vbx__strbuf sb = VBX__STRBUF_INIT;
  for (int i = 0; i < 10000; i++)
    assert_int_equal(vbx__strbuf_append(&sb, "0123456789", 10), 0);
  assert_int_equal(sb.len, 100000);
  assert_int_equal(sb.data[sb.len], '\0');
  assert_memory_equal(sb.data + 99990, "0123456789", 10);
  vbx__strbuf_reset(&sb);
  assert_null(sb.data);
}

static void test_strbuf_refuses_overflowing_length(void **s) {
  (void)s;
  vbx__strbuf sb = VBX__STRBUF_INIT;
  vbx__strbuf_puts(&sb, "x");
  /* A length that would overflow the size computation fails, sticky. */
  assert_int_equal(vbx__strbuf_append(&sb, "y", (size_t)-1), VBX_E_NOMEM);
  assert_int_equal(sb.failed, 1);
  assert_int_equal(vbx__strbuf_puts(&sb, "z"), VBX_E_NOMEM);
  assert_null(vbx__strbuf_take(&sb));
}

static void test_error_at_formats_position(void **s) {
  (void)s;
  vbx_error err;
  assert_int_equal(vbx__error_at(&err, VBX_E_SPEC, "spec.yaml", 12, 7, "bad %s", "thing"),
                   VBX_E_SPEC);
  assert_int_equal(err.code, VBX_E_SPEC);
  assert_string_equal(err.file, "spec.yaml");
  assert_int_equal(err.line, 12);
  assert_int_equal(err.column, 7);
  assert_string_equal(err.message, "spec.yaml:12:7: bad thing");
  vbx__error_at(&err, VBX_E_SPEC, "f.json", 3, 0, "no column");
  assert_string_equal(err.message, "f.json:3: no column");
  vbx__error_at(&err, VBX_E_IO, "f.json", 0, 0, "unreadable");
  assert_string_equal(err.message, "f.json: unreadable");
  /* NULL report is allowed and still returns the code. */
  assert_int_equal(vbx__error_at(NULL, VBX_E_IO, "x", 1, 1, "y"), VBX_E_IO);
  assert_int_equal(vbx__error_set(NULL, VBX_E_INVAL, "z"), VBX_E_INVAL);
}

static void test_error_at_truncates_long_text(void **s) {
  (void)s;
  char big[4000];
  memset(big, 'a', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  vbx_error err;
  vbx__error_at(&err, VBX_E_SPEC, "s.yaml", 1, 2, "%s", big);
  assert_int_equal(strlen(err.message), sizeof(err.message) - 1);
  assert_memory_equal(err.message, "s.yaml:1:2: aaa", 15);
}

static void test_did_you_mean(void **s) {
  (void)s;
  const char *const keys[] = {"prompt", "skills", "max_turns", "timeout_secs", NULL};
  assert_string_equal(vbx__did_you_mean("promt", keys), "prompt");
  assert_string_equal(vbx__did_you_mean("skils", keys), "skills");
  assert_string_equal(vbx__did_you_mean("max_turn", keys), "max_turns");
  assert_null(vbx__did_you_mean("banana", keys));
  const char *const backends[] = {"mock", "local", NULL};
  assert_string_equal(vbx__did_you_mean("mok", backends), "mock");
  assert_null(vbx__did_you_mean("kvm", backends));
  assert_null(vbx__did_you_mean("x", NULL));
}

static void test_strerror_names(void **s) {
  (void)s;
  assert_non_null(strstr(vbx_strerror(VBX_E_NOMEM), "VBX_E_NOMEM"));
  assert_non_null(strstr(vbx_strerror(VBX_E_AUTH), "VBX_E_AUTH"));
  assert_string_equal(vbx_strerror(-999), "unknown error");
  for (int c = 0; c >= VBX_E_AUTH; c--)
    assert_string_not_equal(vbx_strerror(c), "unknown error");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strbuf_appends_and_takes),
      cmocka_unit_test(test_strbuf_grows_past_many_doublings),
      cmocka_unit_test(test_strbuf_refuses_overflowing_length),
      cmocka_unit_test(test_error_at_formats_position),
      cmocka_unit_test(test_error_at_truncates_long_text),
      cmocka_unit_test(test_did_you_mean),
      cmocka_unit_test(test_strerror_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
