/*
 * tests/unit/mocks/test_llm_mock.c - the "mock" LLM provider loaded from
 * llm-mock.so: script files (YAML and JSON, list and map forms), inline
 * turns, tool calls, usage and cost, templates, streaming, exhaustion and
 * positioned parse errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"

static fx F;
static const vbx_llm_provider_vtable *VT;

static int setup(void **state) {
  fx_open(&F, "llm-mock.so", VBX_KIND_LLM, "mock");
  VT = F.impl->vtable;
  return 0;
}

static int teardown(void **state) {
  fx_close(&F);
  return 0;
}

static void put(const char *name, const char *text) {
  char path[400];
  snprintf(path, sizeof path, "%s/%s", F.tmpdir, name);
  fx_write_file(path, text);
}

static int make(const char *opts, const char *model, void **out, vbx_call *c) {
  vbx_json *o = fx_json(&F, opts);
  vbx_llm_config cfg = {.struct_size = sizeof cfg};
  cfg.box_name = "box";
  cfg.model = model;
  cfg.options = o;
  cfg.spec_dir = F.tmpdir;
  fx_call(c);
  *out = NULL;
  int rc = VT->create(F.impl->plugin_state, &cfg, c, out);
  F.host->json_decref(o);
  return rc;
}

static void *make_ok(const char *opts) {
  vbx_call c;
  void *p;
  if (make(opts, NULL, &p, &c) != 0) fail_msg("create: %s", c.message);
  return p;
}

typedef struct words {
  int n;
  char text[2048];
  int stop_after; /* non-zero: return VBX_E_CANCELLED at that chunk */
} words;

static int on_text(void *user, const char *t, size_t len) {
  words *w = user;
  w->n++;
  strncat(w->text, t, len);
  if (w->stop_after && w->n >= w->stop_after) return VBX_E_CANCELLED;
  return 0;
}

/* A conversation: the first user message, and optionally a tool result. */
static const char *MSGS_FIRST =
    "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"AAPL 30d\"}]}]";
static const char *MSGS_TOOL =
    "[{\"role\":\"user\",\"content\":\"AAPL 30d\"},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_mock_1\","
    "\"name\":\"bash\",\"input\":{}}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_mock_1\","
    "\"content\":\"old\"}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_mock_2\","
    "\"content\":[{\"type\":\"text\",\"text\":\"close=187.2\"}]}]}]";

static int complete(void *p, const char *msgs, vbx_llm_response *resp, words *w, vbx_call *c) {
  vbx_json *m = fx_json(&F, msgs);
  vbx_llm_request req = {.struct_size = sizeof req};
  req.messages = m;
  req.max_tokens = 1000;
  req.on_text = w ? on_text : NULL;
  req.user = w;
  memset(resp, 0, sizeof *resp);
  resp->struct_size = sizeof *resp;
  fx_call(c);
  int rc = VT->complete(p, &req, resp, c);
  F.host->json_decref(m);
  return rc;
}

static void resp_free(vbx_llm_response *r) {
  if (r->content) F.host->json_decref(r->content);
  F.host->free(r->stop_reason);
  F.host->free(r->model);
}

static const char *str_at(const vbx_json *o, const char *key) {
  return F.host->json_string_value(F.host->json_object_get(o, key));
}

static const char *SCRIPT_YAML =
    "price: {input_per_mtok: 2.0, output_per_mtok: 10.0}\n"
    "model: mock-analyst-1\n"
    "turns:\n"
    "  - text: Looking at {{input}}.\n"
    "    tool_calls:\n"
    "      - name: bash\n"
    "        input: {command: \"fetch --symbol '{{input}}'\", retries: 2, dry: false}\n"
    "      - name: read_file\n"
    "        input: {path: /data/x.csv}\n"
    "    usage: {input_tokens: 1000, output_tokens: 200}\n"
    "  - text: \"Analysis of {{input}}: {{last_tool_output}} (done)\"\n"
    "    usage: {input_tokens: 3000, output_tokens: 500}\n";

