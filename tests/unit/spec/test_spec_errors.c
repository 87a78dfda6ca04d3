/*
 * test_spec_errors - one test per class of spec error, asserting the exact
 * FILE:LINE:COLUMN and the message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spec/spec.h"

#define HEAD_AGENT "api_version: v1\nkind: agent\nname: a\n"
#define HEAD_PIPE "api_version: v1\nkind: pipeline\nname: p\n"

/* Check err against code, position and a message substring. */
static void check(int rc, const vbx_error *err, const char *file, int line, int col,
                  const char *needle) {
  if (rc != VBX_E_SPEC || err->line != line || err->column != col ||
      strstr(err->message, needle) == NULL)
    print_error("rc=%d got '%s', want %s:%d:%d: ...%s...\n", rc, err->message, file, line, col,
                needle);
  assert_int_equal(rc, VBX_E_SPEC);
  assert_int_equal(err->code, VBX_E_SPEC);
  assert_string_equal(err->file, file);
  assert_int_equal(err->line, line);
  assert_int_equal(err->column, col);
  char prefix[600];
  snprintf(prefix, sizeof(prefix), "%s:%d:%d: ", file, line, col);
  assert_memory_equal(err->message, prefix, strlen(prefix));
  assert_non_null(strstr(err->message, needle));
}

static void expect(const char *text, int is_json, int line, int col, const char *needle) {
  vbx_error err = {0};
  vbx_pipeline *p = (vbx_pipeline *)1;
  const char *name = is_json ? "t.json" : "t.yaml";
  int rc = vbx__spec_load_buffer(text, strlen(text), name, is_json, &p, &err);
  assert_null(p);
  check(rc, &err, name, line, col, needle);
}

static void expect_file(const char *base, int line, int col, const char *needle) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", VBX_SPEC_DATA_DIR, base);
  vbx_error err = {0};
  vbx_pipeline *p = (vbx_pipeline *)1;
  int rc = vbx_pipeline_load_file(path, &p, &err);
  assert_null(p);
  check(rc, &err, path, line, col, needle);
}

static void test_yaml_syntax(void **state) {
  (void)state;
  expect_file("syntax_error.yaml", 6, 1,
              "YAML syntax error: while scanning a quoted scalar: found unexpected end of stream");
  expect(HEAD_AGENT "agent:\n  prompt: [a, b\n", 0, 6, 1, "YAML syntax error:");
}

static void test_json_syntax(void **state) {
  (void)state;
  expect_file("syntax_error.json", 5, 3, "JSON syntax error: '}' expected near '\"agent\"'");
  expect_file("sniffed_bad.spec", 2, 39, "JSON syntax error:");
}

static void test_duplicate_key(void **state) {
  (void)state;
  expect(HEAD_AGENT "name: b\nagent: {prompt: x}\n", 0, 4, 1,
         "duplicate key 'name' (first defined at line 3, column 1)");
  expect(HEAD_AGENT "agent:\n  prompt: x\n  max_turns: 2\n  prompt: y\n", 0, 7, 3,
         "duplicate key 'prompt' (first defined at line 5, column 3)");
  expect("{\"api_version\": \"v1\",\n \"kind\": \"agent\",\n \"kind\": \"agent\"}", 1, 3, 2,
         "duplicate key 'kind' (first defined at line 2, column 2)");
}

