/*
 * test_skill_mcp - the skill type "mcp" loaded from skill-mcp.so through the
 * real loader: validate() refusals with the spec key as their field; a
 * sandbox without the streaming exec; provisioning the fake MCP server
 * through a fake streaming-exec sandbox (the tools in canonical shape as
 * mcp__fake__TOOL, names that cannot be tool names left out, the system
 * prompt, argv/env/cwd passed); tool calls; a crash, a stall and garbage as
 * tool errors naming the server; destroy stopping the server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fake_proc.h"
#include "plugin/call.h"
#include "plugin/registry.h"

static vbx__registry *REG;
static const vbx__impl *IMPL;
static const vbx_host_services *H;
static const vbx_skill_type_vtable *VT;

static int setup(void **state) {
  (void)state;
  vbx_error err = {0};
  vbx__logger log = {VBX_LOG_ERROR, NULL, NULL, 0};
  assert_int_equal(vbx__registry_new(&log, NULL, &REG), 0);
  if (vbx__registry_load(REG, VBX_TEST_PLUGIN_DIR "/skill-mcp.so", &err) != 0)
    fail_msg("loading skill-mcp.so: %s", err.message);
  vbx__registry_freeze(REG);
  IMPL = vbx__registry_find(REG, VBX_KIND_SKILL, "mcp");
  assert_non_null(IMPL);
  H = vbx__plugin_host(IMPL->plugin);
  VT = IMPL->vtable;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  vbx__registry_free(REG);
  return 0;
}

static vbx_json *js(const char *text) {
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  vbx_json *v = H->json_parse(text, strlen(text), &c);
  if (v == NULL) fail_msg("bad test JSON %s", text);
  return v;
}

static vbx_skill_config config(const char *value, vbx_json *opts) {
  vbx_skill_config cfg = {sizeof cfg, "mcp", value, opts, "box", "/tmp"};
  return cfg;
}

/* validate must refuse with code, field ("" for none) and a message part. */
static void refused(const char *value, const char *opts, int code, const char *field,
                    const char *needle) {
  vbx_json *o = opts ? js(opts) : NULL;
  vbx_skill_config cfg = config(value, o);
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  int rc = VT->validate(IMPL->plugin_state, &cfg, &c);
  if (rc != code || strcmp(c.field, field) != 0 || strstr(c.message, needle) == NULL)
    fail_msg("%s %s: rc %d field '%s' message '%s'; want %d '%s' ...%s...", value ? value : "-",
             opts ? opts : "-", rc, c.field, c.message, code, field, needle);
  void *s = (void *)1;
  vbx__call_init(&c, NULL, NULL, 0);
  assert_int_equal(VT->create(IMPL->plugin_state, &cfg, &c, &s), code); /* create agrees */
  assert_null(s);
  if (o) H->json_decref(o);
}

#define CMD "{\"command\":\"node\""

