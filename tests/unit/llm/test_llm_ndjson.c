/*
 * tests/unit/llm/test_llm_ndjson.c - the NDJSON line splitter: every chunk
 * split, CRLF, blank lines, unterminated last line, bound, errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ndjson.h"
#include "voidbox/errors.h"

typedef struct rec {
  char log[1024];
  int n, fail_at;
} rec;

static int on_line(void *user, const char *line, size_t len) {
  rec *r = user;
  assert_int_equal(strlen(line), len);
  r->n++;
  size_t l = strlen(r->log);
  snprintf(r->log + l, sizeof(r->log) - l, "<%s>", line);
  return r->n == r->fail_at ? VBX_E_PROTOCOL : 0;
}

static const char *IN = "{\"a\":1}\n\n  \r\n{\"b\":2}\r\n{\"c\":\"x\\ny\"}\n{\"last\":true}";
static const char *OUT = "<{\"a\":1}><{\"b\":2}><{\"c\":\"x\\ny\"}><{\"last\":true}>";

static void test_all_splits(void **state) {
  (void)state;
  size_t n = strlen(IN);
  for (size_t s = 0; s <= n; s++) {
    rec r = {{0}, 0, 0};
    vbx_ndjson_splitter sp;
    vbx_ndjson_init(&sp, 64, on_line, &r);
    assert_int_equal(vbx_ndjson_feed(&sp, IN, s), 0);
    assert_int_equal(vbx_ndjson_feed(&sp, IN + s, n - s), 0);
    assert_int_equal(vbx_ndjson_finish(&sp), 0);
    assert_string_equal(r.log, OUT);
    vbx_ndjson_free(&sp);
  }
  rec r = {{0}, 0, 0};
  vbx_ndjson_splitter sp;
  vbx_ndjson_init(&sp, 64, on_line, &r);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(vbx_ndjson_feed(&sp, IN + i, 1), 0);
  assert_int_equal(vbx_ndjson_finish(&sp), 0);
  assert_string_equal(r.log, OUT);
  vbx_ndjson_free(&sp);
}

static void test_bound(void **state) {
  (void)state;
  rec r = {{0}, 0, 0};
  vbx_ndjson_splitter sp;
  vbx_ndjson_init(&sp, 8, on_line, &r);
  assert_int_equal(vbx_ndjson_feed(&sp, "12345678\n", 9), 0);
  assert_int_equal(vbx_ndjson_feed(&sp, "12345", 5), 0);
  assert_int_equal(vbx_ndjson_feed(&sp, "6789", 4), VBX_E_TOOBIG);
  assert_int_equal(vbx_ndjson_feed(&sp, "\n", 1), VBX_E_TOOBIG);
  assert_int_equal(vbx_ndjson_finish(&sp), VBX_E_TOOBIG);
  assert_int_equal(r.n, 1);
  vbx_ndjson_free(&sp);
}

static void test_callback_error(void **state) {
  (void)state;
  rec r = {{0}, 0, 1};
  vbx_ndjson_splitter sp;
  vbx_ndjson_init(&sp, 64, on_line, &r);
  assert_int_equal(vbx_ndjson_feed(&sp, "a\nb\n", 4), VBX_E_PROTOCOL);
  assert_int_equal(r.n, 1);
  vbx_ndjson_reset(&sp);
  assert_int_equal(vbx_ndjson_feed(&sp, "c\n", 2), 0);
  assert_int_equal(r.n, 2);
  vbx_ndjson_free(&sp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_all_splits),
      cmocka_unit_test(test_bound),
      cmocka_unit_test(test_callback_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