static void test_script_turns_tools_usage_cost(void **state) {
  put("analyst.yaml", SCRIPT_YAML);
  void *p = make_ok("{\"script\":\"analyst.yaml\"}");
  vbx_llm_response r;
  vbx_call c;
  words w = {0};
  assert_int_equal(complete(p, MSGS_FIRST, &r, &w, &c), 0);
  assert_string_equal(r.stop_reason, "tool_use");
  assert_string_equal(r.model, "mock-analyst-1");
  assert_int_equal(F.host->json_array_size(r.content), 3);
  const vbx_json *b0 = F.host->json_array_get(r.content, 0);
  assert_string_equal(str_at(b0, "type"), "text");
  assert_string_equal(str_at(b0, "text"), "Looking at AAPL 30d.");
  const vbx_json *b1 = F.host->json_array_get(r.content, 1);
  assert_string_equal(str_at(b1, "type"), "tool_use");
  assert_string_equal(str_at(b1, "id"), "toolu_mock_1");
  assert_string_equal(str_at(b1, "name"), "bash");
  const vbx_json *in = F.host->json_object_get(b1, "input");
  assert_string_equal(str_at(in, "command"), "fetch --symbol 'AAPL 30d'");
  assert_int_equal(F.host->json_type(F.host->json_object_get(in, "retries")), VBX_JSON_INTEGER);
  assert_int_equal(F.host->json_type(F.host->json_object_get(in, "dry")), VBX_JSON_BOOL);
  const vbx_json *b2 = F.host->json_array_get(r.content, 2);
  assert_string_equal(str_at(b2, "id"), "toolu_mock_2");
  assert_string_equal(str_at(b2, "name"), "read_file");
  assert_int_equal(r.usage.input_tokens, 1000);
  assert_int_equal(r.usage.output_tokens, 200);
  assert_true(r.usage.cost_usd > 0.003999 && r.usage.cost_usd < 0.004001); /* 1000*2+200*10 */
  /* streamed word by word */
  assert_int_equal(w.n, 4);
  assert_string_equal(w.text, "Looking at AAPL 30d.");
  resp_free(&r);

  assert_int_equal(complete(p, MSGS_TOOL, &r, NULL, &c), 0);
  assert_string_equal(r.stop_reason, "end_turn");
  assert_int_equal(F.host->json_array_size(r.content), 1);
  assert_string_equal(str_at(F.host->json_array_get(r.content, 0), "text"),
                      "Analysis of AAPL 30d: close=187.2 (done)");
  assert_true(r.usage.cost_usd > 0.010999 && r.usage.cost_usd < 0.011001); /* 6000+5000 */
  resp_free(&r);

  assert_int_equal(complete(p, MSGS_FIRST, &r, NULL, &c), VBX_E_PROVIDER);
  assert_non_null(strstr(c.message, "analyst.yaml exhausted after 2 turns"));
  assert_null(r.content);
  VT->destroy(p);
  /* each instance starts at the first turn */
  p = make_ok("{\"script\":\"analyst.yaml\"}");
  assert_int_equal(complete(p, MSGS_FIRST, &r, NULL, &c), 0);
  assert_string_equal(r.stop_reason, "tool_use");
  resp_free(&r);
  VT->destroy(p);
}

static void test_json_script_default_price(void **state) {
  put("s.json",
      "[{\"text\": \"hi {{last_tool_output}}|\", "
      "\"usage\": {\"input_tokens\": 1000000, \"output_tokens\": 1000000}}]");
  void *p;
  vbx_call c;
  assert_int_equal(make("{\"script\":\"s.json\"}", "cfg-model", &p, &c), 0);
  vbx_llm_response r;
  assert_int_equal(complete(p, MSGS_FIRST, &r, NULL, &c), 0);
  assert_string_equal(str_at(F.host->json_array_get(r.content, 0), "text"), "hi |");
  assert_string_equal(r.model, "cfg-model");
  assert_true(r.usage.cost_usd > 17.999 && r.usage.cost_usd < 18.001); /* 3 + 15 */
  resp_free(&r);
  VT->destroy(p);
}

static void test_inline_turns_and_estimate(void **state) {
  void *p = make_ok(
      "{\"turns\":[{\"tool_calls\":[{\"name\":\"bash\",\"input\":"
      "{\"command\":\"ls\"}}]},{\"text\":\"got {{last_tool_output}}\"}],"
      "\"price\":{\"input_per_mtok\":1,\"output_per_mtok\":1}}");
  vbx_llm_response r;
  vbx_call c;
  assert_int_equal(complete(p, MSGS_FIRST, &r, NULL, &c), 0);
  assert_string_equal(r.stop_reason, "tool_use");
  assert_int_equal(F.host->json_array_size(r.content), 1); /* no empty text block */
  assert_true(r.usage.input_tokens > 10);                  /* estimated from the request */
  assert_true(r.usage.output_tokens > 0);
  assert_true(r.usage.cost_usd > 0);
  resp_free(&r);
  assert_int_equal(complete(p, MSGS_TOOL, &r, NULL, &c), 0);
  assert_string_equal(str_at(F.host->json_array_get(r.content, 0), "text"), "got close=187.2");
  resp_free(&r);
  assert_int_equal(complete(p, MSGS_TOOL, &r, NULL, &c), VBX_E_PROVIDER);
  assert_non_null(strstr(c.message, "inline turns exhausted after 2 turns"));
  VT->destroy(p);
}