static void test_unknown_key_hint(void **state) {
  (void)state;
  expect(HEAD_AGENT "agent:\n  promt: hi\n", 0, 5, 3,
         "unknown key 'promt' in agent (did you mean 'prompt'?)");
  expect(HEAD_AGENT "agnet: {prompt: x}\n", 0, 4, 1,
         "unknown key 'agnet' in the spec (did you mean 'agent'?)");
  expect(HEAD_AGENT "agent:\n  prompt: x\n  zzzzzz: 1\n", 0, 6, 3,
         "unknown key 'zzzzzz' in agent (known keys: prompt, skills, max_turns");
  expect(HEAD_PIPE
         "pipeline:\n  boxes:\n    - {name: a, prompt: x, skils: []}\n  stages: [{box: a}]\n",
         0, 6, 28, "unknown key 'skils' in box (did you mean 'skills'?)");
  expect(HEAD_AGENT "agent: {prompt: x}\nobserve: {exporter: []}\n", 0, 5, 11,
         "unknown key 'exporter' in observe (did you mean 'exporters'?)");
  expect(HEAD_AGENT
         "agent: {prompt: x}\nsandbox:\n  mounts: [{host: a, guest: /a, readonly: true}]\n",
         0, 6, 33, "unknown key 'readonly' in mount (did you mean 'read_only'?)");
}

static void test_wrong_type(void **state) {
  (void)state;
  expect(HEAD_AGENT "agent: {prompt: x}\nsandbox:\n  memory_mb: \"512\"\n", 0, 6, 14,
         "'memory_mb' must be an integer, got a string");
  expect(HEAD_AGENT "agent: {prompt: x}\nsandbox: [1]\n", 0, 5, 10,
         "'sandbox' must be a map, got a list");
  expect(HEAD_AGENT "agent: {prompt: x}\nsandbox: {network: yes}\n", 0, 5, 20,
         "'network' must be true, false or a policy map (allow, deny, dns, max_connections, "
         "rate_limit_kbps), got a string");
  expect(HEAD_AGENT "agent: {prompt: 42}\n", 0, 4, 17,
         "'prompt' must be a string, got an integer (quote it to make it a string)");
  expect(HEAD_AGENT "agent: {prompt: x, skills: file:a}\n", 0, 4, 28,
         "'skills' must be a list, got a string");
  expect(
      "{\"api_version\": \"v1\", \"kind\": \"agent\", \"name\": \"a\",\n"
      " \"agent\": {\"prompt\": \"x\", \"max_turns\": \"3\"}}",
      1, 2, 40, "'max_turns' must be an integer, got a string");
  expect("- a\n- b\n", 0, 1, 1, "the spec must be a map, got a list");
}

/* sandbox.network as a policy map: each bad entry is reported where it stands. */
static void test_network_policy(void **state) {
  (void)state;
#define NET HEAD_AGENT "agent: {prompt: x}\nsandbox:\n  network:\n"
  expect(NET "    allow:\n      - 1.2.3.4\n      - 10.0.0.0/33\n", 0, 9, 9,
         "network allow entry prefix length '/33' must be a number from 0 to 32");
  expect(NET "    deny: [evil.example.com:443]\n", 0, 7, 12,
         "network deny entry 'evil.example.com:443': a denied name cannot have a port");
  expect(NET "    allow: ['*.example.*']\n", 0, 7, 13,
         "a wildcard may only be a leading \"*.\" (as in *.example.com)");
  expect(NET "    allow: [example.com:0]\n", 0, 7, 13,
         "port '0' must be a number from 1 to 65535 or a range LOW-HIGH");
  expect(NET "    allow: [localhost]\n", 0, 7, 13,
         "'localhost' is neither an address, a CIDR nor a host name");
  expect(NET "    dns: [resolver.example.com]\n", 0, 7, 11,
         "network dns entry DNS server 'resolver.example.com' must be an address");
  expect(NET "    max_connections: 0\n", 0, 7, 22, "max_connections");
  expect(NET "    rate_limit_kbps: -1\n", 0, 7, 22, "rate_limit_kbps");
  expect(NET "    alow: [1.2.3.4]\n", 0, 7, 5, "alow");
  expect(NET "    allow: [[1.2.3.4]]\n", 0, 7, 13,
         "network allow entry must be a string, got a list");
  expect(NET "    allow: 1.2.3.4\n", 0, 7, 12, "allow");
#undef NET
}