static void test_validate(void **state) {
  (void)state;
  refused(NULL, CMD "}", VBX_E_SPEC, "value", "needs a server name: \"mcp:NAME\" or `value: NAME`");
  refused("Bad!", CMD "}", VBX_E_SPEC, "value",
          "server name 'Bad!' must be 1..32 characters of a-z, 0-9, _ and - (it becomes part of "
          "the tool names mcp__NAME__TOOL)");
  refused("abcdefghijklmnopqrstuvwxyz0123456", CMD "}", VBX_E_SPEC, "value", "1..32");
  refused("fs", "{\"comand\":\"node\"}", VBX_E_SPEC, "comand",
          "unknown option 'comand' (known: command, args, env, timeout_secs, "
          "startup_timeout_secs, roots)");
  refused("fs", NULL, VBX_E_SPEC, "",
          "needs `command`: the program that runs the server inside the sandbox");
  refused("fs", "{\"command\":\"\"}", VBX_E_SPEC, "command", "command must be a non-empty string");
  refused("fs", "{\"command\":7}", VBX_E_SPEC, "command", "command must be a non-empty string");
  refused("fs", CMD ",\"args\":\"-y\"}", VBX_E_SPEC, "args", "args must be a list of strings");
  refused("fs", CMD ",\"args\":[1]}", VBX_E_SPEC, "args", "an entry of args must be a string");
  refused("fs", CMD ",\"env\":[\"A=1\"]}", VBX_E_SPEC, "env", "env must be a map");
  refused("fs", CMD ",\"env\":{\"1A\":\"x\"}}", VBX_E_SPEC, "env", "env name '1A' must be");
  refused("fs", CMD ",\"env\":{\"A\":1}}", VBX_E_SPEC, "env", "a value of env must be a string");
  refused("fs", CMD ",\"timeout_secs\":0}", VBX_E_SPEC, "timeout_secs",
          "timeout_secs is 0, must be 1..3600");
  refused("fs", CMD ",\"startup_timeout_secs\":\"9\"}", VBX_E_SPEC, "startup_timeout_secs",
          "startup_timeout_secs must be an integer");
  refused("fs", CMD ",\"roots\":[\"data\"]}", VBX_E_SPEC, "roots",
          "root 'data' must be an absolute path");
  refused("fs", CMD ",\"roots\":[\"/a/../etc\"]}", VBX_E_SPEC, "roots", "without '..'");
  refused("fs", CMD ",\"roots\":\"/a\"}", VBX_E_SPEC, "roots", "roots must be a list");

  vbx_json *o =
      js("{\"command\":\"npx\",\"args\":[\"-y\",\"@modelcontextprotocol/server-memory\"],"
         "\"env\":{\"MEMORY_FILE_PATH\":\"/workspace/m.jsonl\"},\"timeout_secs\":5,"
         "\"startup_timeout_secs\":120,\"roots\":[\"/workspace\",\"/data..x\"]}");
  vbx_skill_config cfg = config("memory", o);
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  if (VT->validate(IMPL->plugin_state, &cfg, &c) != 0) fail_msg("%s", c.message);
  H->json_decref(o);
}

typedef struct sk {
  fake_sb sb;
  vbx_sandbox_ref ref;
  void *skill;
  vbx_skill_contrib out;
} sk;

/* Create and provision the fake server (scenario, extra options JSON
 * members). Returns provision's code; the call's message in c. */
static int provision(sk *k, const char *scenario, const char *extra, vbx_call *c) {
  memset(k, 0, sizeof *k);
  k->sb.h = H;
  fake_sb_ref(&k->sb, &k->ref, 1);
  char opts[1024];
  snprintf(opts, sizeof opts,
           "{\"command\":\"%s\",\"args\":[\"%s\"],\"env\":{\"FAKE_ENV\":\"from-spec\"},"
           "\"startup_timeout_secs\":5%s}",
           VBX_TEST_FAKE_SERVER, scenario, extra ? extra : "");
  vbx_json *o = js(opts);
  vbx_skill_config cfg = config("fake", o);
  vbx__call_init(c, NULL, NULL, 0);
  assert_int_equal(VT->create(IMPL->plugin_state, &cfg, c, &k->skill), 0);
  H->json_decref(o);
  k->out.struct_size = sizeof k->out;
  vbx__call_init(c, NULL, NULL, 0);
  return VT->provision(k->skill, &k->ref, &k->out, c);
}

static void finish(sk *k) {
  VT->destroy(k->skill);
  H->free(k->out.name);
  H->free(k->out.system_prompt);
  if (k->out.tools) H->json_decref(k->out.tools);
}

/* Call box tool `tool`; returns the text (host-alloc'd) and checks is_error. */
static char *tool(sk *k, const char *name, const char *input, int want_err) {
  vbx_json *in = js(input ? input : "{}");
  char *text = NULL;
  int err = -1;
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  int rc = VT->call_tool(k->skill, &k->ref, name, in, &text, &err, &c);
  H->json_decref(in);
  if (rc != 0) fail_msg("%s: rc %d: %s", name, rc, c.message);
  assert_non_null(text);
  if (err != want_err) fail_msg("%s: is_error %d: %s", name, err, text);
  return text;
}

