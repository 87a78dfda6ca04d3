/*
 * tests/integration/llm_engine/test_llm_engine.c - end to end: the native
 * agent engine completes a tool-using task through each real LLM provider
 * plugin (BUILD/plugins/llm-{anthropic,openai,ollama}.so) and the real
 * mock sandbox (sandbox-mock.so, whose `echo` runs in its simulated shell),
 * against the scripted fake server of tests/integration/llm speaking the
 * provider's streamed wire format.
 *
 * Turn 1: the model says a sentence and calls bash {"command":"echo
 * hello-from-tool"}; turn 2: a final text in two pieces. Each case checks
 * the run result, the tool call, the second request's tool result in the
 * provider's shape, streamed chunks, tokens and cost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../llm/fake_server.h"
#include "spec/spec.h"
#include "voidbox/voidbox.h"

#define T1_TEXT "I will run it."
#define FINAL_A "E2E-FINAL: the tool "
#define FINAL_B "said hello."
#define FINAL FINAL_A FINAL_B
#define TOOL_OUT "hello-from-tool"

/* ---- anthropic: SSE, tool input as input_json_delta pieces ------------- */
#define EV(name, json) "event: " name "\ndata: " json "\n\n"
#define A_START(in)                                                                 \
  EV("message_start",                                                               \
     "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_e2e\",\"type\":"        \
     "\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\"," \
     "\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":" in          \
     ",\"output_tokens\":1}}}")
#define A_TEXT_START(i)                                                      \
  EV("content_block_start", "{\"type\":\"content_block_start\",\"index\":" i \
                            ",\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
#define A_TEXT(i, t)                                                         \
  EV("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" i \
                            ",\"delta\":{\"type\":\"text_delta\",\"text\":\"" t "\"}}")
#define A_JSON(i, t)                                  \
  EV("content_block_delta",                           \
     "{\"type\":\"content_block_delta\",\"index\":" i \
     ",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"" t "\"}}")
#define A_STOP(i) EV("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" i "}")
#define A_END(stop, out)                                                               \
  EV("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" stop \
                      "\"},"                                                           \
                      "\"usage\":{\"output_tokens\":" out "}}")                        \
  EV("message_stop", "{\"type\":\"message_stop\"}")

static const fs_part a_turn1[] = {
    {A_START("120") A_TEXT_START("0") A_TEXT("0", T1_TEXT) A_STOP("0"), 0},
    {EV("content_block_start",
        "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
        "{\"type\":\"tool_use\",\"id\":\"toolu_e2e_01\",\"name\":\"bash\",\"input\":{}}}"),
     0},
    {A_JSON("1", ""), 0},
    {A_JSON("1", "{\\\"command\\\": \\\"echo hel"), 0},
    {A_JSON("1", "lo-from-tool\\\"}"), 0},
    {A_STOP("1") A_END("tool_use", "30"), 0},
    {NULL, 0}};
static const fs_part a_turn2[] = {{A_START("180") A_TEXT_START("0") A_TEXT("0", FINAL_A), 0},
                                  {A_TEXT("0", FINAL_B) A_STOP("0"), 0},
                                  {A_END("end_turn", "9"), 0},
                                  {NULL, 0}};

/* ---- openai: SSE chunks, tool_calls deltas with JSON-text arguments ----- */
#define D(json) "data: " json "\n\n"
#define O_CHUNK(delta, finish)                                                                \
  D("{\"id\":\"c_e2e\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\"," \
    "\"choices\":[{\"index\":0,\"delta\":" delta ",\"finish_reason\":" finish "}]}")
#define O_USAGE(p, c)                                                                         \
  D("{\"id\":\"c_e2e\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\"," \
    "\"choices\":[],\"usage\":{\"prompt_tokens\":" p ",\"completion_tokens\":" c              \
    ",\"total_tokens\":1}}")
#define O_DONE "data: [DONE]\n\n"

static const fs_part o_turn1[] = {
    {O_CHUNK("{\"role\":\"assistant\",\"content\":\"" T1_TEXT "\"}", "null"), 0},
    {O_CHUNK("{\"tool_calls\":[{\"index\":0,\"id\":\"call_e2e_01\",\"type\":\"function\","
             "\"function\":{\"name\":\"bash\",\"arguments\":\"\"}}]}",
             "null"),
     0},
    {O_CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"command\\\":\"}}]}",
             "null"),
     0},
    {O_CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"echo "
             "hello-from-tool\\\"}\"}}]}",
             "null"),
     0},
    {O_CHUNK("{}", "\"tool_calls\"") O_USAGE("140", "25") O_DONE, 0},
    {NULL, 0}};
