/*
 * tests/integration/llm/test_llm_ollama.c - the "ollama" provider, loaded
 * from BUILD/plugins/llm-ollama.so, against a fake /api/chat speaking
 * NDJSON: the generic suite, a three-turn tool loop with object arguments
 * (request bodies checked against the /api/chat shape), OLLAMA_HOST, and
 * cost 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define MSG(content)                                                                       \
  "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":" \
  "\"assistant\",\"content\":\"" content "\"},\"done\":false}\n"
#define DONE_LINE(reason, p, e)                                                            \
  "{\"model\":\"llama3.2\",\"created_at\":\"2025-01-01T00:00:01Z\",\"message\":{\"role\":" \
  "\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"" reason                \
  "\",\"total_duration\":1000,\"prompt_eval_count\":" p ",\"eval_count\":" e "}\n"

static const fs_part ok_stream[] = {
    {MSG("Hello, "), 0}, {MSG("world"), 0}, {DONE_LINE("stop", "26", "7"), 0}, {NULL, 0}};
static const fs_part slow_stream[] = {{MSG("Hello, "), 0},
                                      {MSG("world"), 400},
                                      {"\n", 400},
                                      {DONE_LINE("stop", "26", "7"), 400},
                                      {NULL, 0}};
static const fs_part text_then_stall[] = {{MSG("Hel"), 0}, {NULL, 0}};
static const fs_part truncated[] = {{MSG("Hel") MSG("lo"), 0}, {NULL, 0}};
static const fs_part malformed[] = {{MSG("Hel") "{\"message\":{\"content\":\n", 0}, {NULL, 0}};
static const fs_part stream_error[] = {
    {MSG("Hel") "{\"error\":\"server overloaded, try later\"}\n", 0}, {NULL, 0}};

/* one text piece, then the done line with done_reason `r` */
#define STOP_STREAM(r)                                 \
  {                                                    \
    {MSG("x") DONE_LINE(r, "26", "7"), 0}, { NULL, 0 } \
  }
#define BODY(message, r, p, e)                                                         \
  "{\"model\":\"llama3.2\",\"message\":" message ",\"done\":true,\"done_reason\":\"" r \
  "\","                                                                                \
  "\"prompt_eval_count\":" p ",\"eval_count\":" e "}"
#define STOP_BODY(r) BODY("{\"role\":\"assistant\",\"content\":\"x\"}", r, "26", "7")

static const fs_part stop_stop[] = STOP_STREAM("stop");
static const fs_part stop_length[] = STOP_STREAM("length");
static const stop_case stops[] = {
    {"stop", "end_turn", stop_stop, STOP_BODY("stop")},
    {"length", "max_tokens", stop_length, STOP_BODY("length")},
};

static const fs_part usage_stream[] = {
    {MSG("Hi"), 0}, {DONE_LINE("stop", "1000", "30"), 0}, {NULL, 0}};

#define TOOL_MSG                                                                                \
  "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"shell\"," \
  "\"arguments\":{\"cmd\":\"ls\"}}}]}"
static const fs_part tool_stream[] = {
    {MSG("Checking."), 0},
    {"{\"model\":\"llama3.2\",\"message\":" TOOL_MSG ",\"done\":false}\n", 0},
    {DONE_LINE("stop", "26", "7"), 0},
    {NULL, 0}};

static const wire ollama_wire = {
    .so_path = VBX_TEST_PLUGIN_DIR "/llm-ollama.so",
    .provider = "ollama",
    .model = "llama3.2",
    .key_env = NULL,
    .path = "/api/chat",
    .stream_ct = "application/x-ndjson",
    .ok_stream = ok_stream,
    .slow_stream = slow_stream,
    .ok_text = "Hello, world",
    .ok_body = BODY("{\"role\":\"assistant\",\"content\":\"Hello, world\"}", "stop", "26", "7"),
    .text_then_stall = text_then_stall,
    .truncated = truncated,
    .malformed = malformed,
    .malformed_hint = "NDJSON line 2",
    .stream_error = stream_error,
    .err_auth = "{\"error\":\"unauthorized\"}",
    .err_notfound = "{\"error\":\"model \\\"llama3.2\\\" not found, try pulling it first\"}",
    .err_context = "{\"error\":\"the input length exceeds the context length\"}",
    .err_busy = "{\"error\":\"server busy, please try again.  maximum pending requests exceeded\"}",
    .oversize_prefix = "{\"message\":{\"content\":\"",
    .stops = stops,
    .n_stops = sizeof(stops) / sizeof(stops[0]),
    .usage_stream = usage_stream,
    .usage_body = BODY("{\"role\":\"assistant\",\"content\":\"Hi\"}", "stop", "1000", "30"),
    .usage = {sizeof(vbx_llm_usage), 1000, 30, 0, 0, 0.0}, /* no cache counts; local: cost 0 */
    .tool_stream = tool_stream,
    /* one object carries both the text and the call when not streaming */
    .tool_body =
        BODY("{\"role\":\"assistant\",\"content\":\"Checking.\",\"tool_calls\":[{\"function\":"
             "{\"name\":\"shell\",\"arguments\":{\"cmd\":\"ls\"}}}]}",
             "stop", "26", "7"),
    .tool_echo = "\"tool_name\":\"shell\"",
    .key_echo_stream = NULL,
};