static void expect_create_error(const char *opts, int code, const char *field, const char *needle) {
  void *p;
  vbx_call c;
  assert_int_equal(make(opts, NULL, &p, &c), code);
  assert_null(p);
  assert_string_equal(c.field, field);
  if (strstr(c.message, needle) == NULL) fail_msg("message '%s' lacks '%s'", c.message, needle);
}

static void test_script_errors(void **state) {
  char want[512];
  put("syntax.yaml", "turns:\n  - text: ok\n  - text: [unclosed\n");
  snprintf(want, sizeof want, "%s/syntax.yaml:4:", F.tmpdir);
  expect_create_error("{\"script\":\"syntax.yaml\"}", VBX_E_SPEC, "script", want);
  put("badkey.yaml", "- text: fine\n- text: x\n  usage: {input_tokens: 1, outptu_tokens: 2}\n");
  snprintf(want, sizeof want, "%s/badkey.yaml:3:28: unknown key turns[1].usage.outptu_tokens",
           F.tmpdir);
  expect_create_error("{\"script\":\"badkey.yaml\"}", VBX_E_SPEC, "script", want);
  put("badtype.json", "{\"turns\": [{\"text\": \"a\", \"usage\": {\"input_tokens\": -4}}]}");
  snprintf(want, sizeof want, "%s/badtype.json:1:52: turns[0].usage.input_tokens", F.tmpdir);
  expect_create_error("{\"script\":\"badtype.json\"}", VBX_E_SPEC, "script", want);
  put("empty_turn.yaml", "- usage: {input_tokens: 1}\n");
  expect_create_error("{\"script\":\"empty_turn.yaml\"}", VBX_E_SPEC, "script",
                      "empty_turn.yaml:1:3: turns[0] has neither");
  put("notool.yaml", "- tool_calls: [{input: {}}]\n");
  expect_create_error("{\"script\":\"notool.yaml\"}", VBX_E_SPEC, "script", "has no `name`");
  expect_create_error("{\"script\":\"missing.yaml\"}", VBX_E_NOTFOUND, "script", "missing.yaml");
  expect_create_error("{\"turns\":[{\"text\":1,\"bogus\":2}]}", VBX_E_SPEC, "turns",
                      "unknown key turns[0].bogus");
  expect_create_error("{\"turns\":[]}", VBX_E_SPEC, "turns", "empty");
  expect_create_error("{}", VBX_E_INVAL, "script", "exactly one");
  expect_create_error("{\"script\":\"a\",\"turns\":[]}", VBX_E_INVAL, "turns", "exactly one");
  expect_create_error("{\"scirpt\":\"a\"}", VBX_E_INVAL, "scirpt", "scirpt");
  expect_create_error("{\"turns\":[{\"text\":\"a\"}],\"price\":{\"input\":1}}", VBX_E_SPEC, "price",
                      "price.input");
  /* validate_options checks inline turns without a spec dir */
  vbx_call c;
  fx_call(&c);
  vbx_json *o = fx_json(&F, "{\"turns\":[{\"txt\":\"a\"}]}");
  assert_int_equal(VT->validate_options(F.impl->plugin_state, o, &c), VBX_E_SPEC);
  assert_string_equal(c.field, "turns");
  F.host->json_decref(o);
  o = fx_json(&F, "{\"script\":\"not-read-at-validate.yaml\"}");
  assert_int_equal(VT->validate_options(F.impl->plugin_state, o, &c), 0);
  F.host->json_decref(o);
}

static void test_stream_cancel(void **state) {
  void *p = make_ok("{\"turns\":[{\"text\":\"one two three four\"}]}");
  vbx_llm_response r;
  vbx_call c;
  words w = {0};
  w.stop_after = 2;
  assert_int_equal(complete(p, MSGS_FIRST, &r, &w, &c), VBX_E_CANCELLED);
  assert_int_equal(w.n, 2);
  assert_null(r.content);
  VT->destroy(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_script_turns_tools_usage_cost),
      cmocka_unit_test(test_json_script_default_price),
      cmocka_unit_test(test_inline_turns_and_estimate),
      cmocka_unit_test(test_script_errors),
      cmocka_unit_test(test_stream_cancel),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
