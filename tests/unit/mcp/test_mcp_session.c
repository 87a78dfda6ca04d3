/*
 * test_mcp_session - the MCP session against the scripted fake server
 * (mcp_fake_server) over pipes: the handshake and version negotiation
 * (asked, older, unsupported), tools/list over three pages and its limits,
 * tools/call with the server's own requests in the middle, content, error
 * answers, and a server that crashes, is killed, stalls, is slow (its late
 * answer dropped), writes garbage, an oversize line or a wrong id, dies at
 * start or never answers: each a prompt, clear failure naming the server
 * and the method.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mcp_session.h"

typedef struct fx {
  vbx_mcp_fd_proc *proc;
  vbx_mcp_session *s;
  char log[8192];
} fx;

static void on_log(void *user, int level, const char *msg) {
  fx *f = user;
  size_t n = strlen(f->log);
  snprintf(f->log + n, sizeof f->log - n, "%d %s\n", level, msg);
}

/* Start the fake server with `scenario` and a session over it. */
static void start(fx *f, const char *scenario, uint32_t call_ms, const char *ask) {
  memset(f, 0, sizeof *f);
  const char *argv[] = {VBX_TEST_FAKE_SERVER, scenario, NULL};
  const char *env[] = {"FAKE_ENV=from-test", NULL};
  assert_int_equal(vbx_mcp_fd_open(argv, env, &f->proc), 0);
  static const char *const roots[] = {"/workspace", "/data/my set%", NULL};
  vbx_mcp_session_config c;
  memset(&c, 0, sizeof c);
  c.name = "fake";
  c.transport = vbx_mcp_fd_transport(f->proc);
  c.client_version = "9.9.9";
  c.roots = roots;
  c.request_version = ask;
  c.startup_timeout_ms = 3000;
  c.call_timeout_ms = call_ms ? call_ms : 5000;
  c.log = on_log;
  c.user = f;
  assert_int_equal(vbx_mcp_session_new(&c, &f->s), 0);
}

static void stop(fx *f) {
  vbx_mcp_session_free(f->s);
  vbx_mcp_fd_close(f->proc, 1000);
}

/* Initialize and list, both must succeed. */
static void up(fx *f, const char *scenario) {
  start(f, scenario, 0, NULL);
  if (vbx_mcp_session_initialize(f->s) != 0) fail_msg("%s", vbx_mcp_session_error(f->s));
  if (vbx_mcp_session_list_tools(f->s) != 0) fail_msg("%s", vbx_mcp_session_error(f->s));
}

/* Call tool with args (JSON text or NULL); returns the text (malloc'd). */
static char *call(fx *f, const char *tool, const char *args, int want_rc, int want_err) {
  json_t *a = args ? json_loads(args, 0, NULL) : NULL;
  char *text = NULL;
  int is_error = -1;
  int rc = vbx_mcp_session_call_tool(f->s, tool, a, &text, &is_error);
  json_decref(a);
  if (rc != want_rc)
    fail_msg("%s: rc %d, want %d: %s", tool, rc, want_rc, vbx_mcp_session_error(f->s));
  if (rc == 0) {
    assert_non_null(text);
    if (is_error != want_err) fail_msg("%s: is_error %d: %s", tool, is_error, text);
  } else {
    assert_null(text);
  }
  return text;
}

static void expect_error(fx *f, const char *needle) {
  if (strstr(vbx_mcp_session_error(f->s), needle) == NULL)
    fail_msg("error '%s' lacks '%s'", vbx_mcp_session_error(f->s), needle);
}

static uint64_t ms_since(uint64_t t0) { return (vbx_mcp_now_ns() - t0) / 1000000; }

static void test_handshake_and_versions(void **state) {
  (void)state;
  fx f;
  up(&f, "normal");
  assert_string_equal(vbx_mcp_session_version(f.s), "2025-11-25");
  assert_string_equal(vbx_mcp_session_server_info(f.s), "fake 1.2.3");
  assert_non_null(strstr(f.log, "mcp server 'fake' log (debug): starting"));
  stop(&f);

  start(&f, "normal", 0, "2025-03-26"); /* the server takes the version asked for */
  assert_int_equal(vbx_mcp_session_initialize(f.s), 0);
  assert_string_equal(vbx_mcp_session_version(f.s), "2025-03-26");
  stop(&f);

  start(&f, "version-old", 0, NULL); /* an older one we speak: accepted */
  assert_int_equal(vbx_mcp_session_initialize(f.s), 0);
  assert_string_equal(vbx_mcp_session_version(f.s), "2024-11-05");
  stop(&f);

  start(&f, "version-bad", 0, NULL);
  assert_int_equal(vbx_mcp_session_initialize(f.s), VBX_E_VERSION);
  assert_string_equal(vbx_mcp_session_error(f.s),
                      "mcp server 'fake': initialize: the server wants protocol version "
                      "'1999-01-01', which voidbox does not speak (it speaks 2025-11-25, "
                      "2025-06-18, 2025-03-26 and 2024-11-05); disconnected");
  assert_string_equal(vbx_mcp_session_version(f.s), "");
  stop(&f);
}

