/*
 * test_mcp_names - server names, the box's names of their tools
 * (mcp__SERVER__TOOL within the providers' ^[a-zA-Z0-9_-]{1,64}$) and
 * stripping the prefix back off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mcp_names.h"

static void test_server_names(void **state) {
  (void)state;
  assert_true(vbx_mcp_server_name_ok("everything"));
  assert_true(vbx_mcp_server_name_ok("my_server-2"));
  assert_true(vbx_mcp_server_name_ok("a"));
  assert_true(vbx_mcp_server_name_ok("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
  assert_false(vbx_mcp_server_name_ok("abcdefghijklmnopqrstuvwxyz0123456"));
  assert_false(vbx_mcp_server_name_ok(""));
  assert_false(vbx_mcp_server_name_ok(NULL));
  assert_false(vbx_mcp_server_name_ok("Memory"));
  assert_false(vbx_mcp_server_name_ok("a.b"));
  assert_false(vbx_mcp_server_name_ok("a b"));
}

static void test_tool_names(void **state) {
  (void)state;
  char out[65], why[200];
  assert_int_equal(vbx_mcp_tool_name("everything", "get-sum", out, sizeof out, why, sizeof why), 0);
  assert_string_equal(out, "mcp__everything__get-sum");
  assert_int_equal(vbx_mcp_tool_name("fs", "read.file", out, sizeof out, why, sizeof why),
                   VBX_E_INVAL);
  assert_string_equal(why, "its name has '.', outside [A-Za-z0-9_-]");
  assert_int_equal(vbx_mcp_tool_name("fs", "caf\xc3\xa9", out, sizeof out, why, sizeof why),
                   VBX_E_INVAL);
  assert_string_equal(why, "its name has byte 0xc3, outside [A-Za-z0-9_-]");
  assert_int_equal(vbx_mcp_tool_name("fs", "", out, sizeof out, why, sizeof why), VBX_E_INVAL);
  /* mcp__ (5) + fs (2) + __ (2) = 9: 55 bytes of tool fit, 56 do not */
  char t[80];
  memset(t, 'x', 55);
  t[55] = '\0';
  assert_int_equal(vbx_mcp_tool_name("fs", t, out, sizeof out, why, sizeof why), 0);
  assert_int_equal(strlen(out), 64);
  t[55] = 'x';
  t[56] = '\0';
  assert_int_equal(vbx_mcp_tool_name("fs", t, out, sizeof out, why, sizeof why), VBX_E_TOOBIG);
  assert_string_equal(why,
                      "mcp__fs__<name> would be 65 bytes, over the 64-byte limit of tool names");
}

static void test_strip(void **state) {
  (void)state;
  assert_string_equal(vbx_mcp_tool_strip("fs", "mcp__fs__read_file"), "read_file");
  assert_string_equal(vbx_mcp_tool_strip("fs", "mcp__fs__a__b"), "a__b");
  assert_null(vbx_mcp_tool_strip("fs", "mcp__fsx__read"));
  assert_null(vbx_mcp_tool_strip("fs", "mcp__fs__"));
  assert_null(vbx_mcp_tool_strip("fs", "bash"));
  assert_null(vbx_mcp_tool_strip("fs", NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_server_names),
      cmocka_unit_test(test_tool_names),
      cmocka_unit_test(test_strip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
