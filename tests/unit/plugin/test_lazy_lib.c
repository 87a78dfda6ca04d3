/*
 * tests/unit/plugin/test_lazy_lib.c - a system library opened on first
 * use (core/src/plugin/lazy_lib.h): the table filled with working
 * functions; a missing library and a missing symbol refused with messages
 * that name them and what needs them; and the two real tables (libcurl,
 * libmicrohttpd) load with every function this build uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/mhd_api.h"
#include "plugin/curl_api.h"
#include "plugin/lazy_lib.h"
#include "voidbox/errors.h"

typedef struct libc_api {
  size_t (*len)(const char *s);
  int (*cmp)(const char *a, const char *b);
} libc_api;

static void test_fills_the_table(void **s) {
  (void)s;
  static const vbx__lazy_sym syms[] = {{"strlen", offsetof(libc_api, len)},
                                       {"strcmp", offsetof(libc_api, cmp)}};
  libc_api api = {0};
  char err[300] = "";
  assert_int_equal(vbx__lazy_lib_open("libc.so.6", "a test", syms, 2, &api, err, sizeof err), 0);
  assert_int_equal(api.len("voidbox"), 7);
  assert_int_equal(api.cmp("a", "a"), 0);
}

static void test_missing_library(void **s) {
  (void)s;
  static const vbx__lazy_sym syms[] = {{"strlen", offsetof(libc_api, len)}};
  libc_api api = {0};
  char err[300] = "";
  assert_int_equal(
      vbx__lazy_lib_open("libvoidbox-no-such.so.9", "the widget", syms, 1, &api, err, sizeof err),
      VBX_E_UNSUPPORTED);
  assert_non_null(strstr(err, "cannot load libvoidbox-no-such.so.9, which the widget needs"));
  assert_null(api.len);
}

static void test_missing_symbol(void **s) {
  (void)s;
  static const vbx__lazy_sym syms[] = {{"strlen", offsetof(libc_api, len)},
                                       {"vbx_no_such_function", offsetof(libc_api, cmp)}};
  libc_api api = {0};
  char err[300] = "";
  assert_int_equal(vbx__lazy_lib_open("libc.so.6", "a test", syms, 2, &api, err, sizeof err),
                   VBX_E_UNSUPPORTED);
  assert_string_equal(err, "libc.so.6 (needed for a test) has no vbx_no_such_function");
}

static void test_real_tables(void **s) {
  (void)s;
  char err[300] = "";
  const vbx__curl_api *cu = vbx__curl(err, sizeof err);
  assert_non_null(cu);
  assert_true(vbx__curl(err, sizeof err) == cu); /* once */
  assert_string_equal(cu->easy_strerror(CURLE_OK), "No error");
  CURL *h = cu->easy_init();
  assert_non_null(h);
  assert_int_equal(cu->easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
  cu->easy_cleanup(h);
  assert_int_equal(vbx__mhd_load(err, sizeof err), 0);
  assert_non_null(vbx__mhd.start_daemon);
  assert_non_null(vbx__mhd.destroy_response);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fills_the_table),
      cmocka_unit_test(test_missing_library),
      cmocka_unit_test(test_missing_symbol),
      cmocka_unit_test(test_real_tables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
