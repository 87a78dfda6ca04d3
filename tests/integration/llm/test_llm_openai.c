/*
 * tests/integration/llm/test_llm_openai.c - the "openai" provider, loaded
 * from BUILD/plugins/llm-openai.so, against a fake /v1/chat/completions
 * speaking SSE with "data: [DONE]": the generic suite plus a three-turn
 * tool loop (arguments streamed as JSON text by index, two parallel calls)
 * whose request bodies are checked against the chat/completions shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define D(json) "data: " json "\n\n"
#define CHUNK(delta, finish)                                                               \
  D("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\"," \
    "\"choices\":[{\"index\":0,\"delta\":" delta ",\"finish_reason\":" finish "}]}")
#define USAGE(p, c, cached)                                                                \
  D("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-2024-08-06\"," \
    "\"choices\":[],\"usage\":{\"prompt_tokens\":" p ",\"completion_tokens\":" c           \
    ",\"total_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":" cached "}}}")
#define DONE "data: [DONE]\n\n"

static const fs_part ok_stream[] = {
    {CHUNK("{\"role\":\"assistant\",\"content\":\"\"}", "null"), 0},
    {CHUNK("{\"content\":\"Hello, \"}", "null"), 0},
    {CHUNK("{\"content\":\"world\"}", "null") CHUNK("{}", "\"stop\""), 0},
    {USAGE("20", "5", "0") DONE, 0},
    {NULL, 0}};
static const fs_part slow_stream[] = {
    {CHUNK("{\"role\":\"assistant\",\"content\":\"Hello, \"}", "null"), 0},
    {": keep-alive\n\n", 400},
    {CHUNK("{\"content\":\"world\"}", "null"), 400},
    {CHUNK("{}", "\"stop\"") USAGE("20", "5", "0"), 400},
    {DONE, 400},
    {NULL, 0}};
static const fs_part text_then_stall[] = {{CHUNK("{\"content\":\"Hel\"}", "null"), 0}, {NULL, 0}};
static const fs_part truncated[] = {
    {CHUNK("{\"content\":\"Hel\"}", "null") CHUNK("{}", "\"stop\"") USAGE("20", "5", "0"), 0},
    {NULL, 0}};
static const fs_part malformed[] = {
    {CHUNK("{\"content\":\"Hel\"}", "null") D("{\"choices\":[{\"delta\":"), 0}, {NULL, 0}};
static const fs_part stream_error[] = {
    {D("{\"error\":{\"message\":\"The server is overloaded\",\"type\":\"server_error\"}}"), 0},
    {NULL, 0}};

/* one text piece, then finish_reason `f` (a JSON value), usage, [DONE] */
#define STOP_STREAM(f)                                                                     \
  {                                                                                        \
    {CHUNK("{\"content\":\"x\"}", "null") CHUNK("{}", f) USAGE("20", "5", "0") DONE, 0}, { \
      NULL, 0                                                                              \
    }                                                                                      \
  }
#define BODY(message, f, usage)                                                                  \
  "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{" \
  "\"index\":0,\"message\":" message ",\"finish_reason\":" f "}],\"usage\":" usage "}"
#define STOP_BODY(f)                                    \
  BODY("{\"role\":\"assistant\",\"content\":\"x\"}", f, \
       "{\"prompt_tokens\":20,\"completion_tokens\":5}")

static const fs_part stop_stop[] = STOP_STREAM("\"stop\"");
static const fs_part stop_length[] = STOP_STREAM("\"length\"");
static const fs_part stop_tool_calls[] = STOP_STREAM("\"tool_calls\"");
static const fs_part stop_function_call[] = STOP_STREAM("\"function_call\"");
static const fs_part stop_content_filter[] = STOP_STREAM("\"content_filter\"");
static const stop_case stops[] = {
    {"stop", "end_turn", stop_stop, STOP_BODY("\"stop\"")},
    {"length", "max_tokens", stop_length, STOP_BODY("\"length\"")},
    {"tool_calls", "tool_use", stop_tool_calls, STOP_BODY("\"tool_calls\"")},
    {"function_call", "tool_use", stop_function_call, STOP_BODY("\"function_call\"")},
    {"content_filter", "refusal", stop_content_filter, STOP_BODY("\"content_filter\"")},
};