static void test_out_of_range(void **state) {
  (void)state;
  expect(HEAD_AGENT "agent: {prompt: x}\nsandbox:\n  vcpus: 65\n", 0, 6, 10,
         "'vcpus' must be between 1 and 64, got 65");
  expect(HEAD_AGENT "agent: {prompt: x}\nsandbox: {memory_mb: 8}\n", 0, 5, 22,
         "'memory_mb' must be between 16 and 1048576, got 8");
  expect(HEAD_AGENT "agent: {prompt: x, max_turns: 0}\n", 0, 4, 31,
         "'max_turns' must be between 1 and 1000, got 0");
  expect(HEAD_AGENT "agent: {prompt: x, timeout_secs: 99999999999999999999}\n", 0, 4, 34,
         "'timeout_secs' must be between 0 and 86400");
}

static void test_missing_required(void **state) {
  (void)state;
  expect(HEAD_AGENT "agent:\n  max_turns: 3\n", 0, 5, 3, "missing required key 'prompt' in agent");
  expect("# a comment\nkind: agent\nname: a\n", 0, 2, 1,
         "missing required key 'api_version' in the spec");
  expect("api_version: v1\nname: a\n", 0, 1, 1, "missing required key 'kind' in the spec");
  expect(HEAD_AGENT "sandbox: {}\n", 0, 1, 1, "missing required key 'agent' in the spec");
  expect(HEAD_PIPE "pipeline:\n  boxes:\n    - name: a\n  stages: [{box: a}]\n", 0, 6, 7,
         "missing required key 'prompt' in box");
  expect(HEAD_PIPE "pipeline:\n  boxes: [{name: a, prompt: x}]\n", 0, 5, 3,
         "missing required key 'stages' in pipeline");
  expect(HEAD_AGENT "agent: {prompt: x}\nsandbox:\n  mounts:\n    - guest: /a\n", 0, 7, 7,
         "missing required key 'host' in mount");
}

static void test_bad_api_version(void **state) {
  (void)state;
  expect("api_version: v2\nkind: agent\nname: a\nagent: {prompt: x}\n", 0, 1, 14,
         "unsupported api_version 'v2' (this voidbox reads 'v1')");
  expect("api_version: 1\nkind: agent\n", 0, 1, 14, "unsupported api_version '1'");
}

static void test_bad_kind(void **state) {
  (void)state;
  expect("api_version: v1\nkind: pipelin\nname: a\n", 0, 2, 7,
         "unknown kind 'pipelin' (did you mean 'pipeline'?); expected 'agent' or 'pipeline'");
  expect("api_version: v1\nkind: robot\nname: a\n", 0, 2, 7,
         "unknown kind 'robot'; expected 'agent' or 'pipeline'");
}

static void test_block_for_other_kind(void **state) {
  (void)state;
  expect(HEAD_PIPE "agent: {prompt: x}\npipeline: {}\n", 0, 4, 1,
         "'agent' block is not allowed in a spec of kind pipeline (use 'pipeline')");
  expect(HEAD_AGENT "agent: {prompt: x}\npipeline: {}\n", 0, 5, 1,
         "'pipeline' block is not allowed in a spec of kind agent (use 'agent')");
}

#define BOXES_AB \
  "pipeline:\n  boxes:\n    - {name: analyst, prompt: x}\n    - {name: writer, prompt: y}\n"

static void test_unknown_stage_box(void **state) {
  (void)state;
  expect(HEAD_PIPE BOXES_AB "  stages:\n    - box: analyst\n    - box: anlyst\n", 0, 10, 12,
         "unknown box 'anlyst' in stage (did you mean 'analyst'?)");
  expect(HEAD_PIPE BOXES_AB "  stages:\n    - fan_out: [analyst, zzz]\n", 0, 9, 26,
         "unknown box 'zzz' in stage (no box of that name is declared)");
  expect(HEAD_PIPE BOXES_AB "  stages:\n    - {bx: analyst}\n", 0, 9, 8,
         "unknown key 'bx' in stage (did you mean 'box'?)");
  expect(HEAD_PIPE BOXES_AB "  stages:\n    - {box: analyst, fan_out: [analyst, writer]}\n", 0, 9,
         7, "a stage has either 'box' or 'fan_out', not both");
}