static const fs_part turn1[] = {
    {"{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":["
     "{\"function\":{\"name\":\"shell\",\"arguments\":{\"cmd\":\"ls\"}}},"
     "{\"function\":{\"name\":\"read_file\",\"arguments\":{\"path\":\"a.txt\"}}}]},\"done\":false}"
     "\n",
     0},
    {DONE_LINE("stop", "100", "20"), 0},
    {NULL, 0}};
static const fs_part turn2[] = {
    {"{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":["
     "{\"function\":{\"name\":\"shell\",\"arguments\":{\"cmd\":\"wc -l "
     "a.txt\"}}}]},\"done\":false}\n" DONE_LINE("stop", "120", "10"),
     0},
    {NULL, 0}};
static const fs_part turn3[] = {{MSG("3 lines.") DONE_LINE("stop", "130", "4"), 0}, {NULL, 0}};

static const char *TOOLS =
    "[{\"name\":\"shell\",\"description\":\"Run a command\",\"input_schema\":{\"type\":\"object\","
    "\"properties\":{\"cmd\":{\"type\":\"string\"}}}},"
    "{\"name\":\"read_file\",\"description\":\"Read a file\",\"input_schema\":{\"type\":\"object\","
    "\"properties\":{\"path\":{\"type\":\"string\"}}}}]";

static vbx_json *at(vbx_json *a, size_t i) { return L.h->json_array_get(a, i); }
static const char *str(vbx_json *o, const char *k) {
  return L.h->json_string_value(L.h->json_object_get(o, k));
}

/* The /api/chat request shape: model, messages (system first), tools as
 * functions with parameters, tool calls with object arguments, role "tool"
 * results naming the tool, options.num_predict. */
static void check_request(const char *body, int turn) {
  const vbx_host_services *h = L.h;
  vbx_json *doc = lh_json(&L, body);
  assert_non_null(doc);
  assert_string_equal(str(doc, "model"), "llama3.2");
  assert_true(h->json_is_true(h->json_object_get(doc, "stream")));
  assert_int_equal(
      h->json_integer_value(h->json_object_get(h->json_object_get(doc, "options"), "num_predict")),
      512);
  vbx_json *tools = h->json_object_get(doc, "tools");
  assert_int_equal(h->json_array_size(tools), 2);
  assert_string_equal(str(at(tools, 1), "type"), "function");
  assert_string_equal(str(h->json_object_get(at(tools, 1), "function"), "name"), "read_file");
  vbx_json *msgs = h->json_object_get(doc, "messages");
  size_t want = turn == 0 ? 2 : turn == 1 ? 5 : 7;
  assert_int_equal(h->json_array_size(msgs), want);
  assert_string_equal(str(at(msgs, 0), "role"), "system");
  assert_string_equal(str(at(msgs, 1), "role"), "user");
  if (turn >= 1) {
    vbx_json *a = at(msgs, 2);
    assert_string_equal(str(a, "role"), "assistant");
    vbx_json *calls = h->json_object_get(a, "tool_calls");
    assert_int_equal(h->json_array_size(calls), 2);
    vbx_json *args = h->json_object_get(h->json_object_get(at(calls, 0), "function"), "arguments");
    assert_int_equal(h->json_type(args), VBX_JSON_OBJECT); /* objects, not JSON text */
    assert_string_equal(str(args, "cmd"), "ls");
    assert_string_equal(str(at(msgs, 3), "role"), "tool");
    assert_string_equal(str(at(msgs, 3), "tool_name"), "shell");
    assert_string_equal(str(at(msgs, 4), "tool_name"), "read_file");
    assert_string_equal(str(at(msgs, 4), "content"), "result 1");
  }
  h->json_decref(doc);
}

static void append_turn(vbx_json *msgs, const vbx_llm_response *resp) {
  const vbx_host_services *h = L.h;
  vbx_json *am = h->json_object_new();
  h->json_object_set(am, "role", h->json_string_new("assistant", 9));
  h->json_object_set(am, "content", h->json_incref(resp->content));
  h->json_array_append(msgs, am);
  vbx_json *arr = h->json_array_new();
  for (size_t i = 0; i < h->json_array_size(resp->content); i++) {
    vbx_json *b = at(resp->content, i);
    if (strcmp(str(b, "type"), "tool_use")) continue;
    const char *id = str(b, "id");
    char txt[32];
    snprintf(txt, sizeof(txt), "result %zu", i);
    vbx_json *tr = h->json_object_new();
    h->json_object_set(tr, "type", h->json_string_new("tool_result", 11));
    h->json_object_set(tr, "tool_use_id", h->json_string_new(id, strlen(id)));
    h->json_object_set(tr, "content", h->json_string_new(txt, strlen(txt)));
    h->json_array_append(arr, tr);
  }
  vbx_json *um = h->json_object_new();
  h->json_object_set(um, "role", h->json_string_new("user", 4));
  h->json_object_set(um, "content", arr);
  h->json_array_append(msgs, um);
}

static void t_tool_loop(void **state) {
  (void)state;
  fs_response s[] = {{200, "application/x-ndjson", NULL, NULL, turn1, 0, 0},
                     {200, "application/x-ndjson", NULL, NULL, turn2, 0, 0},
                     {200, "application/x-ndjson", NULL, NULL, turn3, 0, 0}};
  fake_server *srv = fs_start(s, 3);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  void *prov = NULL;
  assert_int_equal(lh_create(&L, fs_url(srv), "llama3.2", NULL, &prov, &call), 0);
  const vbx_host_services *h = L.h;
  vbx_json *msgs = lh_json(&L, "[{\"role\":\"user\",\"content\":\"Count lines\"}]");
  vbx_json *tools = lh_json(&L, TOOLS);
  char first_id[64] = "";
  for (int turn = 0; turn < 3; turn++) {
    vbx_llm_request req;
    memset(&req, 0, sizeof(req));
    req.struct_size = sizeof(req);
    req.system = "You are a test.";
    req.messages = msgs;
    req.tools = tools;
    req.max_tokens = 512;
    vbx_llm_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.struct_size = sizeof(resp);
    int rc = L.vt->complete(prov, &req, &resp, &call);
    if (rc) fail_msg("turn %d: %s", turn, vbx__call_message(&call, rc));
    char *body = fs_body(srv, (size_t)turn);
    check_request(body, turn);
    free(body);
    assert_true(resp.usage.cost_usd == 0.0);
    if (turn == 0) {
      assert_string_equal(resp.stop_reason, "tool_use");
      assert_int_equal(resp.usage.input_tokens, 100);
      assert_int_equal(resp.usage.output_tokens, 20);
      assert_int_equal(h->json_array_size(resp.content), 2);
      snprintf(first_id, sizeof(first_id), "%s", str(at(resp.content, 0), "id"));
      assert_string_not_equal(first_id, str(at(resp.content, 1), "id"));
    } else if (turn == 1) {
      assert_string_equal(resp.stop_reason, "tool_use");
      assert_string_not_equal(first_id,
                              str(at(resp.content, 0), "id")); /* ids unique across turns */
    } else {
      assert_string_equal(resp.stop_reason, "end_turn");
      char *text = lh_text(&L, &resp);
      assert_string_equal(text, "3 lines.");
      free(text);
    }
    if (turn < 2) append_turn(msgs, &resp);
    lh_response_free(&L, &resp);
  }
  h->json_decref(msgs);
  h->json_decref(tools);
  L.vt->destroy(prov);
  fs_stop(srv);
}

/* OLLAMA_HOST without scheme is honoured when no base_url is configured. */
static void t_ollama_host(void **state) {
  (void)state;
  fs_response s[] = {{200, "application/x-ndjson", NULL, NULL, ok_stream, 0, 0}};
  fake_server *srv = fs_start(s, 1);
  setenv("OLLAMA_HOST", fs_url(srv) + strlen("http://"), 1);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  void *prov = NULL;
  assert_int_equal(lh_create(&L, NULL, "llama3.2", NULL, &prov, &call), 0);
  vbx_llm_response resp;
  int rc = lh_complete(&L, prov, NULL, NULL, &resp, NULL, 0, &call);
  if (rc) fail_msg("%s", vbx__call_message(&call, rc));
  assert_int_equal(fs_count(srv), 1);
  lh_response_free(&L, &resp);
  L.vt->destroy(prov);
  unsetenv("OLLAMA_HOST");
  fs_stop(srv);
}

int main(void) {
  const struct CMUnitTest extra[] = {cmocka_unit_test(t_tool_loop),
                                     cmocka_unit_test(t_ollama_host)};
  return suite_run(&ollama_wire, extra, 2);
}