/* 1000 prompt tokens of which 600 cached: 400 input + 600 cache reads */
static const fs_part usage_stream[] = {
    {CHUNK("{\"role\":\"assistant\",\"content\":\"Hi\"}", "null") CHUNK("{}", "\"stop\""), 0},
    {USAGE("1000", "30", "600") DONE, 0},
    {NULL, 0}};

static const fs_part tool_stream[] = {
    {CHUNK("{\"role\":\"assistant\",\"content\":\"Checking.\"}", "null"), 0},
    {CHUNK("{\"tool_calls\":[{\"index\":0,\"id\":\"call_A\",\"type\":\"function\",\"function\":{"
           "\"name\":\"shell\",\"arguments\":\"{\\\"cmd\\\":\"}}]}",
           "null"),
     0},
    {CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"ls\\\"}\"}}]}", "null"),
     0},
    {CHUNK("{}", "\"tool_calls\"") USAGE("20", "5", "0") DONE, 0},
    {NULL, 0}};

static const fs_part key_echo_stream[] = {
    {D("{\"error\":{\"message\":\"Incorrect API key provided: " VBX_TEST_KEY_CANARY
       "\",\"type\":\"invalid_request_error\"}}"),
     0},
    {NULL, 0}};

static const wire openai_wire = {
    .so_path = VBX_TEST_PLUGIN_DIR "/llm-openai.so",
    .provider = "openai",
    .model = "gpt-4o",
    .key_env = "VBX_TEST_OPENAI_KEY",
    .path = "/v1/chat/completions",
    .stream_ct = "text/event-stream",
    .ok_stream = ok_stream,
    .slow_stream = slow_stream,
    .ok_text = "Hello, world",
    .ok_body = BODY("{\"role\":\"assistant\",\"content\":\"Hello, world\"}", "\"stop\"",
                    "{\"prompt_tokens\":20,\"completion_tokens\":5,\"total_tokens\":25}"),
    .text_then_stall = text_then_stall,
    .truncated = truncated,
    .malformed = malformed,
    .malformed_hint = "chat.completion.chunk",
    .stream_error = stream_error,
    .err_auth =
        "{\"error\":{\"message\":\"Incorrect API key "
        "provided\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}",
    .err_notfound =
        "{\"error\":{\"message\":\"The model `gpt-4o` does not "
        "exist\",\"type\":\"invalid_request_error\",\"code\":\"model_not_found\"}}",
    .err_context =
        "{\"error\":{\"message\":\"This model's maximum context length is 128000 tokens. However, "
        "your messages resulted in 130000 "
        "tokens.\",\"type\":\"invalid_request_error\",\"code\":\"context_length_exceeded\"}}",
    .err_busy =
        "{\"error\":{\"message\":\"Rate limit "
        "reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}",
    .oversize_prefix = "data: {\"x\":\"",
    .stops = stops,
    .n_stops = sizeof(stops) / sizeof(stops[0]),
    .usage_stream = usage_stream,
    .usage_body = BODY("{\"role\":\"assistant\",\"content\":\"Hi\"}", "\"stop\"",
                       "{\"prompt_tokens\":1000,\"completion_tokens\":30,\"total_tokens\":1030,"
                       "\"prompt_tokens_details\":{\"cached_tokens\":600}}"),
    /* gpt-4o list price: 2.50 input, 10.00 output, 1.25 cache read per MTok */
    .usage = {sizeof(vbx_llm_usage), 400, 30, 600, 0, (400 * 2.50 + 30 * 10.0 + 600 * 1.25) / 1e6},
    .tool_stream = tool_stream,
    .tool_body =
        BODY("{\"role\":\"assistant\",\"content\":\"Checking.\",\"tool_calls\":[{\"id\":\"call_A\","
             "\"type\":\"function\",\"function\":{\"name\":\"shell\",\"arguments\":\"{\\\"cmd\\\":"
             "\\\"ls\\\"}\"}}]}",
             "\"tool_calls\"", "{\"prompt_tokens\":20,\"completion_tokens\":5}"),
    .tool_echo = "\"tool_call_id\":\"call_A\"",
    .key_echo_stream = key_echo_stream,
};

