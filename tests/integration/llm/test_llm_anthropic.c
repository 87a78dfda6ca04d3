/*
 * tests/integration/llm/test_llm_anthropic.c - the "anthropic" provider,
 * loaded from BUILD/plugins/llm-anthropic.so, against a fake Messages API
 * speaking SSE: the generic suite plus a three-turn tool loop whose
 * request bodies are checked against the Messages API request shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define EV(name, json) "event: " name "\ndata: " json "\n\n"
#define START(in, cr, cw)                                                           \
  EV("message_start",                                                               \
     "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":"          \
     "\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\"," \
     "\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":" in          \
     ",\"cache_creation_input_tokens\":" cw ",\"cache_read_input_tokens\":" cr      \
     ",\"output_tokens\":1}}}")
#define TEXT_START(i)                                                        \
  EV("content_block_start", "{\"type\":\"content_block_start\",\"index\":" i \
                            ",\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
#define TEXT_DELTA(i, t)                                                     \
  EV("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" i \
                            ",\"delta\":{\"type\":\"text_delta\",\"text\":\"" t "\"}}")
#define BLOCK_STOP(i) EV("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" i "}")
#define MSG_DELTA(stop, out)                                                           \
  EV("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"" stop \
                      "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":" out "}}")
#define MSG_STOP EV("message_stop", "{\"type\":\"message_stop\"}")
#define PING EV("ping", "{\"type\": \"ping\"}")

static const fs_part ok_stream[] = {{START("25", "0", "0") PING TEXT_START("0"), 0},
                                    {TEXT_DELTA("0", "Hello, "), 0},
                                    {TEXT_DELTA("0", "world") BLOCK_STOP("0"), 0},
                                    {MSG_DELTA("end_turn", "12") MSG_STOP, 0},
                                    {NULL, 0}};
static const fs_part slow_stream[] = {
    {START("25", "0", "0") TEXT_START("0"), 0},  {TEXT_DELTA("0", "Hello, "), 400},
    {": keep-alive comment\n\n", 400},           {TEXT_DELTA("0", "world") BLOCK_STOP("0"), 400},
    {MSG_DELTA("end_turn", "12") MSG_STOP, 400}, {NULL, 0}};
static const fs_part text_then_stall[] = {
    {START("25", "0", "0") TEXT_START("0") TEXT_DELTA("0", "Hel"), 0}, {NULL, 0}};
static const fs_part truncated[] = {{START("25", "0", "0") TEXT_START("0") TEXT_DELTA("0", "Hel")
                                         BLOCK_STOP("0") MSG_DELTA("end_turn", "3"),
                                     0},
                                    {NULL, 0}};
static const fs_part malformed[] = {
    {START("25", "0", "0") TEXT_START("0"), 0},
    {"event: content_block_delta\ndata: "
     "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\n\n",
     0},
    {NULL, 0}};
static const fs_part stream_error[] = {
    {START("25", "0", "0") EV("error",
                              "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                              "\"message\":\"Overloaded\"}}"),
     0},
    {NULL, 0}};

/* one text block, then message_delta with stop_reason `r` */
#define STOP_STREAM(r)                                                                            \
  {                                                                                               \
    {START("25", "0", "0") TEXT_START("0") TEXT_DELTA("0", "x") BLOCK_STOP("0") MSG_DELTA(r, "3") \
         MSG_STOP,                                                                                \
     0},                                                                                          \
    {                                                                                             \
      NULL, 0                                                                                     \
    }                                                                                             \
  }
#define BODY(content, stop, usage)                                                               \
  "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-" \
  "20250929\","                                                                                  \
  "\"content\":" content ",\"stop_reason\":\"" stop "\",\"stop_sequence\":null,\"usage\":" usage \
  "}"
#define STOP_BODY(r) \
  BODY("[{\"type\":\"text\",\"text\":\"x\"}]", r, "{\"input_tokens\":25,\"output_tokens\":3}")

