/*
 * test_mcp_rpc - the JSON-RPC 2.0 peer over a scripted in-memory transport:
 * responses out of order, the server's requests answered in the middle of
 * a wait (ping, roots/list through the handler, unknown -> -32601),
 * notifications, batches, error answers, and each fatal case (a wrong id,
 * non-JSON, no "jsonrpc", result and error together, a line over the bound,
 * end of file, a failed write) with its message; a timeout abandons the
 * request, tells the server, and its late answer is dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mcp_rpc.h"

typedef struct ctx {
  vbx_mcp_mem mem;
  vbx_mcp_rpc *rpc;
  int notes;
  char last_note[128];
  int requests;
} ctx;

static int on_request(void *user, const char *method, const json_t *params, json_t **result,
                      char *msg, size_t cap) {
  ctx *c = user;
  (void)params;
  c->requests++;
  if (strcmp(method, "ping") == 0) {
    *result = json_object();
    return 0;
  }
  if (strcmp(method, "roots/list") == 0) {
    *result = json_pack("{s:[{s:s}]}", "roots", "uri", "file:///workspace");
    return 0;
  }
  snprintf(msg, cap, "no %s here", method);
  return VBX_MCP_METHOD_NOT_FOUND;
}

static void on_notify(void *user, const char *method, const json_t *params) {
  ctx *c = user;
  (void)params;
  c->notes++;
  snprintf(c->last_note, sizeof c->last_note, "%s", method);
}

/* A peer reading `in` in chunks of `chunk` bytes (0: all at once). */
static void open_ctx(ctx *c, const char *in, uint8_t chunk, size_t max_line) {
  static uint8_t sizes[1];
  memset(c, 0, sizeof *c);
  c->mem.in = in;
  c->mem.in_len = strlen(in);
  if (chunk) {
    sizes[0] = chunk;
    c->mem.chunks = sizes;
    c->mem.n_chunks = 1;
  }
  vbx_mcp_rpc_config cfg = {
      "srv", vbx_mcp_mem_transport(&c->mem), max_line, on_request, on_notify, NULL, c};
  assert_int_equal(vbx_mcp_rpc_new(&cfg, &c->rpc), 0);
}

static void close_ctx(ctx *c) {
  vbx_mcp_rpc_free(c->rpc);
  vbx_mcp_mem_free(&c->mem);
}

/* The message the client wrote whose id is `id` (JSON text), or NULL. */
static json_t *written(ctx *c, const char *id_json, int nth_method_match, const char *method) {
  json_t *want = json_loads(id_json, JSON_DECODE_ANY, NULL);
  char *copy = strdup(c->mem.out ? c->mem.out : "");
  json_t *found = NULL;
  int seen = 0;
  for (char *save, *l = strtok_r(copy, "\n", &save); l && !found; l = strtok_r(NULL, "\n", &save)) {
    json_t *m = json_loads(l, 0, NULL);
    assert_non_null(m); /* everything written is one JSON object per line */
    assert_string_equal(json_string_value(json_object_get(m, "jsonrpc")), "2.0");
    int hit = method ? json_string_value(json_object_get(m, "method")) &&
                           strcmp(json_string_value(json_object_get(m, "method")), method) == 0
                     : want && json_equal(json_object_get(m, "id"), want) &&
                           json_object_get(m, "method") == NULL;
    if (hit && seen++ == nth_method_match)
      found = m;
    else
      json_decref(m);
  }
  free(copy);
  json_decref(want);
  return found;
}

#define RESP(id, res) "{\"jsonrpc\":\"2.0\",\"id\":" id ",\"result\":" res "}\n"

static void test_out_of_order(void **state) {
  (void)state;
  ctx c;
  open_ctx(&c, RESP("2", "{\"b\":2}") RESP("1", "{\"a\":1}"), 0, 0);
  int64_t a, b;
  assert_int_equal(vbx_mcp_rpc_send(c.rpc, "first", NULL, 0, &a), 0);
  assert_int_equal(vbx_mcp_rpc_send(c.rpc, "second", json_pack("{s:i}", "x", 1), 0, &b), 0);
  assert_int_equal(a, 1);
  assert_int_equal(b, 2);
  json_t *r = NULL;
  assert_int_equal(vbx_mcp_rpc_wait(c.rpc, a, vbx_mcp_deadline_ms(2000), &r), 0);
  assert_int_equal(json_integer_value(json_object_get(r, "a")), 1);
  json_decref(r);
  assert_int_equal(vbx_mcp_rpc_wait(c.rpc, b, vbx_mcp_deadline_ms(2000), &r), 0);
  assert_int_equal(json_integer_value(json_object_get(r, "b")), 2);
  json_decref(r);
  assert_int_equal(vbx_mcp_rpc_received(c.rpc), 2);
  /* what went out: two requests with their ids, methods and params */
  json_t *m = written(&c, NULL, 0, "second");
  assert_non_null(m);
  assert_int_equal(json_integer_value(json_object_get(m, "id")), 2);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "params"), "x")), 1);
  json_decref(m);
  assert_int_equal(vbx_mcp_rpc_wait(c.rpc, 7, 0, &r), VBX_E_NOTFOUND);
  close_ctx(&c);
}