/* turn 1: text, then two tool calls whose arguments arrive in pieces, interleaved by index */
static const fs_part turn1[] = {
    {CHUNK("{\"role\":\"assistant\",\"content\":\"Checking.\"}", "null"), 0},
    {CHUNK("{\"tool_calls\":[{\"index\":0,\"id\":\"call_A\",\"type\":\"function\",\"function\":{"
           "\"name\":\"shell\",\"arguments\":\"\"}}]}",
           "null"),
     0},
    {CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"cmd\\\":\"}}]}",
           "null"),
     0},
    {CHUNK("{\"tool_calls\":[{\"index\":1,\"id\":\"call_B\",\"type\":\"function\",\"function\":{"
           "\"name\":\"read_file\",\"arguments\":\"{\\\"path\\\"\"}}]}",
           "null"),
     0},
    {CHUNK("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"ls\\\"}\"}}]}", "null"),
     0},
    {CHUNK("{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\":\\\"a.txt\\\"}\"}}]}",
           "null"),
     0},
    {CHUNK("{}", "\"tool_calls\"") USAGE("1000", "30", "600") DONE, 0},
    {NULL, 0}};
static const fs_part turn2[] = {
    {CHUNK("{\"tool_calls\":[{\"index\":0,\"id\":\"call_C\",\"type\":\"function\",\"function\":{"
           "\"name\":\"shell\",\"arguments\":\"{\\\"cmd\\\":\\\"wc -l a.txt\\\"}\"}}]}",
           "null"),
     0},
    {CHUNK("{}", "\"tool_calls\"") USAGE("1100", "10", "0") DONE, 0},
    {NULL, 0}};
static const fs_part turn3[] = {{CHUNK("{\"content\":\"a.txt has 3 lines.\"}", "null")
                                     CHUNK("{}", "\"length\"") USAGE("1200", "8", "0") DONE,
                                 0},
                                {NULL, 0}};

static const char *TOOLS =
    "[{\"name\":\"shell\",\"description\":\"Run a command\",\"input_schema\":{\"type\":\"object\","
    "\"properties\":{\"cmd\":{\"type\":\"string\"}},\"required\":[\"cmd\"]}},"
    "{\"name\":\"read_file\",\"description\":\"Read a file\",\"input_schema\":{\"type\":\"object\","
    "\"properties\":{\"path\":{\"type\":\"string\"}}}}]";

static const char *role_of(vbx_json *msgs, size_t i) {
  return L.h->json_string_value(L.h->json_object_get(L.h->json_array_get(msgs, i), "role"));
}

/* The chat/completions request shape: model, messages with roles, tools as
 * functions, stream with include_usage; tool messages answer the previous
 * assistant message's tool_calls by id. */