static const fs_part stop_end_turn[] = STOP_STREAM("end_turn");
static const fs_part stop_max_tokens[] = STOP_STREAM("max_tokens");
static const fs_part stop_stop_sequence[] = STOP_STREAM("stop_sequence");
static const fs_part stop_tool_use[] = STOP_STREAM("tool_use");
static const fs_part stop_refusal[] = STOP_STREAM("refusal");
static const stop_case stops[] = {
    {"end_turn", "end_turn", stop_end_turn, STOP_BODY("end_turn")},
    {"max_tokens", "max_tokens", stop_max_tokens, STOP_BODY("max_tokens")},
    {"stop_sequence", "stop_sequence", stop_stop_sequence, STOP_BODY("stop_sequence")},
    {"tool_use", "tool_use", stop_tool_use, STOP_BODY("tool_use")},
    {"refusal", "refusal", stop_refusal, STOP_BODY("refusal")},
};

/* input 100, cache reads 80, cache writes 20; output 40 (message_delta) */
static const fs_part usage_stream[] = {
    {START("100", "80", "20") TEXT_START("0") TEXT_DELTA("0", "Hi") BLOCK_STOP("0"), 0},
    {MSG_DELTA("end_turn", "40") MSG_STOP, 0},
    {NULL, 0}};

static const fs_part tool_stream[] = {
    {START("25", "0", "0") TEXT_START("0") TEXT_DELTA("0", "Checking.") BLOCK_STOP("0"), 0},
    {EV("content_block_start",
        "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
        "\"id\":\"toolu_01\",\"name\":\"shell\",\"input\":{}}}"),
     0},
    {EV("content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
        "\"partial_json\":\"{\\\"cmd\\\": \"}}"),
     0},
    {EV("content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
        "\"partial_json\":\"\\\"ls\\\"}\"}}"),
     0},
    {BLOCK_STOP("1") MSG_DELTA("tool_use", "10") MSG_STOP, 0},
    {NULL, 0}};

static const fs_part key_echo_stream[] = {
    {START("25", "0", "0")
         EV("error",
            "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":"
            "\"Incorrect API key provided: " VBX_TEST_KEY_CANARY "\"}}"),
     0},
    {NULL, 0}};

static const wire anthropic_wire = {
    .so_path = VBX_TEST_PLUGIN_DIR "/llm-anthropic.so",
    .provider = "anthropic",
    .model = "claude-sonnet-4-5",
    .key_env = "VBX_TEST_ANTHROPIC_KEY",
    .path = "/v1/messages",
    .stream_ct = "text/event-stream",
    .ok_stream = ok_stream,
    .slow_stream = slow_stream,
    .ok_text = "Hello, world",
    .ok_body = BODY("[{\"type\":\"text\",\"text\":\"Hello, world\"}]", "end_turn",
                    "{\"input_tokens\":25,\"output_tokens\":12}"),
    .text_then_stall = text_then_stall,
    .truncated = truncated,
    .malformed = malformed,
    .malformed_hint = "'content_block_delta'",
    .stream_error = stream_error,
    .err_auth =
        "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid "
        "x-api-key\"}}",
    .err_notfound =
        "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"model: "
        "claude-sonnet-4-5\"}}",
    .err_context =
        "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"prompt is "
        "too long: 250000 tokens > 200000 maximum\"}}",
    .err_busy =
        "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of "
        "request tokens has exceeded your rate limit\"}}",
    .oversize_prefix = "data: {\"x\":\"",
    .stops = stops,
    .n_stops = sizeof(stops) / sizeof(stops[0]),
    .usage_stream = usage_stream,
    .usage_body = BODY("[{\"type\":\"text\",\"text\":\"Hi\"}]", "end_turn",
                       "{\"input_tokens\":100,\"cache_creation_input_tokens\":20,"
                       "\"cache_read_input_tokens\":80,\"output_tokens\":40}"),
    /* claude-sonnet-4-5 list price: 3 input, 15 output, 0.30 cache read,
     * 3.75 cache write per MTok */
    .usage = {sizeof(vbx_llm_usage), 100, 40, 80, 20,
              (100 * 3.0 + 40 * 15.0 + 80 * 0.30 + 20 * 3.75) / 1e6},
    .tool_stream = tool_stream,
    .tool_body = BODY(
        "[{\"type\":\"text\",\"text\":\"Checking.\"},{\"type\":\"tool_use\",\"id\":\"toolu_01\","
        "\"name\":\"shell\",\"input\":{\"cmd\":\"ls\"}}]",
        "tool_use", "{\"input_tokens\":25,\"output_tokens\":10}"),
    .tool_echo = "\"tool_use_id\":\"toolu_01\"",
    .key_echo_stream = key_echo_stream,
};