static const fs_part o_turn2[] = {
    {O_CHUNK("{\"role\":\"assistant\",\"content\":\"" FINAL_A "\"}", "null"), 0},
    {O_CHUNK("{\"content\":\"" FINAL_B "\"}", "null"), 0},
    {O_CHUNK("{}", "\"stop\"") O_USAGE("200", "8") O_DONE, 0},
    {NULL, 0}};

/* ---- ollama: NDJSON, tool calls with object arguments ------------------ */
#define L_MSG(content)                                                                     \
  "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":" \
  "\"assistant\",\"content\":\"" content "\"},\"done\":false}\n"
#define L_DONE(p, e)                                                                       \
  "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:01Z\",\"message\":{\"role\":" \
  "\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_"  \
  "count\":" p ",\"eval_count\":" e "}\n"

static const fs_part l_turn1[] = {
    {L_MSG(T1_TEXT), 0},
    {"{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":"
     "\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"bash\","
     "\"arguments\":{\"command\":\"echo hello-from-tool\"}}}]},\"done\":false}\n",
     0},
    {L_DONE("90", "20"), 0},
    {NULL, 0}};
static const fs_part l_turn2[] = {
    {L_MSG(FINAL_A), 0}, {L_MSG(FINAL_B), 0}, {L_DONE("150", "7"), 0}, {NULL, 0}};

/* ---- the cases --------------------------------------------------------- */

typedef struct pcase {
  const char *provider;
  const char *model;
  const char *key_env; /* NULL: no key */
  const char *key;
  const char *path;
  const char *content_type;
  const fs_part *turn1, *turn2;
  int priced;
  void (*check_second)(json_t *body);
} pcase;

/* `text` of a JSON value contains `needle` (strings searched as-is, other
 * values through their JSON text). */
static int json_contains(const json_t *v, const char *needle) {
  if (json_is_string(v)) return strstr(json_string_value(v), needle) != NULL;
  char *s = json_dumps(v, JSON_COMPACT);
  int hit = s != NULL && strstr(s, needle) != NULL;
  free(s);
  return hit;
}