static void test_duplicate_box(void **state) {
  (void)state;
  expect(HEAD_PIPE
         "pipeline:\n  boxes:\n    - {name: a, prompt: x}\n    - {name: a, prompt: y}\n"
         "  stages: [{box: a}]\n",
         0, 7, 14, "duplicate box name 'a' (first declared at line 6, column 7)");
}

static void test_unused_box(void **state) {
  (void)state;
  expect(HEAD_PIPE BOXES_AB "  stages:\n    - box: analyst\n", 0, 7, 14,
         "box 'writer' is declared but no stage uses it (add a stage '- box: writer' or remove "
         "the box)");
  expect(HEAD_PIPE BOXES_AB "  stages:\n    - box: writer\n", 0, 6, 14,
         "box 'analyst' is declared but no stage uses it");
}

static void test_fan_out_one(void **state) {
  (void)state;
  expect(HEAD_PIPE BOXES_AB "  stages:\n    - fan_out: [analyst]\n", 0, 9, 16,
         "'fan_out' needs at least 2 boxes, got 1");
  expect(HEAD_PIPE BOXES_AB "  stages:\n    - fan_out: [analyst, analyst]\n", 0, 9, 26,
         "box 'analyst' appears twice in one fan_out");
}

static void test_max_parallel(void **state) {
  (void)state;
  expect(HEAD_PIPE BOXES_AB "  stages:\n    - fan_out: [analyst, writer]\n  max_parallel: 0\n", 0,
         10, 17, "'max_parallel' must be between 1 and 4096, got 0");
  expect(HEAD_PIPE BOXES_AB "  stages:\n    - fan_out: [analyst, writer]\n  max_parallel: x\n", 0,
         10, 17, "max_parallel");
}

static void test_malformed_skill(void **state) {
  (void)state;
  expect(HEAD_AGENT "agent:\n  prompt: x\n  skills:\n    - nocolon\n", 0, 7, 7,
         "malformed skill 'nocolon': expected \"TYPE:VALUE\"");
  expect(HEAD_AGENT "agent:\n  prompt: x\n  skills: [\"File:x\"]\n", 0, 6, 12,
         "malformed skill 'File:x'");
  expect(HEAD_AGENT "agent:\n  prompt: x\n  skills: [{value: x}]\n", 0, 6, 12,
         "missing required key 'type' in skill");
}

static void test_bad_env_name(void **state) {
  (void)state;
  expect(HEAD_AGENT "agent: {prompt: x}\nsandbox:\n  env:\n    1BAD: x\n", 0, 7, 5,
         "invalid environment variable name '1BAD'");
  expect(HEAD_AGENT "agent: {prompt: x}\nllm: {api_key_env: my-key}\n", 0, 5, 20,
         "invalid environment variable name 'my-key' in api_key_env");
}

static void test_relative_mount(void **state) {
  (void)state;
  expect(HEAD_AGENT "agent: {prompt: x}\nsandbox:\n  mounts:\n    - {host: a, guest: data}\n", 0, 7,
         24, "mount guest path 'data' must be absolute");
}

static void test_too_large(void **state) {
  (void)state;
  char path[] = "/tmp/vbx_spec_bigXXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  size_t n = VBX__SPEC_MAX_BYTES + 1;
  char *buf = malloc(n);
  assert_non_null(buf);
  memset(buf, '#', n);
  assert_int_equal(write(fd, buf, n), (ssize_t)n);
  close(fd);
  vbx_error err = {0};
  vbx_pipeline *p = NULL;
  int rc = vbx_pipeline_load_file(path, &p, &err);
  unlink(path);
  assert_int_equal(rc, VBX_E_SPEC);
  assert_null(p);
  assert_string_equal(err.file, path);
  assert_int_equal(err.line, 0);
  assert_non_null(strstr(err.message, "file is too large (4194305 bytes; limit 4194304)"));
  /* The buffer entry point has the same bound. */
  memset(&err, 0, sizeof(err));
  rc = vbx__spec_load_buffer(buf, n, "big.yaml", 0, &p, &err);
  free(buf);
  assert_int_equal(rc, VBX_E_SPEC);
  assert_string_equal(err.message, "big.yaml: file is too large (4194305 bytes; limit 4194304)");
}

