/*
 * tests/integration/llm/suite_answers.c - conformance cases on answers:
 * plain text (streamed, buffered), the tool round trip, streaming order,
 * usage and cache tokens, stop reasons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "suite.h"

void t_stream_ok(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {stream_resp(W->ok_stream)};
  start(&t, s, 1, NULL);
  int rc = run(&t);
  if (rc) fail_msg("complete failed: %s", msg(&t, rc));
  char *text = lh_text(&L, &t.resp);
  assert_string_equal(text, W->ok_text);
  assert_string_equal(t.streamed, W->ok_text);
  free(text);
  assert_string_equal(t.resp.stop_reason, "end_turn");
  assert_true(t.resp.usage.input_tokens > 0 && t.resp.usage.output_tokens > 0);
  char *path = fs_path(t.srv, 0);
  assert_string_equal(path, W->path);
  free(path);
  assert_int_equal(fs_count(t.srv), 1);
  finish(&t);
}

void t_nonstream_ok(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {error_resp(200, W->ok_body, NULL)};
  start(&t, s, 1, "\"stream\":false");
  int rc = run(&t);
  if (rc) fail_msg("complete failed: %s", msg(&t, rc));
  char *text = lh_text(&L, &t.resp);
  assert_string_equal(text, W->ok_text);
  free(text);
  assert_string_equal(t.resp.stop_reason, "end_turn");
  char *body = fs_body(t.srv, 0);
  assert_null(strstr(body, "\"stream\":true"));
  free(body);
  finish(&t);
}

/* Every stop reason of the wire maps to its canonical value, streamed and
 * buffered; all mismatches are listed. */
void t_stop_reasons(void **state) {
  (void)state;
  char bad[2048] = "";
  assert_true(W->n_stops > 0);
  for (size_t i = 0; i < W->n_stops; i++) {
    const stop_case *c = &W->stops[i];
    for (int buffered = 0; buffered <= 1; buffered++) {
      tcase t;
      fs_response s[] = {buffered ? error_resp(200, c->body, NULL) : stream_resp(c->stream)};
      start(&t, s, 1, buffered ? "\"stream\":false" : NULL);
      int rc = run(&t);
      const char *got = rc ? msg(&t, rc) : t.resp.stop_reason;
      size_t l = strlen(bad);
      if (rc || strcmp(got, c->want))
        snprintf(bad + l, sizeof(bad) - l, "\n  %s '%s' gave %s'%s', want '%s'",
                 buffered ? "buffered" : "streamed", c->native, rc ? "an error " : "", got,
                 c->want);
      finish(&t);
    }
  }
  if (bad[0]) fail_msg("stop reasons:%s", bad);
}

/* Token counts (cache reads and writes apart from plain input) and the
 * priced cost, streamed and buffered. */
void t_usage(void **state) {
  (void)state;
  const vbx_llm_usage *u = &W->usage;
  for (int buffered = 0; buffered <= 1; buffered++) {
    tcase t;
    fs_response s[] = {buffered ? error_resp(200, W->usage_body, NULL)
                                : stream_resp(W->usage_stream)};
    start(&t, s, 1, buffered ? "\"stream\":false" : NULL);
    int rc = run(&t);
    if (rc) fail_msg("complete failed: %s", msg(&t, rc));
    const vbx_llm_usage *g = &t.resp.usage;
    assert_int_equal(g->input_tokens, u->input_tokens);
    assert_int_equal(g->output_tokens, u->output_tokens);
    assert_int_equal(g->cache_read_tokens, u->cache_read_tokens);
    assert_int_equal(g->cache_write_tokens, u->cache_write_tokens);
    if (u->cost_usd == 0)
      assert_true(g->cost_usd == 0);
    else if (!(g->cost_usd > u->cost_usd * 0.999 && g->cost_usd < u->cost_usd * 1.001))
      fail_msg("cost %.9f, want %.9f", g->cost_usd, u->cost_usd);
    finish(&t);
  }
}

static const char *TOOL_SHELL =
    "[{\"name\":\"shell\",\"description\":\"Run a command\",\"input_schema\":{\"type\":\"object\","
    "\"properties\":{\"cmd\":{\"type\":\"string\"}},\"required\":[\"cmd\"]}}]";

/* Turn 1 answers text then a tool call (canonical: a text block, then a
 * tool_use block with id, name and parsed input; stop_reason tool_use);
 * turn 2 sends the call and its result back and gets text. Streamed and
 * buffered. */