static void test_server_requests_mid_call(void **state) {
  (void)state;
  ctx c;
  open_ctx(&c,
           "{\"jsonrpc\":\"2.0\",\"id\":\"p1\",\"method\":\"ping\"}\n"
           "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"data\":1}}\n"
           "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"roots/list\",\"params\":{}}\n"
           "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"elicitation/create\"}\n"
           "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"},"
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"done\":true}}]\n",
           7, 0);
  json_t *r = NULL;
  assert_int_equal(vbx_mcp_rpc_call(c.rpc, "tools/call", NULL, 2000, &r), 0);
  assert_true(json_is_true(json_object_get(r, "done")));
  json_decref(r);
  assert_int_equal(c.requests, 3);
  assert_int_equal(c.notes, 2);
  assert_string_equal(c.last_note, "notifications/tools/list_changed");
  json_t *m = written(&c, "\"p1\"", 0, NULL);
  assert_non_null(m);
  assert_int_equal(json_object_size(json_object_get(m, "result")), 0);
  json_decref(m);
  m = written(&c, "5", 0, NULL);
  assert_non_null(m);
  assert_string_equal(
      json_string_value(json_object_get(
          json_array_get(json_object_get(json_object_get(m, "result"), "roots"), 0), "uri")),
      "file:///workspace");
  json_decref(m);
  m = written(&c, "6", 0, NULL);
  assert_non_null(m);
  assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "error"), "code")),
                   VBX_MCP_METHOD_NOT_FOUND);
  assert_null(json_object_get(m, "result"));
  json_decref(m);
  close_ctx(&c);
}

static void test_error_answer(void **state) {
  (void)state;
  ctx c;
  open_ctx(&c,
           "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32602,\"message\":\"Unknown "
           "tool: x\"}}\n",
           0, 0);
  json_t *r = NULL;
  assert_int_equal(vbx_mcp_rpc_call(c.rpc, "tools/call", NULL, 2000, &r), VBX_E_TOOL);
  assert_null(r);
  assert_int_equal(vbx_mcp_rpc_error_code(c.rpc), -32602);
  assert_string_equal(vbx_mcp_rpc_error(c.rpc),
                      "mcp server 'srv': tools/call: the server answered with error -32602: "
                      "Unknown tool: x");
  assert_int_equal(vbx_mcp_rpc_dead(c.rpc), 0); /* not fatal */
  const char *next = RESP("2", "{}");
  c.mem.in = next;
  c.mem.in_len = strlen(next);
  c.mem.in_pos = 0;
  assert_int_equal(vbx_mcp_rpc_call(c.rpc, "ping", NULL, 2000, &r), 0);
  json_decref(r);
  close_ctx(&c);
}

/* One fatal case: the call fails with code and a message holding needle;
 * the peer is dead, the server killed, the next call fails at once. */
static void fatal_case(const char *in, size_t max_line, int code, const char *needle) {
  ctx c;
  open_ctx(&c, in, 0, max_line);
  json_t *r = NULL;
  int rc = vbx_mcp_rpc_call(c.rpc, "tools/call", NULL, 2000, &r);
  if (rc != code || strstr(vbx_mcp_rpc_error(c.rpc), needle) == NULL)
    fail_msg("rc %d (want %d): %s (want ...%s...)", rc, code, vbx_mcp_rpc_error(c.rpc), needle);
  assert_null(r);
  assert_int_equal(vbx_mcp_rpc_dead(c.rpc), code);
  assert_true(c.mem.killed);
  assert_non_null(strstr(vbx_mcp_rpc_error(c.rpc), "mcp server 'srv': tools/call: "));
  char first[1200];
  snprintf(first, sizeof first, "%s", vbx_mcp_rpc_error(c.rpc));
  assert_int_equal(vbx_mcp_rpc_call(c.rpc, "ping", NULL, 2000, &r), code);
  assert_string_equal(vbx_mcp_rpc_error(c.rpc), first); /* the first message stays */
  close_ctx(&c);
}