static void test_alias_anchor_tag(void **state) {
  (void)state;
  expect(HEAD_AGENT "agent:\n  prompt: &p hello\n  output_file: *p\n", 0, 5, 11,
         "YAML anchors are not supported (&p)");
  expect(HEAD_AGENT "agent:\n  prompt: hello\n  output_file: *p\n", 0, 6, 16,
         "YAML aliases are not supported (*p)");
  expect(HEAD_AGENT "agent:\n  prompt: !shell hello\n", 0, 5, 11,
         "YAML tag '!shell' is not supported");
  expect(HEAD_AGENT "agent:\n  prompt: !!int hello\n", 0, 5, 11, "'hello' is not a valid !!int");
}

static void test_limits(void **state) {
  (void)state;
  char text[1024] = HEAD_AGENT "agent: {prompt: x}\nsandbox: {deep: ";
  size_t l = strlen(text);
  for (int i = 0; i < 70; i++)
    text[l++] = '[';
  text[l] = '\0';
  expect(text, 0, 5, 17 + 62, "values nested too deeply (limit 64 levels)");
  /* Too many nodes: a flat list of 100001 items. */
  size_t cap = 8 * 100010, n = 0;
  char *big = malloc(cap);
  assert_non_null(big);
  n += (size_t)snprintf(big, cap, "%s", HEAD_AGENT "x: [");
  for (int i = 0; i < 100001; i++)
    n += (size_t)snprintf(big + n, cap - n, "1,");
  snprintf(big + n, cap - n, "1]\n");
  vbx_error err = {0};
  vbx_pipeline *p = NULL;
  int rc = vbx__spec_load_buffer(big, strlen(big), "t.yaml", 0, &p, &err);
  free(big);
  assert_int_equal(rc, VBX_E_SPEC);
  assert_non_null(strstr(err.message, "too many values in the file (limit 100000)"));
  expect("a: 1\n---\nb: 2\n", 0, 2, 1, "only one YAML document per file");
  expect("", 0, 1, 1, "the file holds no document");
}

static void test_name_rules(void **state) {
  (void)state;
  expect("api_version: v1\nkind: agent\nname: \"a b\"\n", 0, 3, 7, "invalid name 'a b'");
  expect(HEAD_PIPE "pipeline:\n  boxes: [{name: a/b, prompt: x}]\n  stages: [{box: a}]\n", 0, 5, 18,
         "invalid box name 'a/b'");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_yaml_syntax),
      cmocka_unit_test(test_json_syntax),
      cmocka_unit_test(test_duplicate_key),
      cmocka_unit_test(test_unknown_key_hint),
      cmocka_unit_test(test_wrong_type),
      cmocka_unit_test(test_out_of_range),
      cmocka_unit_test(test_missing_required),
      cmocka_unit_test(test_bad_api_version),
      cmocka_unit_test(test_bad_kind),
      cmocka_unit_test(test_block_for_other_kind),
      cmocka_unit_test(test_unknown_stage_box),
      cmocka_unit_test(test_duplicate_box),
      cmocka_unit_test(test_fan_out_one),
      cmocka_unit_test(test_max_parallel),
      cmocka_unit_test(test_malformed_skill),
      cmocka_unit_test(test_bad_env_name),
      cmocka_unit_test(test_relative_mount),
      cmocka_unit_test(test_too_large),
      cmocka_unit_test(test_network_policy),
      cmocka_unit_test(test_alias_anchor_tag),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_name_rules),
      cmocka_unit_test(test_unused_box),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