void t_tool_round_trip(void **state) {
  (void)state;
  const vbx_host_services *h = L.h;
  for (int buffered = 0; buffered <= 1; buffered++) {
    tcase t;
    fs_response s[] = {buffered ? error_resp(200, W->tool_body, NULL) : stream_resp(W->tool_stream),
                       buffered ? error_resp(200, W->ok_body, NULL) : stream_resp(W->ok_stream)};
    start(&t, s, 2, buffered ? "\"stream\":false" : NULL);
    const char *user =
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"List files\"}]}";
    char msgs[4096];
    snprintf(msgs, sizeof(msgs), "[%s]", user);
    int rc =
        lh_complete(&L, t.prov, msgs, TOOL_SHELL, &t.resp, t.streamed, sizeof(t.streamed), &t.call);
    if (rc) fail_msg("turn 1: %s", msg(&t, rc));
    assert_string_equal(t.resp.stop_reason, "tool_use");
    assert_int_equal(h->json_array_size(t.resp.content), 2);
    vbx_json *b0 = h->json_array_get(t.resp.content, 0), *b1 = h->json_array_get(t.resp.content, 1);
    assert_string_equal(h->json_string_value(h->json_object_get(b0, "type")), "text");
    assert_string_equal(h->json_string_value(h->json_object_get(b0, "text")), "Checking.");
    if (!buffered) assert_string_equal(t.streamed, "Checking.");
    assert_string_equal(h->json_string_value(h->json_object_get(b1, "type")), "tool_use");
    assert_string_equal(h->json_string_value(h->json_object_get(b1, "name")), "shell");
    const char *id = h->json_string_value(h->json_object_get(b1, "id"));
    assert_true(id && *id);
    vbx_json *in = h->json_object_get(b1, "input");
    assert_string_equal(h->json_string_value(h->json_object_get(in, "cmd")), "ls");
    char *content = h->json_dump(t.resp.content);
    snprintf(msgs, sizeof(msgs),
             "[%s,{\"role\":\"assistant\",\"content\":%s},{\"role\":\"user\",\"content\":["
             "{\"type\":\"tool_result\",\"tool_use_id\":\"%s\",\"content\":\"RESULT-7f3a\"}]}]",
             user, content, id);
    h->free(content);
    lh_response_free(&L, &t.resp);
    rc =
        lh_complete(&L, t.prov, msgs, TOOL_SHELL, &t.resp, t.streamed, sizeof(t.streamed), &t.call);
    if (rc) fail_msg("turn 2: %s", msg(&t, rc));
    char *text = lh_text(&L, &t.resp);
    assert_string_equal(text, W->ok_text);
    free(text);
    assert_string_equal(t.resp.stop_reason, "end_turn");
    char *b = fs_body(t.srv, 0);
    assert_non_null(strstr(b, "\"shell\"")); /* the tool was declared */
    free(b);
    b = fs_body(t.srv, 1);
    if (!strstr(b, "RESULT-7f3a") || !strstr(b, W->tool_echo))
      fail_msg("turn 2 request lacks the result or '%s': %s", W->tool_echo, b);
    free(b);
    assert_int_equal(fs_count(t.srv), 2);
    finish(&t);
  }
}

typedef struct order_sink {
  char text[256];
  unsigned calls;
  uint64_t first_ms;
} order_sink;

static int order_on_text(void *user, const char *txt, size_t n) {
  order_sink *o = user;
  if (o->calls++ == 0) o->first_ms = now_ms();
  size_t l = strlen(o->text);
  if (l + n < sizeof(o->text)) {
    memcpy(o->text + l, txt, n);
    o->text[l + n] = 0;
  }
  return 0;
}

/* Streamed text reaches the caller piece by piece as it arrives, in order:
 * the first piece well before the stream ends (the slow stream spaces its
 * parts 400 ms apart), the pieces joined equal to the final content. */
void t_stream_order(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {stream_resp(W->slow_stream)};
  start(&t, s, 1, "\"idle_timeout_ms\":2000");
  vbx_json *msgs = lh_json(&L, "[{\"role\":\"user\",\"content\":\"hi\"}]");
  order_sink o;
  memset(&o, 0, sizeof(o));
  vbx_llm_request req;
  memset(&req, 0, sizeof(req));
  req.struct_size = sizeof(req);
  req.messages = msgs;
  req.on_text = order_on_text;
  req.user = &o;
  t.resp.struct_size = sizeof(t.resp);
  int rc = L.vt->complete(t.prov, &req, &t.resp, &t.call);
  uint64_t end = now_ms();
  L.h->json_decref(msgs);
  if (rc) fail_msg("complete failed: %s", msg(&t, rc));
  assert_string_equal(o.text, W->ok_text);
  char *text = lh_text(&L, &t.resp);
  assert_string_equal(text, W->ok_text);
  free(text);
  assert_true(o.calls >= 2);
  if (o.first_ms + 700 > end)
    fail_msg("first text piece only %llu ms before the end",
             (unsigned long long)(end - o.first_ms));
  finish(&t);
}
