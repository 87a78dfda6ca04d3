/*
 * test_mcp_tail - the bounded tail of a server's stderr: the newest bytes
 * kept across adds and overflows, the last non-blank lines joined for a
 * message, control bytes masked, the end kept when they do not fit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mcp_transport.h"

static const char *lines(const vbx_mcp_tail *t, unsigned n, size_t cap) {
  static char buf[4096];
  size_t len = vbx_mcp_tail_lines(t, n, buf, cap);
  assert_int_equal(len, strlen(buf));
  assert_true(len < cap);
  return buf;
}

static void test_lines(void **state) {
  (void)state;
  vbx_mcp_tail t;
  memset(&t, 0, sizeof t);
  assert_string_equal(lines(&t, 5, 100), "");
  const char *a = "one\ntwo\r\n\n   \nthr", *b = "ee \x01\x7f\n\n";
  vbx_mcp_tail_add(&t, a, strlen(a));
  vbx_mcp_tail_add(&t, b, strlen(b));
  assert_int_equal(t.total, 24);
  assert_string_equal(lines(&t, 5, 100), "one | two | three ??");
  assert_string_equal(lines(&t, 2, 100), "two | three ??"); /* blank lines do not count */
  assert_string_equal(lines(&t, 1, 100), "three ??");
  assert_string_equal(lines(&t, 5, 10), "...ree ??"); /* the end kept */
  assert_string_equal(lines(&t, 5, 3), "??");
}

static void test_newest_kept(void **state) {
  (void)state;
  vbx_mcp_tail t;
  memset(&t, 0, sizeof t);
  char big[VBX_MCP_TAIL_BYTES + 100];
  memset(big, 'a', sizeof big);
  big[sizeof big - 1] = 'z';
  vbx_mcp_tail_add(&t, big, sizeof big); /* more than it holds at once */
  assert_int_equal(t.len, VBX_MCP_TAIL_BYTES);
  assert_int_equal(t.buf[VBX_MCP_TAIL_BYTES - 1], 'z');
  for (int i = 0; i < 100; i++)
    vbx_mcp_tail_add(&t, "line\n", 5); /* piece by piece */
  vbx_mcp_tail_add(&t, "last words\n", 11);
  assert_int_equal(t.len, VBX_MCP_TAIL_BYTES);
  assert_int_equal(t.total, sizeof big + 500 + 11);
  assert_string_equal(lines(&t, 2, 100), "line | last words");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lines),
      cmocka_unit_test(test_newest_kept),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