/* turn 1: text + a tool_use whose input arrives in three input_json_delta pieces */
static const fs_part turn1[] = {
    {START("100", "80", "20") TEXT_START("0") TEXT_DELTA("0", "Let me look.") BLOCK_STOP("0"), 0},
    {EV("content_block_start",
        "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
        "\"id\":\"toolu_01\",\"name\":\"shell\",\"input\":{}}}"),
     0},
    {EV("content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
        "\"partial_json\":\"\"}}"),
     0},
    {EV("content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
        "\"partial_json\":\"{\\\"cmd\\\": \\\"l\"}}"),
     0},
    {EV("content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
        "\"partial_json\":\"s -la\\\"}\"}}"),
     0},
    {BLOCK_STOP("1") MSG_DELTA("tool_use", "40") MSG_STOP, 0},
    {NULL, 0}};
static const fs_part turn2[] = {
    {START("150", "100", "0")
         EV("content_block_start",
            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_"
            "use\",\"id\":\"toolu_02\",\"name\":\"read_file\",\"input\":{}}}"),
     0},
    {EV("content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
        "\"partial_json\":\"{\\\"path\\\":\\\"a.txt\\\"}\"}}") BLOCK_STOP("0")
         MSG_DELTA("tool_use", "20") MSG_STOP,
     0},
    {NULL, 0}};
static const fs_part turn3[] = {
    {START("200", "0", "0") TEXT_START("0") TEXT_DELTA("0", "Done: 2 files.") BLOCK_STOP("0")
         MSG_DELTA("end_turn", "5") MSG_STOP,
     0},
    {NULL, 0}};

static const char *TOOLS =
    "[{\"name\":\"shell\",\"description\":\"Run a command\",\"input_schema\":{\"type\":\"object\","
    "\"properties\":{\"cmd\":{\"type\":\"string\"}},\"required\":[\"cmd\"]}},"
    "{\"name\":\"read_file\",\"description\":\"Read a file\",\"input_schema\":{\"type\":\"object\","
    "\"properties\":{\"path\":{\"type\":\"string\"}}}}]";