static void test_tools_over_pages(void **state) {
  (void)state;
  fx f;
  up(&f, "normal");
  static const char *const names[] = {"echo",
                                      "add",
                                      "mixed",
                                      "structured",
                                      "fail",
                                      "rpcerr",
                                      "env",
                                      "slow",
                                      "crash",
                                      "abort",
                                      "stall",
                                      "garbage",
                                      "huge",
                                      "wrongid",
                                      "noid",
                                      "notjsonrpc",
                                      "bigtext",
                                      "bad.name",
                                      "a_tool_name_long_enough_that_the_box_name_is_over_64_bytes"};
  assert_int_equal(vbx_mcp_session_tool_count(f.s), sizeof names / sizeof names[0]);
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    assert_string_equal(vbx_mcp_session_tool(f.s, i)->name, names[i]);
  const vbx_mcp_tool *t = vbx_mcp_session_tool(f.s, 0);
  assert_string_equal(t->description, "a fake tool");
  assert_string_equal(json_string_value(json_object_get(t->input_schema, "type")), "object");
  assert_null(vbx_mcp_session_tool(f.s, 99));
  stop(&f);

  start(&f, "no-tools", 0, NULL);
  assert_int_equal(vbx_mcp_session_initialize(f.s), 0);
  assert_int_equal(vbx_mcp_session_list_tools(f.s), 0);
  assert_int_equal(vbx_mcp_session_tool_count(f.s), 0);
  stop(&f);

  start(&f, "endless", 0, NULL);
  assert_int_equal(vbx_mcp_session_initialize(f.s), 0);
  assert_int_equal(vbx_mcp_session_list_tools(f.s), VBX_E_LIMIT);
  expect_error(&f, "mcp server 'fake': tools/list: the server's tool list goes on past 100 pages");
  assert_int_equal(vbx_mcp_session_tool_count(f.s), 0);
  stop(&f);

  start(&f, "many", 0, NULL);
  assert_int_equal(vbx_mcp_session_initialize(f.s), 0);
  assert_int_equal(vbx_mcp_session_list_tools(f.s), VBX_E_LIMIT);
  expect_error(&f, "the server lists more than 1000 tools");
  stop(&f);
}

static void test_calls(void **state) {
  (void)state;
  fx f;
  up(&f, "normal");
  char *t = call(&f, "echo", "{\"message\":\"hi there\"}", 0, 0);
  assert_string_equal(t, "Echo: hi there");
  free(t);
  /* the server asks ping, roots/list and sampling in the middle of the call */
  t = call(&f, "add", "{\"a\":2,\"b\":3}", 0, 0);
  assert_string_equal(
      t, "sum=5 ping=ok roots=file:///workspace,file:///data/my%20set%25 sampling=-32601");
  free(t);
  assert_true(vbx_mcp_session_tools_stale(f.s));
  assert_non_null(strstr(f.log, "asked for sampling/createMessage, which voidbox does not offer"));
  assert_non_null(strstr(f.log, "log (info): adding now"));
  t = call(&f, "mixed", NULL, 0, 0);
  assert_non_null(strstr(t, "hello\n[image: image/png, 10 bytes]\n"));
  assert_non_null(strstr(t, "[structured content] {\"k\":1}"));
  free(t);
  t = call(&f, "structured", NULL, 0, 0);
  assert_string_equal(t, "{\"temperature\": 22}");
  free(t);
  t = call(&f, "fail", NULL, 0, 1);
  assert_string_equal(t, "it failed");
  free(t);
  t = call(&f, "rpcerr", NULL, 0, 1);
  assert_string_equal(t,
                      "mcp server 'fake': tools/call: the server answered with error -32602: "
                      "Unknown tool: rpcerr");
  free(t);
  t = call(&f, "env", NULL, 0, 0);
  assert_string_equal(t, "from-test");
  free(t);
  assert_int_equal(vbx_mcp_session_dead(f.s), 0);
  stop(&f);
}

static void test_crash_mid_call(void **state) {
  (void)state;
  fx f;
  up(&f, "normal");
  uint64_t t0 = vbx_mcp_now_ns();
  call(&f, "crash", NULL, VBX_E_IO, 0);
  assert_true(ms_since(t0) < 3000);
  assert_string_equal(vbx_mcp_session_error(f.s),
                      "mcp server 'fake': tools/call: the server ended (exited with status 3; "
                      "last stderr: fake: about to crash | fatal: boom at step 2)");
  assert_int_equal(vbx_mcp_session_dead(f.s), VBX_E_IO);
  call(&f, "echo", NULL, VBX_E_IO, 0); /* later calls fail at once, same message */
  expect_error(&f, "exited with status 3");
  stop(&f);

  up(&f, "normal");
  call(&f, "abort", NULL, VBX_E_IO, 0);
  expect_error(&f, "the server ended (killed by signal 9)");
  stop(&f);
}

