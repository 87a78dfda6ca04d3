/*
 * test_mcp_frame - the stdio line framer: lines across pushes, CRLF,
 * blank lines, the bound exactly and one past it (refused before its
 * newline), skipping the rest of an oversize line, pushing without taking.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mcp_frame.h"

/* The next line must be `want`. */
static void expect_line(vbx_mcp_framer *f, const char *want) {
  char *line = NULL;
  size_t len = 0;
  assert_int_equal(vbx_mcp_framer_next(f, &line, &len), 1);
  assert_int_equal(len, strlen(want));
  assert_string_equal(line, want);
}

static void expect_none(vbx_mcp_framer *f) {
  char *line;
  size_t len;
  assert_int_equal(vbx_mcp_framer_next(f, &line, &len), 0);
}

static void push(vbx_mcp_framer *f, const char *s) {
  assert_int_equal(vbx_mcp_framer_push(f, s, strlen(s)), 0);
}

static void test_lines_across_pushes(void **state) {
  (void)state;
  vbx_mcp_framer f;
  vbx_mcp_framer_init(&f, 0);
  assert_int_equal(f.max, VBX_MCP_LINE_MAX);
  push(&f, "{\"a\":");
  expect_none(&f);
  push(&f, "1}\n{\"b\"");
  expect_line(&f, "{\"a\":1}");
  expect_none(&f);
  push(&f, ":2}\r\n\n\r\n{\"c\":3}\n");
  expect_line(&f, "{\"b\":2}");
  expect_line(&f, "{\"c\":3}"); /* blank lines (LF and CRLF) skipped */
  expect_none(&f);
  assert_int_equal(f.lines, 3);
  assert_int_equal(vbx_mcp_framer_pending(&f), 0);
  vbx_mcp_framer_free(&f);
}

static void test_one_byte_at_a_time(void **state) {
  (void)state;
  vbx_mcp_framer f;
  vbx_mcp_framer_init(&f, 64);
  const char *in = "first\nsecond line\r\nthird\n";
  int got = 0;
  for (const char *p = in; *p; p++) {
    assert_int_equal(vbx_mcp_framer_push(&f, p, 1), 0);
    char *line;
    size_t len;
    while (vbx_mcp_framer_next(&f, &line, &len) == 1) {
      const char *want[] = {"first", "second line", "third"};
      assert_string_equal(line, want[got]);
      got++;
    }
  }
  assert_int_equal(got, 3);
  vbx_mcp_framer_free(&f);
}

static void test_bound_exact_and_over(void **state) {
  (void)state;
  vbx_mcp_framer f;
  vbx_mcp_framer_init(&f, 8);
  push(&f, "12345678\n"); /* exactly max: fine */
  expect_line(&f, "12345678");
  push(&f, "12345678\r\n"); /* the CR does not count */
  expect_line(&f, "12345678");
  push(&f, "123456789"); /* max + 1 without a newline: refused now */
  char *line;
  size_t len;
  assert_int_equal(vbx_mcp_framer_next(&f, &line, &len), VBX_E_TOOBIG);
  expect_none(&f);
  push(&f, "more of the same oversize line");
  expect_none(&f);
  push(&f, " and its end\nok\n"); /* the rest is skipped, the next line is whole */
  expect_line(&f, "ok");
  expect_none(&f);
  vbx_mcp_framer_free(&f);
}

static void test_oversize_line_in_one_push(void **state) {
  (void)state;
  vbx_mcp_framer f;
  vbx_mcp_framer_init(&f, 4);
  push(&f, "a\nbbbbbbbbbb\nc\n");
  expect_line(&f, "a");
  char *line;
  size_t len;
  assert_int_equal(vbx_mcp_framer_next(&f, &line, &len), VBX_E_TOOBIG);
  expect_line(&f, "c");
  vbx_mcp_framer_free(&f);
}

static void test_push_without_taking(void **state) {
  (void)state;
  vbx_mcp_framer f;
  vbx_mcp_framer_init(&f, 4);
  push(&f, "abcde"); /* not taken: the framer did not look yet */
  assert_int_equal(vbx_mcp_framer_push(&f, "f", 1), VBX_E_TOOBIG);
  vbx_mcp_framer_free(&f);
}

static void test_big_default_bound(void **state) {
  (void)state;
  vbx_mcp_framer f;
  vbx_mcp_framer_init(&f, 0);
  size_t chunk = 65536;
  char *buf = malloc(chunk);
  assert_non_null(buf);
  memset(buf, 'x', chunk);
  int rc = 0;
  size_t pushed = 0;
  while (rc == 0) { /* 4 MiB and one chunk more, never a newline */
    assert_int_equal(vbx_mcp_framer_push(&f, buf, chunk), 0);
    pushed += chunk;
    char *line;
    size_t len;
    rc = vbx_mcp_framer_next(&f, &line, &len);
    assert_true(pushed <= VBX_MCP_LINE_MAX + chunk);
  }
  assert_int_equal(rc, VBX_E_TOOBIG);
  assert_int_equal(pushed, VBX_MCP_LINE_MAX + chunk);
  assert_true(f.cap <= 2 * (VBX_MCP_LINE_MAX + chunk));
  free(buf);
  vbx_mcp_framer_free(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lines_across_pushes),  cmocka_unit_test(test_one_byte_at_a_time),
      cmocka_unit_test(test_bound_exact_and_over), cmocka_unit_test(test_oversize_line_in_one_push),
      cmocka_unit_test(test_push_without_taking),  cmocka_unit_test(test_big_default_bound),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