static void test_fatal_cases(void **state) {
  (void)state;
  fatal_case(RESP("999", "{}"), 0, VBX_E_PROTOCOL,
             "the server sent a response with id 999, which matches no request");
  fatal_case(RESP("\"1\"", "{}"), 0, VBX_E_PROTOCOL, "with id \"1\", which matches no request");
  fatal_case("this is not json\n", 0, VBX_E_PROTOCOL, "the server wrote a line that is not JSON (");
  fatal_case("\"a string\"\n", 0, VBX_E_PROTOCOL, "not JSON");
  fatal_case("{\"id\":1,\"result\":{}}\n", 0, VBX_E_PROTOCOL,
             "a message without \"jsonrpc\": \"2.0\"");
  fatal_case("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{}}\n", 0, VBX_E_PROTOCOL,
             "has both result and error");
  fatal_case("{\"jsonrpc\":\"2.0\",\"id\":1}\n", 0, VBX_E_PROTOCOL, "neither result nor error");
  fatal_case("{\"jsonrpc\":\"2.0\"}\n", 0, VBX_E_PROTOCOL,
             "neither a request, a notification nor a response");
  fatal_case(
      "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse "
      "error\"}}\n",
      0, VBX_E_PROTOCOL, "the server could not read a request: error -32700: Parse error");
  fatal_case("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\"}\n", 0, VBX_E_PROTOCOL,
             "request ping has an id that is not a string or integer");
  fatal_case("[]\n", 0, VBX_E_PROTOCOL, "a batch of 0 messages");
  fatal_case(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"t\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}\n",
      64, VBX_E_TOOBIG, "the server sent a message over the 64-byte bound");
  fatal_case("", 0, VBX_E_IO, "the server ended (the script ended)");
}

/* A second answer to a request already answered (while another waits). */
static void test_duplicate_answer(void **state) {
  (void)state;
  ctx c;
  open_ctx(&c, RESP("1", "{}") RESP("1", "{}"), 0, 0);
  int64_t a, b;
  json_t *r = NULL;
  assert_int_equal(vbx_mcp_rpc_send(c.rpc, "one", NULL, 0, &a), 0);
  assert_int_equal(vbx_mcp_rpc_send(c.rpc, "two", NULL, 0, &b), 0);
  assert_int_equal(vbx_mcp_rpc_wait(c.rpc, b, vbx_mcp_deadline_ms(1000), &r), VBX_E_PROTOCOL);
  assert_non_null(strstr(vbx_mcp_rpc_error(c.rpc), "answered request 1 twice"));
  close_ctx(&c);
}

static void test_timeout_then_late_answer(void **state) {
  (void)state;
  ctx c;
  open_ctx(&c, "", 0, 0);
  c.mem.stall_at_end = 1;
  c.mem.stall_cap = 20;
  json_t *r = NULL;
  uint64_t t0 = vbx_mcp_now_ns();
  assert_int_equal(vbx_mcp_rpc_call(c.rpc, "tools/call", NULL, 300, &r), VBX_E_TIMEOUT);
  uint64_t ms = (vbx_mcp_now_ns() - t0) / 1000000;
  assert_true(ms >= 290 && ms < 1500);
  assert_string_equal(vbx_mcp_rpc_error(c.rpc),
                      "mcp server 'srv': tools/call: no answer within 300 ms");
  assert_int_equal(vbx_mcp_rpc_dead(c.rpc), 0);
  json_t *cancel = written(&c, NULL, 0, "notifications/cancelled");
  assert_non_null(cancel);
  assert_int_equal(
      json_integer_value(json_object_get(json_object_get(cancel, "params"), "requestId")), 1);
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(cancel, "params"), "reason")), "timeout");
  assert_null(json_object_get(cancel, "id"));
  json_decref(cancel);
  /* the late answer to 1 arrives before the answer to 2: dropped, no error */
  const char *late = RESP("1", "{\"late\":1}") RESP("2", "{\"fresh\":1}");
  c.mem.in = late;
  c.mem.in_len = strlen(late);
  c.mem.in_pos = 0;
  assert_int_equal(vbx_mcp_rpc_call(c.rpc, "tools/call", NULL, 2000, &r), 0);
  assert_true(json_is_true(json_object_get(r, "fresh")) ||
              json_integer_value(json_object_get(r, "fresh")) == 1);
  json_decref(r);
  /* a whole second: the "s" wording */
  c.mem.in_len = c.mem.in_pos = 0;
  assert_int_equal(vbx_mcp_rpc_call(c.rpc, "slow", NULL, 1000, &r), VBX_E_TIMEOUT);
  assert_string_equal(vbx_mcp_rpc_error(c.rpc), "mcp server 'srv': slow: no answer within 1 s");
  close_ctx(&c);
}