static void test_stall_and_slow(void **state) {
  (void)state;
  fx f;
  start(&f, "normal", 400, NULL);
  assert_int_equal(vbx_mcp_session_initialize(f.s), 0);
  assert_int_equal(vbx_mcp_session_list_tools(f.s), 0);
  uint64_t t0 = vbx_mcp_now_ns();
  call(&f, "stall", NULL, VBX_E_TIMEOUT, 0);
  uint64_t ms = ms_since(t0);
  assert_true(ms >= 390 && ms < 1500);
  assert_string_equal(vbx_mcp_session_error(f.s),
                      "mcp server 'fake': tools/call: no answer within 400 ms");
  assert_int_equal(vbx_mcp_session_dead(f.s), 0);
  stop(&f);

  /* slow: the call times out, the server is told, its late answer is
   * dropped and the next call works */
  start(&f, "normal", 300, NULL);
  assert_int_equal(vbx_mcp_session_initialize(f.s), 0);
  call(&f, "slow", "{\"ms\":700}", VBX_E_TIMEOUT, 0);
  assert_int_equal(vbx_mcp_rpc_pump(vbx_mcp_session_rpc(f.s), vbx_mcp_deadline_ms(1000)), 0);
  char *t = call(&f, "echo", "{\"message\":\"after\"}", 0, 0);
  assert_string_equal(t, "Echo: after");
  free(t);
  assert_non_null(strstr(f.log, "dropped the late response to request 2"));
  stop(&f);
}

/* A protocol fault: the call fails with code, the message has needle, the
 * server is killed and the session is dead. */
static void protocol_fault(const char *tool, int code, const char *needle) {
  fx f;
  up(&f, "normal");
  uint64_t t0 = vbx_mcp_now_ns();
  call(&f, tool, NULL, code, 0);
  assert_true(ms_since(t0) < 3000);
  expect_error(&f, needle);
  assert_int_equal(vbx_mcp_session_dead(f.s), code);
  stop(&f);
}

static void test_protocol_faults(void **state) {
  (void)state;
  protocol_fault("garbage", VBX_E_PROTOCOL,
                 "mcp server 'fake': tools/call: the server wrote a line that is not JSON (");
  protocol_fault("huge", VBX_E_TOOBIG,
                 "mcp server 'fake': tools/call: the server sent a message over the "
                 "4194304-byte bound");
  protocol_fault("wrongid", VBX_E_PROTOCOL,
                 "mcp server 'fake': tools/call: the server sent a response with id 999, which "
                 "matches no request");
  protocol_fault("noid", VBX_E_PROTOCOL, "the server could not read a request: error -32700");
  protocol_fault("notjsonrpc", VBX_E_PROTOCOL, "a message without \"jsonrpc\": \"2.0\"");
}

static void test_start_failures(void **state) {
  (void)state;
  fx f;
  start(&f, "die-at-start", 0, NULL);
  assert_int_equal(vbx_mcp_session_initialize(f.s), VBX_E_IO);
  assert_string_equal(vbx_mcp_session_error(f.s),
                      "mcp server 'fake': initialize: the server ended (exited with status 7; "
                      "last stderr: cannot start: the thing is missing)");
  stop(&f);

  memset(&f, 0, sizeof f);
  const char *argv[] = {VBX_TEST_FAKE_SERVER, "silent", NULL};
  assert_int_equal(vbx_mcp_fd_open(argv, NULL, &f.proc), 0);
  vbx_mcp_session_config c;
  memset(&c, 0, sizeof c);
  c.name = "quiet";
  c.transport = vbx_mcp_fd_transport(f.proc);
  c.startup_timeout_ms = 500;
  assert_int_equal(vbx_mcp_session_new(&c, &f.s), 0);
  uint64_t t0 = vbx_mcp_now_ns();
  assert_int_equal(vbx_mcp_session_initialize(f.s), VBX_E_TIMEOUT);
  assert_true(ms_since(t0) < 1500);
  assert_string_equal(vbx_mcp_session_error(f.s),
                      "mcp server 'quiet': initialize: no answer within 500 ms");
  stop(&f);
}

static void test_text_bound(void **state) {
  (void)state;
  fx f;
  memset(&f, 0, sizeof f);
  const char *argv[] = {VBX_TEST_FAKE_SERVER, NULL};
  assert_int_equal(vbx_mcp_fd_open(argv, NULL, &f.proc), 0);
  vbx_mcp_session_config c;
  memset(&c, 0, sizeof c);
  c.name = "fake";
  c.transport = vbx_mcp_fd_transport(f.proc);
  c.max_text = 1000;
  assert_int_equal(vbx_mcp_session_new(&c, &f.s), 0);
  assert_int_equal(vbx_mcp_session_initialize(f.s), 0);
  char *t = call(&f, "bigtext", "{\"n\":5000}", 0, 0);
  assert_int_equal(strlen(t), 1000 + strlen("\n[output truncated]"));
  free(t);
  stop(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handshake_and_versions),
      cmocka_unit_test(test_tools_over_pages),
      cmocka_unit_test(test_calls),
      cmocka_unit_test(test_crash_mid_call),
      cmocka_unit_test(test_stall_and_slow),
      cmocka_unit_test(test_protocol_faults),
      cmocka_unit_test(test_start_failures),
      cmocka_unit_test(test_text_bound),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
