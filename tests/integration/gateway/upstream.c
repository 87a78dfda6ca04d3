/*
 * tests/integration/gateway/upstream.c - see upstream.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "upstream.h"

/* ---- anthropic ------------------------------------------------------------ */

#define EV(name, json) "event: " name "\ndata: " json "\n\n"
static const char an_p1[] =
    EV("message_start",
       "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_up\",\"type\":\"message\","
       "\"role\":\"assistant\",\"model\":\"claude-test\",\"content\":[],\"stop_reason\":null,"
       "\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}")
        EV("content_block_start",
           "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
           "\"text\":\"\"}}") EV("content_block_delta",
                                 "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
                                 "\"type\":\"text_delta\",\"text\":\"Hello\"}}");
static const char an_p2[] =
    EV("content_block_delta",
       "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
       "\" world\"}}") EV("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
        EV("content_block_start",
           "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
           "\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{}}}")
            EV("content_block_delta",
               "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_"
               "delta\",\"partial_json\":\"{\\\"city\\\":\"}}")
                EV("content_block_delta",
                   "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_"
                   "delta\",\"partial_json\":\"\\\"Paris\\\"}\"}}")
                    EV("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}")
                        EV("message_delta",
                           "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\","
                           "\"stop_sequence\":null},\"usage\":{\"output_tokens\":9}}")
                            EV("message_stop", "{\"type\":\"message_stop\"}");

static json_t *load(const char *body) {
  json_t *j = json_loads(body, 0, NULL);
  assert_non_null(j);
  return j;
}

static const char *str(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static void an_check(const char *path, const char *body, const char *auth) {
  assert_string_equal(path, "/v1/messages");
  assert_non_null(auth);
  assert_string_equal(auth, HOST_KEY);
  assert_null(strstr(body, GW_TOKEN));
  assert_null(strstr(body, "cache_control"));
  json_t *j = load(body);
  assert_string_equal(str(j, "model"), "claude-test");
  /* a system message among the messages (claude-code sends them) joins the
   * system prompt, in order; the turns stay user/assistant */
  assert_non_null(strstr(str(j, "system"), "You are a test.\n\nBe brief.\n\nAgents: none."));
  json_t *m = json_object_get(j, "messages");
  assert_int_equal(json_array_size(m), 3);
  json_t *tu = json_array_get(json_object_get(json_array_get(m, 1), "content"), 1);
  assert_string_equal(str(tu, "type"), "tool_use");
  assert_string_equal(str(json_object_get(tu, "input"), "city"), "Lyon");
  json_t *tr = json_array_get(json_object_get(json_array_get(m, 2), "content"), 0);
  assert_string_equal(str(tr, "type"), "tool_result");
  assert_string_equal(str(tr, "tool_use_id"), "toolu_0");
  json_t *t0 = json_array_get(json_object_get(j, "tools"), 0);
  assert_string_equal(str(t0, "name"), "get_weather");
  assert_true(json_is_object(json_object_get(t0, "input_schema")));
  json_decref(j);
}

const pwire PW_ANTHROPIC = {"anthropic",
                            VBX_TEST_PLUGIN_DIR "/llm-anthropic.so",
                            "claude-test",
                            HOST_KEY_ENV,
                            "/v1/messages",
                            "text/event-stream",
                            an_p1,
                            an_p2,
                            "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
                            "\"message\":\"invalid x-api-key\"}}",
                            an_check,
                            "x-api-key"};

/* ---- openai --------------------------------------------------------------- */

#define D(json) "data: " json "\n\n"
#define CH(delta, fin)                                                                          \
  D("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-test\",\"choices\":[{" \
    "\"index\":0,\"delta\":" delta ",\"finish_reason\":" fin "}]}")
static const char oa_p1[] = CH("{\"role\":\"assistant\",\"content\":\"Hello\"}", "null");
static const char oa_p2[] = CH("{\"content\":\" world\"}", "null") CH(
    "{\"tool_calls\":[{\"index\":0,\"id\":\"toolu_1\",\"type\":\"function\",\"function\":{\"name\":"
    "\"get_weather\",\"arguments\":\"{\\\"city\\\":\"}}]}",
    "null") CH("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]}",
               "null") CH("{}", "\"tool_calls\"")
    D("{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-test\",\"choices\":[],"
      "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":9,\"total_tokens\":21}}") D("[DONE]");

static void oa_check(const char *path, const char *body, const char *auth) {
  assert_string_equal(path, "/v1/chat/completions");
  assert_non_null(auth);
  assert_string_equal(auth, "Bearer " HOST_KEY);
  assert_null(strstr(body, GW_TOKEN));
  json_t *j = load(body);
  assert_string_equal(str(j, "model"), "gpt-test");
  json_t *m = json_object_get(j, "messages");
  json_t *sys = json_array_get(m, 0);
  assert_string_equal(str(sys, "role"), "system");
  assert_non_null(strstr(str(sys, "content"), "Be brief.\n\nAgents: none."));
  int saw_calls = 0, saw_tool = 0;
  size_t i;
  json_t *msg;
  json_array_foreach(m, i, msg) {
    json_t *calls = json_object_get(msg, "tool_calls");
    if (calls) {
      json_t *f = json_object_get(json_array_get(calls, 0), "function");
      assert_string_equal(str(f, "name"), "get_weather");
      json_t *args = load(str(f, "arguments")); /* arguments are JSON text */
      assert_string_equal(str(args, "city"), "Lyon");
      json_decref(args);
      saw_calls = 1;
    }
    if (str(msg, "role") && strcmp(str(msg, "role"), "tool") == 0) {
      assert_string_equal(str(msg, "tool_call_id"), "toolu_0");
      assert_non_null(strstr(str(msg, "content"), "sunny"));
      saw_tool = 1;
    }
  }
  assert_true(saw_calls && saw_tool);
  json_t *t0 = json_array_get(json_object_get(j, "tools"), 0);
  assert_string_equal(str(t0, "type"), "function");
  assert_string_equal(str(json_object_get(t0, "function"), "name"), "get_weather");
  assert_true(json_is_object(json_object_get(json_object_get(t0, "function"), "parameters")));
  json_decref(j);
}

const pwire PW_OPENAI = {
    "openai",
    VBX_TEST_PLUGIN_DIR "/llm-openai.so",
    "gpt-test",
    HOST_KEY_ENV,
    "/v1/chat/completions",
    "text/event-stream",
    oa_p1,
    oa_p2,
    "{\"error\":{\"message\":\"Incorrect API key "
    "provided\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}",
    oa_check,
    "authorization"};

/* ---- ollama --------------------------------------------------------------- */

#define OL(msg, extra)                                                                           \
  "{\"model\":\"llama-test\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":" msg "," extra \
  "}\n"
static const char ol_p1[] = OL("{\"role\":\"assistant\",\"content\":\"Hello\"}", "\"done\":false");
static const char ol_p2[] = OL("{\"role\":\"assistant\",\"content\":\" world\"}", "\"done\":false")
    OL("{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"get_"
       "weather\",\"arguments\":{\"city\":\"Paris\"}}}]}",
       "\"done\":false")
        OL("{\"role\":\"assistant\",\"content\":\"\"}",
           "\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":12,\"eval_count\":9");

static void ol_check(const char *path, const char *body, const char *auth) {
  assert_string_equal(path, "/api/chat");
  assert_null(auth);
  assert_null(strstr(body, GW_TOKEN));
  json_t *j = load(body);
  assert_string_equal(str(j, "model"), "llama-test");
  json_t *m = json_object_get(j, "messages");
  int saw_calls = 0, saw_tool = 0;
  size_t i;
  json_t *msg;
  json_array_foreach(m, i, msg) {
    json_t *calls = json_object_get(msg, "tool_calls");
    if (calls) {
      json_t *f = json_object_get(json_array_get(calls, 0), "function");
      assert_string_equal(str(json_object_get(f, "arguments"), "city"), "Lyon"); /* an object */
      saw_calls = 1;
    }
    if (str(msg, "role") && strcmp(str(msg, "role"), "tool") == 0) {
      assert_non_null(strstr(str(msg, "content"), "sunny"));
      saw_tool = 1;
    }
  }
  assert_true(saw_calls && saw_tool);
  assert_string_equal(str(json_array_get(json_object_get(j, "tools"), 0), "type"), "function");
  json_decref(j);
}

const pwire PW_OLLAMA = {"ollama",
                         VBX_TEST_PLUGIN_DIR "/llm-ollama.so",
                         "llama-test",
                         NULL,
                         "/api/chat",
                         "application/x-ndjson",
                         ol_p1,
                         ol_p2,
                         "{\"error\":\"unauthorized\"}",
                         ol_check,
                         NULL};

/* ---- gateway -------------------------------------------------------------- */

static int start(gwt *t, const pwire *w, const char *upstream, const char *unix_path,
                 const char *token, const gwt_opts *o) {
  memset(t, 0, sizeof(*t));
  setenv(HOST_KEY_ENV, HOST_KEY, 1);
  vbx_error err;
  memset(&err, 0, sizeof(err));
  vbx__logger log = {VBX_LOG_ERROR, NULL, NULL, 0};
  if (vbx__registry_new(&log, NULL, &t->reg) != 0 ||
      vbx__registry_load(t->reg, w->so_path, &err) != 0) {
    fprintf(stderr, "loading %s failed: %s\n", w->so_path, err.message);
    return -1;
  }
  vbx__registry_freeze(t->reg);
  json_t *opts = json_pack("{s:i}", "max_retries", 0);
  vbx_llm_config lc;
  memset(&lc, 0, sizeof(lc));
  lc.struct_size = sizeof(lc);
  lc.box_name = "gw-test";
  lc.model = w->model;
  lc.base_url = upstream;
  lc.api_key_env = w->key_env;
  lc.options = (const vbx_json *)opts;
  vbx__gateway_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.registry = t->reg;
  cfg.provider = w->provider;
  cfg.llm = &lc;
  cfg.unix_path = unix_path;
  cfg.token = token ? token : GW_TOKEN;
  cfg.max_body_bytes = 1u << 20;
  if (o != NULL) {
    cfg.max_connections = o->max_connections;
    cfg.timeout_secs = o->timeout_secs;
    cfg.header_timeout_secs = o->header_timeout_secs;
    cfg.max_unauthenticated = o->max_unauthenticated;
  }
  int rc = vbx__gateway_start(&cfg, &t->gw, &err);
  json_decref(opts);
  if (rc != 0) {
    fprintf(stderr, "gateway start failed: %s\n", err.message);
    return -1;
  }
  return 0;
}

int gwt_start(gwt *t, const pwire *w, const char *upstream, const char *unix_path,
              const char *token) {
  return start(t, w, upstream, unix_path, token, NULL);
}

int gwt_start_opts(gwt *t, const pwire *w, const char *upstream, const gwt_opts *o) {
  return start(t, w, upstream, NULL, NULL, o);
}

void gwt_stop(gwt *t) {
  vbx__gateway_stop(t->gw);
  if (t->reg) vbx__registry_free(t->reg);
  memset(t, 0, sizeof(*t));
}

char *client_request(int stream) {
  json_t *j = json_pack(
      "{s:s, s:i, s:b, s:[{s:s, s:s}, {s:s, s:s, s:{s:s}}],"
      " s:[{s:s, s:s, s:{s:s, s:{s:{s:s}}, s:[s]}}],"
      " s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:[{s:s, s:s}, {s:s, s:s, s:s, s:{s:s}}]},"
      "    {s:s, s:[{s:s, s:s, s:s}, {s:s, s:s}]}]}",
      "model", "claude-sonnet-4-5", "max_tokens", 512, "stream", stream, "system", "type", "text",
      "text", "You are a test.", "type", "text", "text", "Be brief.", "cache_control", "type",
      "ephemeral", "tools", "name", "get_weather", "description", "Weather for a city",
      "input_schema", "type", "object", "properties", "city", "type", "string", "required", "city",
      "messages", "role", "user", "content", "What is the weather in Lyon?", "role", "system",
      "content", "Agents: none.", "role", "assistant", "content", "type", "text", "text",
      "Checking.", "type", "tool_use", "id", "toolu_0", "name", "get_weather", "input", "city",
      "Lyon", "role", "user", "content", "type", "tool_result", "tool_use_id", "toolu_0", "content",
      "sunny", "type", "text", "text", "Now Paris.");
  assert_non_null(j);
  char *s = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  return s;
}