static void check_request(const char *body, int turn) {
  const vbx_host_services *h = L.h;
  vbx_json *doc = lh_json(&L, body);
  assert_non_null(doc);
  assert_string_equal(h->json_string_value(h->json_object_get(doc, "model")), "gpt-4o");
  assert_true(h->json_is_true(h->json_object_get(doc, "stream")));
  assert_true(h->json_is_true(
      h->json_object_get(h->json_object_get(doc, "stream_options"), "include_usage")));
  assert_true(h->json_integer_value(h->json_object_get(doc, "max_tokens")) > 0);
  vbx_json *tools = h->json_object_get(doc, "tools");
  assert_int_equal(h->json_array_size(tools), 2);
  vbx_json *t0 = h->json_array_get(tools, 0);
  assert_string_equal(h->json_string_value(h->json_object_get(t0, "type")), "function");
  vbx_json *fn = h->json_object_get(t0, "function");
  assert_string_equal(h->json_string_value(h->json_object_get(fn, "name")), "shell");
  assert_int_equal(h->json_type(h->json_object_get(fn, "parameters")), VBX_JSON_OBJECT);
  vbx_json *msgs = h->json_object_get(doc, "messages");
  assert_string_equal(role_of(msgs, 0), "system");
  assert_string_equal(role_of(msgs, 1), "user");
  size_t want = turn == 0 ? 2 : turn == 1 ? 5 : 7; /* sys,user,(asst,tool,tool),(asst,tool) */
  assert_int_equal(h->json_array_size(msgs), want);
  if (turn >= 1) {
    vbx_json *a = h->json_array_get(msgs, 2);
    assert_string_equal(role_of(msgs, 2), "assistant");
    assert_string_equal(h->json_string_value(h->json_object_get(a, "content")), "Checking.");
    vbx_json *calls = h->json_object_get(a, "tool_calls");
    assert_int_equal(h->json_array_size(calls), 2);
    vbx_json *c0 = h->json_array_get(calls, 0);
    assert_string_equal(h->json_string_value(h->json_object_get(c0, "id")), "call_A");
    assert_string_equal(h->json_string_value(h->json_object_get(c0, "type")), "function");
    const char *args =
        h->json_string_value(h->json_object_get(h->json_object_get(c0, "function"), "arguments"));
    assert_non_null(args); /* arguments are JSON text */
    assert_string_equal(args, "{\"cmd\":\"ls\"}");
    for (size_t k = 3; k <= 4; k++) {
      assert_string_equal(role_of(msgs, k), "tool");
      vbx_json *tm = h->json_array_get(msgs, k);
      assert_string_equal(h->json_string_value(h->json_object_get(tm, "tool_call_id")),
                          k == 3 ? "call_A" : "call_B");
      assert_non_null(h->json_string_value(h->json_object_get(tm, "content")));
    }
  }
  if (turn == 2) {
    vbx_json *a = h->json_array_get(msgs, 5);
    assert_string_equal(role_of(msgs, 5), "assistant");
    assert_int_equal(h->json_type(h->json_object_get(a, "content")), VBX_JSON_NULL);
    assert_string_equal(role_of(msgs, 6), "tool");
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
    vbx_json *b = h->json_array_get(resp->content, i);
    if (strcmp(h->json_string_value(h->json_object_get(b, "type")), "tool_use")) continue;
    const char *id = h->json_string_value(h->json_object_get(b, "id"));
    vbx_json *tr = h->json_object_new();
    h->json_object_set(tr, "type", h->json_string_new("tool_result", 11));
    h->json_object_set(tr, "tool_use_id", h->json_string_new(id, strlen(id)));
    h->json_object_set(tr, "content", h->json_string_new("ok", 2));
    h->json_array_append(arr, tr);
  }
  vbx_json *um = h->json_object_new();
  h->json_object_set(um, "role", h->json_string_new("user", 4));
  h->json_object_set(um, "content", arr);
  h->json_array_append(msgs, um);
}

static void t_tool_loop(void **state) {
  (void)state;
  fs_response s[] = {{200, "text/event-stream", NULL, NULL, turn1, 0, 0},
                     {200, "text/event-stream", NULL, NULL, turn2, 0, 0},
                     {200, "text/event-stream", NULL, NULL, turn3, 0, 0}};
  fake_server *srv = fs_start(s, 3);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  void *prov = NULL;
  assert_int_equal(lh_create(&L, fs_url(srv), "gpt-4o", NULL, &prov, &call), 0);
  const vbx_host_services *h = L.h;
  vbx_json *msgs = lh_json(
      &L, "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Count lines\"}]}]");
  vbx_json *tools = lh_json(&L, TOOLS);
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
    char *auth = fs_header(srv, (size_t)turn, "Authorization");
    assert_string_equal(auth, "Bearer sk-test-key");
    free(auth);
    if (turn == 0) {
      assert_string_equal(resp.stop_reason, "tool_use");
      assert_int_equal(h->json_array_size(resp.content), 3);
      vbx_json *b2 = h->json_array_get(resp.content, 2);
      assert_string_equal(
          h->json_string_value(h->json_object_get(h->json_object_get(b2, "input"), "path")),
          "a.txt");
      assert_int_equal(resp.usage.input_tokens, 400);
      assert_int_equal(resp.usage.cache_read_tokens, 600);
      assert_int_equal(resp.usage.output_tokens, 30);
      double want = (400 * 2.50 + 600 * 1.25 + 30 * 10.0) / 1e6; /* gpt-4o list price */
      assert_true(resp.usage.cost_usd > want * 0.999 && resp.usage.cost_usd < want * 1.001);
      assert_string_equal(resp.model, "gpt-4o-2024-08-06");
    } else if (turn == 1) {
      assert_string_equal(resp.stop_reason, "tool_use");
    } else {
      assert_string_equal(resp.stop_reason, "max_tokens"); /* finish_reason length */
      char *text = lh_text(&L, &resp);
      assert_string_equal(text, "a.txt has 3 lines.");
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

int main(void) {
  const struct CMUnitTest extra[] = {cmocka_unit_test(t_tool_loop)};
  return suite_run(&openai_wire, extra, 1);
}