static void test_no_streaming_exec(void **state) {
  (void)state;
  sk k;
  memset(&k, 0, sizeof k);
  k.sb.h = H;
  fake_sb_ref(&k.sb, &k.ref, 0);
  vbx_json *o = js(CMD "}");
  vbx_skill_config cfg = config("fs", o);
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  assert_int_equal(VT->create(IMPL->plugin_state, &cfg, &c, &k.skill), 0);
  H->json_decref(o);
  k.out.struct_size = sizeof k.out;
  assert_int_equal(VT->provision(k.skill, &k.ref, &k.out, &c), VBX_E_UNSUPPORTED);
  assert_non_null(strstr(c.message,
                         "skill mcp:fs needs a sandbox backend that can stream a "
                         "process's stdin"));
  assert_null(k.out.tools);
  assert_int_equal(k.sb.opened, 0);
  /* a 1.3 host whose backend has no streaming exec: its message (naming
   * the backend) stays */
  fake_sb_ref(&k.sb, &k.ref, 1);
  k.sb.refuse = 1;
  vbx__call_init(&c, NULL, NULL, 0);
  assert_int_equal(VT->provision(k.skill, &k.ref, &k.out, &c), VBX_E_UNSUPPORTED);
  assert_string_equal(c.message,
                      "sandbox backend 'fake' cannot run a process with streaming stdin");
  assert_null(k.out.tools);
  assert_null(k.out.name);
  finish(&k);
}

static void test_provision_and_calls(void **state) {
  (void)state;
  sk k;
  vbx_call c;
  if (provision(&k, "normal", NULL, &c) != 0) fail_msg("%s", c.message);
  assert_string_equal(k.sb.argv0, VBX_TEST_FAKE_SERVER);
  assert_string_equal(k.sb.arg1, "normal");
  assert_string_equal(k.sb.env0, "FAKE_ENV=from-spec");
  assert_string_equal(k.sb.cwd, "/workspace");
  assert_string_equal(k.out.name, "mcp:fake");
  assert_non_null(strstr(k.out.system_prompt, "## MCP server: fake\n"));
  assert_non_null(strstr(k.out.system_prompt, "(fake 1.2.3)"));
  assert_non_null(strstr(k.out.system_prompt, "mcp__fake__<tool>"));
  /* canonical tools: 19 listed, bad.name and the long one left out */
  char *dump = H->json_dump(k.out.tools);
  json_t *tools = json_loads(dump, 0, NULL);
  H->free(dump);
  assert_int_equal(json_array_size(tools), 17);
  json_t *t0 = json_array_get(tools, 0);
  assert_string_equal(json_string_value(json_object_get(t0, "name")), "mcp__fake__echo");
  assert_string_equal(json_string_value(json_object_get(t0, "description")), "a fake tool");
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(t0, "input_schema"), "type")), "object");
  size_t i;
  json_t *t;
  json_array_foreach(tools, i, t) {
    const char *n = json_string_value(json_object_get(t, "name"));
    assert_null(strstr(n, "bad.name"));
    assert_true(strlen(n) <= 64);
  }
  json_decref(tools);

  char *text = tool(&k, "mcp__fake__echo", "{\"message\":\"via plugin\"}", 0);
  assert_string_equal(text, "Echo: via plugin");
  H->free(text);
  text = tool(&k, "mcp__fake__add", "{\"a\":40,\"b\":2}", 0);
  assert_string_equal(text, "sum=42 ping=ok roots=file:///workspace sampling=-32601");
  H->free(text);
  text = tool(&k, "mcp__fake__env", NULL, 0);
  assert_string_equal(text, "from-spec");
  H->free(text);
  text = tool(&k, "mcp__fake__fail", NULL, 1);
  assert_string_equal(text, "it failed");
  H->free(text);
  text = tool(&k, "mcp__fake__bad.name", NULL, 1);
  assert_string_equal(text, "mcp server 'fake' has no tool 'mcp__fake__bad.name'");
  H->free(text);
  text = tool(&k, "mcp__other__echo", NULL, 1);
  H->free(text);
  assert_int_equal(k.sb.closed, 0);
  finish(&k);
  assert_int_equal(k.sb.closed, 1);
  assert_true(k.sb.n_signals >= 1);
  assert_int_equal(k.sb.signals[0], 15); /* SIGTERM first, then proc_close */
}