static void test_initialize_is_never_cancelled(void **state) {
  (void)state;
  ctx c;
  open_ctx(&c, "", 0, 0);
  c.mem.stall_at_end = 1;
  c.mem.stall_cap = 10;
  json_t *r = NULL;
  assert_int_equal(vbx_mcp_rpc_call(c.rpc, "initialize", NULL, 100, &r), VBX_E_TIMEOUT);
  assert_null(written(&c, NULL, 0, "notifications/cancelled"));
  close_ctx(&c);
}

static void test_cancelled_and_write_failure(void **state) {
  (void)state;
  ctx c;
  open_ctx(&c, "", 0, 0);
  c.mem.stall_at_end = 1;
  c.mem.stall_cap = 10;
  c.mem.cancel = 1;
  json_t *r = NULL;
  assert_int_equal(vbx_mcp_rpc_call(c.rpc, "tools/call", NULL, 2000, &r), VBX_E_CANCELLED);
  assert_string_equal(vbx_mcp_rpc_error(c.rpc), "mcp server 'srv': tools/call: cancelled");
  assert_int_equal(vbx_mcp_rpc_dead(c.rpc), 0);
  close_ctx(&c);

  /* a write refused by a server that has ended: the failure says how it
   * ended, as a read would have */
  open_ctx(&c, "", 0, 0);
  c.mem.fail_writes = 1;
  assert_int_equal(vbx_mcp_rpc_call(c.rpc, "tools/call", NULL, 2000, &r), VBX_E_IO);
  assert_string_equal(vbx_mcp_rpc_error(c.rpc),
                      "mcp server 'srv': tools/call: the server ended (the script ended)");
  assert_int_equal(vbx_mcp_rpc_dead(c.rpc), VBX_E_IO);
  close_ctx(&c);

  /* refused by a server still running: a write failure */
  open_ctx(&c, "", 0, 0);
  c.mem.fail_writes = 1;
  c.mem.stall_at_end = 1;
  c.mem.stall_cap = 10;
  assert_int_equal(vbx_mcp_rpc_call(c.rpc, "tools/call", NULL, 2000, &r), VBX_E_IO);
  const char *e = vbx_mcp_rpc_error(c.rpc);
  if (strncmp(e, "mcp server 'srv': tools/call: cannot write to the server", 56) != 0)
    fail_msg("unexpected: %s", e);
  assert_int_equal(vbx_mcp_rpc_dead(c.rpc), VBX_E_IO);
  close_ctx(&c);
}

static void test_request_over_bound(void **state) {
  (void)state;
  ctx c;
  open_ctx(&c, "", 0, 32);
  json_t *r = NULL;
  assert_int_equal(
      vbx_mcp_rpc_call(c.rpc, "tools/call",
                       json_pack("{s:s}", "x", "0123456789012345678901234567890"), 2000, &r),
      VBX_E_TOOBIG);
  assert_non_null(strstr(vbx_mcp_rpc_error(c.rpc), "over the 32-byte bound"));
  assert_null(c.mem.out); /* nothing written */
  assert_int_equal(vbx_mcp_rpc_dead(c.rpc), 0);
  close_ctx(&c);
}

static void test_pump_notifications(void **state) {
  (void)state;
  ctx c;
  open_ctx(&c,
           "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\n"
           "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"}\n",
           3, 0);
  c.mem.stall_at_end = 1;
  c.mem.stall_cap = 5;
  assert_int_equal(vbx_mcp_rpc_pump(c.rpc, vbx_mcp_deadline_ms(100)), 0);
  assert_int_equal(c.notes, 2);
  /* notify: one line, no id */
  assert_int_equal(vbx_mcp_rpc_notify(c.rpc, "notifications/initialized", NULL, 0), 0);
  assert_string_equal(c.mem.out,
                      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n");
  close_ctx(&c);
}

static void test_too_many_outstanding(void **state) {
  (void)state;
  ctx c;
  open_ctx(&c, "", 0, 0);
  int64_t id;
  for (int i = 0; i < VBX_MCP_PENDING_MAX; i++)
    assert_int_equal(vbx_mcp_rpc_send(c.rpc, "x", NULL, 0, &id), 0);
  assert_int_equal(vbx_mcp_rpc_send(c.rpc, "x", NULL, 0, &id), VBX_E_LIMIT);
  assert_int_equal(id, -1);
  close_ctx(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_out_of_order),
      cmocka_unit_test(test_server_requests_mid_call),
      cmocka_unit_test(test_error_answer),
      cmocka_unit_test(test_fatal_cases),
      cmocka_unit_test(test_duplicate_answer),
      cmocka_unit_test(test_timeout_then_late_answer),
      cmocka_unit_test(test_initialize_is_never_cancelled),
      cmocka_unit_test(test_cancelled_and_write_failure),
      cmocka_unit_test(test_request_over_bound),
      cmocka_unit_test(test_pump_notifications),
      cmocka_unit_test(test_too_many_outstanding),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