/* Check one request body against the Messages API request shape. */
static void check_request(const char *body, size_t n_msgs) {
  const vbx_host_services *h = L.h;
  vbx_json *doc = lh_json(&L, body);
  assert_non_null(doc);
  assert_string_equal(h->json_string_value(h->json_object_get(doc, "model")), "claude-sonnet-4-5");
  assert_true(h->json_integer_value(h->json_object_get(doc, "max_tokens")) > 0);
  assert_true(h->json_is_true(h->json_object_get(doc, "stream")));
  assert_string_equal(h->json_string_value(h->json_object_get(doc, "system")), "You are a test.");
  vbx_json *tools = h->json_object_get(doc, "tools");
  assert_int_equal(h->json_array_size(tools), 2);
  for (size_t i = 0; i < 2; i++) {
    vbx_json *t = h->json_array_get(tools, i);
    assert_non_null(h->json_string_value(h->json_object_get(t, "name")));
    assert_int_equal(h->json_type(h->json_object_get(t, "input_schema")), VBX_JSON_OBJECT);
  }
  vbx_json *msgs = h->json_object_get(doc, "messages");
  assert_int_equal(h->json_array_size(msgs), n_msgs);
  for (size_t i = 0; i < n_msgs; i++) { /* roles alternate, starting with user */
    vbx_json *m = h->json_array_get(msgs, i);
    assert_string_equal(h->json_string_value(h->json_object_get(m, "role")),
                        i % 2 ? "assistant" : "user");
    vbx_json *c = h->json_object_get(m, "content");
    for (size_t k = 0; k < h->json_array_size(c); k++) {
      vbx_json *b = h->json_array_get(c, k);
      const char *ty = h->json_string_value(h->json_object_get(b, "type"));
      if (!strcmp(ty, "tool_use")) {
        assert_non_null(h->json_string_value(h->json_object_get(b, "id")));
        assert_int_equal(h->json_type(h->json_object_get(b, "input")), VBX_JSON_OBJECT);
      } else if (!strcmp(ty, "tool_result")) {
        assert_non_null(h->json_string_value(h->json_object_get(b, "tool_use_id")));
      }
    }
  }
  h->json_decref(doc);
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
  assert_int_equal(lh_create(&L, fs_url(srv), "claude-sonnet-4-5", NULL, &prov, &call), 0);
  const vbx_host_services *h = L.h;
  vbx_json *msgs = lh_json(
      &L, "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"List files\"}]}]");
  vbx_json *tools = lh_json(&L, TOOLS);
  const char *results[] = {"a.txt\nb.txt", "hello"};
  const char *expect_tool[] = {"shell", "read_file"};
  double total_cost = 0;
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
    total_cost += resp.usage.cost_usd;
    char *body = fs_body(srv, (size_t)turn);
    check_request(body, (size_t)(1 + 2 * turn));
    free(body);
    char *key = fs_header(srv, (size_t)turn, "x-api-key");
    assert_string_equal(key, "sk-test-key");
    free(key);
    char *ver = fs_header(srv, (size_t)turn, "anthropic-version");
    assert_string_equal(ver, "2023-06-01");
    free(ver);
    if (turn == 0) {
      assert_int_equal(resp.usage.input_tokens, 100);
      assert_int_equal(resp.usage.cache_read_tokens, 80);
      assert_int_equal(resp.usage.cache_write_tokens, 20);
      assert_int_equal(resp.usage.output_tokens, 40);
      /* claude-sonnet-4-5: 3 / 15 / 0.30 / 3.75 USD per MTok */
      double want = (100 * 3.0 + 40 * 15.0 + 80 * 0.30 + 20 * 3.75) / 1e6;
      assert_true(resp.usage.cost_usd > want * 0.999 && resp.usage.cost_usd < want * 1.001);
      assert_string_equal(resp.model, "claude-sonnet-4-5-20250929");
    }
    if (turn < 2) {
      assert_string_equal(resp.stop_reason, "tool_use");
      vbx_json *last = h->json_array_get(resp.content, h->json_array_size(resp.content) - 1);
      assert_string_equal(h->json_string_value(h->json_object_get(last, "type")), "tool_use");
      assert_string_equal(h->json_string_value(h->json_object_get(last, "name")),
                          expect_tool[turn]);
      vbx_json *input = h->json_object_get(last, "input");
      if (turn == 0)
        assert_string_equal(h->json_string_value(h->json_object_get(input, "cmd")), "ls -la");
      const char *id = h->json_string_value(h->json_object_get(last, "id"));
      /* append the assistant turn and the tool result, as the engine does */
      vbx_json *am = h->json_object_new();
      h->json_object_set(am, "role", h->json_string_new("assistant", 9));
      h->json_object_set(am, "content", h->json_incref(resp.content));
      h->json_array_append(msgs, am);
      vbx_json *tr = h->json_object_new();
      h->json_object_set(tr, "type", h->json_string_new("tool_result", 11));
      h->json_object_set(tr, "tool_use_id", h->json_string_new(id, strlen(id)));
      h->json_object_set(tr, "content", h->json_string_new(results[turn], strlen(results[turn])));
      vbx_json *arr = h->json_array_new();
      h->json_array_append(arr, tr);
      vbx_json *um = h->json_object_new();
      h->json_object_set(um, "role", h->json_string_new("user", 4));
      h->json_object_set(um, "content", arr);
      h->json_array_append(msgs, um);
    } else {
      assert_string_equal(resp.stop_reason, "end_turn");
      char *text = lh_text(&L, &resp);
      assert_string_equal(text, "Done: 2 files.");
      free(text);
    }
    lh_response_free(&L, &resp);
  }
  assert_true(total_cost > 0);
  h->json_decref(msgs);
  h->json_decref(tools);
  L.vt->destroy(prov);
  fs_stop(srv);
}

int main(void) {
  const struct CMUnitTest extra[] = {cmocka_unit_test(t_tool_loop)};
  return suite_run(&anthropic_wire, extra, 1);
}