static void test_crash_is_a_tool_error(void **state) {
  (void)state;
  sk k;
  vbx_call c;
  if (provision(&k, "normal", NULL, &c) != 0) fail_msg("%s", c.message);
  char *text = tool(&k, "mcp__fake__crash", NULL, 1);
  assert_string_equal(text,
                      "mcp server 'fake': tools/call: the server ended (it exited with "
                      "status 3; last stderr: fake: about to crash | fatal: boom at step 2)");
  H->free(text);
  text = tool(&k, "mcp__fake__echo", NULL, 1);
  assert_non_null(strstr(text,
                         "mcp server 'fake' is not running any more: mcp server 'fake': "
                         "tools/call: the server ended (it exited with status 3"));
  H->free(text);
  finish(&k);
  assert_int_equal(k.sb.closed, 1);
}

static void test_stall_and_garbage(void **state) {
  (void)state;
  sk k;
  vbx_call c;
  if (provision(&k, "normal", ",\"timeout_secs\":1", &c) != 0) fail_msg("%s", c.message);
  uint64_t t0 = vbx__now_ns();
  char *text = tool(&k, "mcp__fake__stall", NULL, 1);
  uint64_t ms = (vbx__now_ns() - t0) / 1000000;
  assert_true(ms >= 990 && ms < 2500);
  assert_string_equal(text, "mcp server 'fake': tools/call: no answer within 1 s");
  H->free(text);
  finish(&k);

  if (provision(&k, "normal", NULL, &c) != 0) fail_msg("%s", c.message);
  text = tool(&k, "mcp__fake__garbage", NULL, 1);
  assert_non_null(strstr(text,
                         "mcp server 'fake': tools/call: the server wrote a line that is "
                         "not JSON"));
  assert_non_null(strstr(text, "this is not json"));
  H->free(text);
  finish(&k);
}

static void test_start_failures(void **state) {
  (void)state;
  sk k;
  vbx_call c;
  int rc = provision(&k, "die-at-start", NULL, &c);
  if (rc != VBX_E_IO) fail_msg("die-at-start: rc %d: %s", rc, c.message);
  assert_string_equal(c.message,
                      "mcp server 'fake': initialize: the server ended (it exited with "
                      "status 7; last stderr: cannot start: the thing is missing)");
  assert_null(k.out.tools);
  assert_null(k.out.system_prompt);
  assert_int_equal(k.sb.closed, 1); /* stopped at once, not at destroy */
  finish(&k);

  /* a process the sandbox could not start: its message stays on the call */
  memset(&k, 0, sizeof k);
  k.sb.h = H;
  k.sb.no_start = 1;
  fake_sb_ref(&k.sb, &k.ref, 1);
  vbx_json *o = js("{\"command\":\"nosuch-server\"}");
  vbx_skill_config cfg = config("fake", o);
  vbx__call_init(&c, NULL, NULL, 0);
  assert_int_equal(VT->create(IMPL->plugin_state, &cfg, &c, &k.skill), 0);
  H->json_decref(o);
  k.out.struct_size = sizeof k.out;
  assert_int_equal(VT->provision(k.skill, &k.ref, &k.out, &c), VBX_E_NOTFOUND);
  assert_string_equal(c.message, "box b: proc nosuch-server: exec: No such file or directory");
  finish(&k);

  assert_int_equal(provision(&k, "version-bad", NULL, &c), VBX_E_VERSION);
  assert_non_null(strstr(c.message, "'1999-01-01', which voidbox does not speak"));
  finish(&k);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_validate),
      cmocka_unit_test(test_no_streaming_exec),
      cmocka_unit_test(test_provision_and_calls),
      cmocka_unit_test(test_crash_is_a_tool_error),
      cmocka_unit_test(test_stall_and_garbage),
      cmocka_unit_test(test_start_failures),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