static const char *jstr(const json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

/* Anthropic: the last message is a user message with one tool_result block
 * answering toolu_e2e_01; the assistant turn before it holds the tool_use. */
static void check_anthropic(json_t *body) {
  json_t *msgs = json_object_get(body, "messages");
  assert_int_equal(json_array_size(msgs), 3);
  json_t *am = json_array_get(msgs, 1);
  assert_string_equal(jstr(am, "role"), "assistant");
  int saw_use = 0;
  size_t i;
  json_t *b;
  json_array_foreach(json_object_get(am, "content"), i, b) {
    if (jstr(b, "type") && strcmp(jstr(b, "type"), "tool_use") == 0) {
      assert_string_equal(jstr(b, "id"), "toolu_e2e_01");
      assert_string_equal(jstr(b, "name"), "bash");
      assert_string_equal(jstr(json_object_get(b, "input"), "command"), "echo hello-from-tool");
      saw_use++;
    }
  }
  assert_int_equal(saw_use, 1);
  json_t *um = json_array_get(msgs, 2);
  assert_string_equal(jstr(um, "role"), "user");
  json_t *content = json_object_get(um, "content");
  assert_int_equal(json_array_size(content), 1);
  json_t *tr = json_array_get(content, 0);
  assert_string_equal(jstr(tr, "type"), "tool_result");
  assert_string_equal(jstr(tr, "tool_use_id"), "toolu_e2e_01");
  assert_true(json_contains(json_object_get(tr, "content"), TOOL_OUT));
}

/* The one message with role "tool" (fails if there is not exactly one). */
static json_t *tool_message(json_t *msgs) {
  json_t *found = NULL;
  size_t i;
  json_t *m;
  json_array_foreach(msgs, i, m) {
    if (jstr(m, "role") && strcmp(jstr(m, "role"), "tool") == 0) {
      assert_null(found);
      found = m;
    }
  }
  assert_non_null(found);
  return found;
}

/* OpenAI: an assistant message with tool_calls[0] {id call_e2e_01, bash,
 * arguments as JSON text}, then a role "tool" message answering it. */
static void check_openai(json_t *body) {
  json_t *msgs = json_object_get(body, "messages");
  json_t *tm = tool_message(msgs);
  assert_string_equal(jstr(tm, "tool_call_id"), "call_e2e_01");
  assert_true(json_contains(json_object_get(tm, "content"), TOOL_OUT));
  int saw_call = 0;
  size_t i;
  json_t *m;
  json_array_foreach(msgs, i, m) {
    json_t *calls = json_object_get(m, "tool_calls");
    if (calls == NULL) continue;
    assert_string_equal(jstr(m, "role"), "assistant");
    assert_int_equal(json_array_size(calls), 1);
    json_t *c = json_array_get(calls, 0);
    assert_string_equal(jstr(c, "id"), "call_e2e_01");
    json_t *fn = json_object_get(c, "function");
    assert_string_equal(jstr(fn, "name"), "bash");
    json_t *args = json_loads(jstr(fn, "arguments"), 0, NULL);
    assert_non_null(args);
    assert_string_equal(jstr(args, "command"), "echo hello-from-tool");
    json_decref(args);
    saw_call++;
  }
  assert_int_equal(saw_call, 1);
}

/* Ollama: a role "tool" message naming the tool, after an assistant
 * message whose tool call has object arguments. */
static void check_ollama(json_t *body) {
  json_t *msgs = json_object_get(body, "messages");
  json_t *tm = tool_message(msgs);
  assert_true(json_contains(json_object_get(tm, "content"), TOOL_OUT));
  assert_string_equal(jstr(tm, "tool_name"), "bash");
  int saw_call = 0;
  size_t i;
  json_t *m;
  json_array_foreach(msgs, i, m) {
    json_t *calls = json_object_get(m, "tool_calls");
    if (calls == NULL) continue;
    json_t *fn = json_object_get(json_array_get(calls, 0), "function");
    assert_string_equal(jstr(fn, "name"), "bash");
    assert_true(json_is_object(json_object_get(fn, "arguments")));
    assert_string_equal(jstr(json_object_get(fn, "arguments"), "command"), "echo hello-from-tool");
    saw_call++;
  }
  assert_int_equal(saw_call, 1);
}

/* ---- streaming recorder ------------------------------------------------ */

typedef struct rec {
  char text[4096];
  size_t text_len;
  size_t text_chunks;
  char tool_out[4096];
  size_t tool_len;
  int foreign_box;
} rec;

static void append(char *buf, size_t cap, size_t *len, const char *data, size_t n) {
  if (n > cap - 1 - *len) n = cap - 1 - *len;
  memcpy(buf + *len, data, n);
  *len += n;
  buf[*len] = '\0';
}

/* Called from the box's thread; the test reads it after vbx_pipeline_run
 * returned (the run joins its threads). */
static void on_stream(void *user, const char *box, vbx_output_kind kind, const char *data,
                      size_t len) {
  rec *r = user;
  if (box == NULL || strcmp(box, "e2e") != 0) r->foreign_box = 1;
  if (kind == VBX_OUT_TEXT) {
    r->text_chunks++;
    append(r->text, sizeof(r->text), &r->text_len, data, len);
  } else if (kind == VBX_OUT_TOOL_STDOUT) {
    append(r->tool_out, sizeof(r->tool_out), &r->tool_len, data, len);
  }
}

/* ---- the run ----------------------------------------------------------- */

static vbx_runtime *runtime_for(const char *provider) {
  char llm[1024];
  snprintf(llm, sizeof(llm), "%s/llm-%s.so", VBX_TEST_PLUGIN_DIR, provider);
  const char *paths[] = {llm, VBX_TEST_PLUGIN_DIR "/sandbox-mock.so", NULL};
  vbx_runtime_options o;
  memset(&o, 0, sizeof(o));
  o.struct_size = sizeof(o);
  o.plugin_paths = paths;
  o.skip_plugin_dir = 1;
  vbx_runtime *rt = NULL;
  vbx_error err;
  memset(&err, 0, sizeof(err));
  int rc = vbx_runtime_new(&o, &rt, &err);
  if (rc != 0) fail_msg("vbx_runtime_new(%s): %s", provider, err.message);
  return rt;
}

static vbx_pipeline *spec_for(const pcase *pc, const char *url) {
  char spec[2048];
  int n = snprintf(spec, sizeof(spec),
                   "api_version: v1\n"
                   "kind: agent\n"
                   "name: e2e\n"
                   "sandbox:\n"
                   "  backend: mock\n"
                   "llm:\n"
                   "  provider: %s\n"
                   "  model: %s\n"
                   "  base_url: \"%s\"\n"
                   "%s%s%s"
                   "  max_retries: 0\n"
                   "agent:\n"
                   "  prompt: Run `echo hello-from-tool` with bash, then report.\n"
                   "  max_turns: 4\n"
                   "  timeout_secs: 60\n",
                   pc->provider, pc->model, url, pc->key_env ? "  api_key_env: " : "",
                   pc->key_env ? pc->key_env : "", pc->key_env ? "\n" : "");
  assert_true(n > 0 && (size_t)n < sizeof(spec));
  vbx_pipeline *p = NULL;
  vbx_error err;
  memset(&err, 0, sizeof(err));
  int rc = vbx__spec_load_buffer(spec, (size_t)n, "e2e.yaml", 0, &p, &err);
  if (rc != 0) fail_msg("spec: %s\n%s", err.message, spec);
  return p;
}

static void run_case(const pcase *pc) {
  unsetenv("VOIDBOX_PRICING_FILE"); /* the build tree's pricing.json */
  unsetenv("OLLAMA_HOST");
  if (pc->key_env) setenv(pc->key_env, pc->key, 1);
  fs_response script[] = {{200, pc->content_type, NULL, NULL, pc->turn1, 0, 0},
                          {200, pc->content_type, NULL, NULL, pc->turn2, 0, 0}};
  fake_server *srv = fs_start(script, 2);
  assert_non_null(srv);
  vbx_runtime *rt = runtime_for(pc->provider);
  vbx_pipeline *p = spec_for(pc, fs_url(srv));
  vbx_error err;
  memset(&err, 0, sizeof(err));
  if (vbx_pipeline_check(rt, p, &err) != 0) fail_msg("check: %s", err.message);

  rec r;
  memset(&r, 0, sizeof(r));
  vbx_run_options ro;
  memset(&ro, 0, sizeof(ro));
  ro.struct_size = sizeof(ro);
  ro.on_stream = on_stream;
  ro.user = &r;
  vbx_result *res = NULL;
  int rc = vbx_pipeline_run(rt, p, &ro, &res, &err);
  if (rc != 0) fail_msg("run: %s", err.message);
  assert_non_null(res);
  if (vbx_result_status(res) != VBX_STATUS_OK)
    fail_msg("%s: status %s: %s", pc->provider, vbx_status_name(vbx_result_status(res)),
             vbx_result_error(res) ? vbx_result_error(res) : "(no error)");

  /* the box: two turns, one bash call that really ran echo */
  assert_int_equal(vbx_result_stage_count(res), 1);
  assert_int_equal(vbx_result_box_count(res, 0), 1);
  const vbx_box_result *b = vbx_result_box(res, 0, 0);
  assert_int_equal(vbx_box_result_status(b), VBX_STATUS_OK);
  assert_int_equal(vbx_box_result_turns(b), 2);
  assert_int_equal(vbx_box_result_tool_call_count(b), 1);
  const char *name = NULL, *input = NULL, *output = NULL;
  assert_int_equal(vbx_box_result_tool_call(b, 0, &name, &input, &output, NULL), 0);
  assert_string_equal(name, "bash");
  json_t *in = json_loads(input, 0, NULL);
  assert_non_null(in);
  assert_string_equal(jstr(in, "command"), "echo hello-from-tool");
  json_decref(in);
  assert_non_null(strstr(output, TOOL_OUT));
  assert_string_equal(vbx_result_text(res), FINAL);
  assert_string_equal(vbx_box_result_output(b), FINAL);

  /* the server saw exactly two requests on the provider's path, the key,
   * and the tool result in the provider's shape in the second */
  assert_int_equal(fs_count(srv), 2);
  for (size_t i = 0; i < 2; i++) {
    char *path = fs_path(srv, i);
    assert_string_equal(path, pc->path);
    free(path);
  }
  if (strcmp(pc->provider, "anthropic") == 0) {
    char *k = fs_header(srv, 0, "x-api-key");
    assert_string_equal(k, pc->key);
    free(k);
  } else if (strcmp(pc->provider, "openai") == 0) {
    char *k = fs_header(srv, 1, "authorization");
    char want[256];
    snprintf(want, sizeof(want), "Bearer %s", pc->key);
    assert_string_equal(k, want);
    free(k);
  }
  char *first = fs_body(srv, 0);
  assert_non_null(first);
  assert_null(strstr(first, TOOL_OUT "\\n")); /* no tool result before the tool ran */
  free(first);
  char *second = fs_body(srv, 1);
  assert_non_null(second);
  json_error_t jerr;
  json_t *body = json_loads(second, 0, &jerr);
  if (body == NULL) fail_msg("second request is not JSON: %s", jerr.text);
  pc->check_second(body);
  json_decref(body);
  free(second);

  /* streaming: text arrived in pieces (the plugin's deltas, not one block
   * per turn), in order, and the tool's stdout was streamed */
  assert_int_equal(r.foreign_box, 0);
  assert_true(r.text_chunks >= 3);
  assert_string_equal(r.text, T1_TEXT FINAL);
  assert_non_null(strstr(r.tool_out, TOOL_OUT));

  /* usage */
  assert_true(vbx_box_result_input_tokens(b) > 0);
  assert_true(vbx_box_result_output_tokens(b) > 0);
  assert_int_equal(vbx_result_input_tokens(res), vbx_box_result_input_tokens(b));
  assert_int_equal(vbx_result_output_tokens(res), vbx_box_result_output_tokens(b));
  if (pc->priced) {
    assert_true(vbx_box_result_cost_usd(b) > 0);
    assert_true(vbx_result_cost_usd(res) > 0);
  } else {
    assert_true(vbx_box_result_cost_usd(b) == 0.0);
    assert_true(vbx_result_cost_usd(res) == 0.0);
  }

  vbx_result_free(res);
  vbx_pipeline_free(p);
  vbx_runtime_free(rt);
  fs_stop(srv);
  if (pc->key_env) unsetenv(pc->key_env);
}

static void t_anthropic(void **state) {
  (void)state;
  static const pcase pc = {"anthropic",
                           "claude-sonnet-4-5",
                           "VBX_E2E_ANTHROPIC_KEY",
                           "sk-e2e-anthropic",
                           "/v1/messages",
                           "text/event-stream",
                           a_turn1,
                           a_turn2,
                           1,
                           check_anthropic};
  run_case(&pc);
}

static void t_openai(void **state) {
  (void)state;
  static const pcase pc = {"openai",
                           "gpt-4o",
                           "VBX_E2E_OPENAI_KEY",
                           "sk-e2e-openai",
                           "/v1/chat/completions",
                           "text/event-stream",
                           o_turn1,
                           o_turn2,
                           1,
                           check_openai};
  run_case(&pc);
}

static void t_ollama(void **state) {
  (void)state;
  static const pcase pc = {
      "ollama", "llama3.2", NULL, NULL,        "/api/chat", "application/x-ndjson",
      l_turn1,  l_turn2,    0,    check_ollama};
  run_case(&pc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(t_anthropic),
      cmocka_unit_test(t_openai),
      cmocka_unit_test(t_ollama),
  };
  return cmocka_run_group_tests_name("llm_engine", tests, NULL, NULL);
}
