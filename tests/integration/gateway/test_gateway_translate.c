/*
 * tests/integration/gateway/test_gateway_translate.c - Anthropic-shaped
 * requests through the gateway to each provider plugin (anthropic, openai,
 * ollama) and back: the translated upstream request has the provider's
 * shape and carries the host's key (never the box token); the answer is a
 * valid Anthropic message (buffered) or SSE event sequence (streaming) with
 * text, a tool_use block, stop_reason and usage; and streaming is
 * preserved: the first text_delta reaches the client while the upstream is
 * held at a gate before the rest of its stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client.h"
#include "fake_server.h"
#include "gate_server.h"
#include "upstream.h"

#define AUTH "x-api-key: " GW_TOKEN

static const char *str(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}
static long num(json_t *o, const char *k) {
  return (long)json_integer_value(json_object_get(o, k));
}

/* The SSE answer: message_start, text block 0 ("Hello world" in deltas),
 * tool_use block 1 (input via input_json_delta), message_delta, stop. */
static void check_sse(const char *body, const char *tool_id) {
  sse_ev ev[256];
  size_t n = sse_split(body, ev, 256);
  assert_true(n >= 8);
  char text[256] = "", args[256] = "";
  int pos_tstart = -1, pos_tstop = -1, pos_ustart = -1, pos_ustop = -1, pos_mdelta = -1;
  for (size_t i = 0; i < n; i++) {
    json_t *d = ev[i].data;
    assert_non_null(d);
    assert_string_equal(str(d, "type"), ev[i].name);
    const char *e = ev[i].name;
    if (strcmp(e, "content_block_start") == 0) {
      json_t *cb = json_object_get(d, "content_block");
      if (strcmp(str(cb, "type"), "text") == 0) {
        assert_int_equal(num(d, "index"), 0);
        pos_tstart = (int)i;
      } else {
        assert_string_equal(str(cb, "type"), "tool_use");
        assert_int_equal(num(d, "index"), 1);
        assert_string_equal(str(cb, "id"), tool_id);
        assert_string_equal(str(cb, "name"), "get_weather");
        assert_true(json_is_object(json_object_get(cb, "input")));
        pos_ustart = (int)i;
      }
    } else if (strcmp(e, "content_block_delta") == 0) {
      json_t *dl = json_object_get(d, "delta");
      if (strcmp(str(dl, "type"), "text_delta") == 0) {
        assert_int_equal(num(d, "index"), 0);
        assert_true(pos_tstart >= 0 && pos_tstop < 0);
        strncat(text, str(dl, "text"), sizeof(text) - strlen(text) - 1);
      } else {
        assert_string_equal(str(dl, "type"), "input_json_delta");
        assert_int_equal(num(d, "index"), 1);
        assert_true(pos_ustart >= 0 && pos_ustop < 0);
        strncat(args, str(dl, "partial_json"), sizeof(args) - strlen(args) - 1);
      }
    } else if (strcmp(e, "content_block_stop") == 0) {
      if (num(d, "index") == 0)
        pos_tstop = (int)i;
      else
        pos_ustop = (int)i;
    } else if (strcmp(e, "message_delta") == 0) {
      assert_string_equal(str(json_object_get(d, "delta"), "stop_reason"), "tool_use");
      json_t *u = json_object_get(d, "usage");
      assert_int_equal(num(u, "output_tokens"), 9);
      assert_int_equal(num(u, "input_tokens"), 12);
      pos_mdelta = (int)i;
    } else {
      assert_true(strcmp(e, "message_start") == 0 || strcmp(e, "message_stop") == 0);
    }
  }
  assert_string_equal(ev[0].name, "message_start");
  assert_string_equal(str(json_object_get(ev[0].data, "message"), "role"), "assistant");
  assert_string_equal(ev[n - 1].name, "message_stop");
  assert_true(pos_tstart < pos_tstop && pos_tstop < pos_ustart && pos_ustart < pos_ustop &&
              pos_ustop < pos_mdelta && pos_mdelta == (int)n - 2);
  assert_string_equal(text, "Hello world");
  json_t *a = json_loads(args, 0, NULL);
  assert_non_null(a);
  assert_string_equal(str(a, "city"), "Paris");
  json_decref(a);
  sse_free(ev, n);
}

typedef struct watch {
  gate_server *gate;
  int opened;      /* 1 once the client opened the gate */
  int before_rest; /* gs_open said the rest was not sent yet */
} watch;

static void on_bytes(void *user, const char *so_far, size_t len) {
  watch *w = user;
  (void)len;
  if (!w->opened && strstr(so_far, "\"text_delta\"") != NULL) {
    w->before_rest = gs_open(w->gate);
    w->opened = 1;
  }
}

static void run_stream(const pwire *pw) {
  gate_server *g = gs_start(pw->ctype, pw->part1, pw->part2);
  assert_non_null(g);
  gwt t;
  assert_int_equal(gwt_start(&t, pw, gs_url(g), NULL, NULL), 0);
  char *req = client_request(1);
  watch w = {g, 0, 0};
  gwc_resp r;
  assert_int_equal(gwc_request(vbx__gateway_url(t.gw), NULL, "/v1/messages", AUTH, req, strlen(req),
                               &r, on_bytes, &w),
                   0);
  int released_by_client = gs_finish(g);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.ctype, "text/event-stream"));
  assert_true(w.opened);
  assert_true(w.before_rest);      /* text_delta arrived while upstream held the rest */
  assert_true(released_by_client); /* ...and only the client's sight of it released it */
  /* Ollama gives tool calls no ids: the plugin generates them. */
  check_sse(r.body, strcmp(pw->provider, "ollama") == 0 ? "call_ollama_1" : "toolu_1");
  gwc_free(&r);
  free(req);
  gwt_stop(&t);
}

static void run_buffered(const pwire *pw) {
  char stream[8192];
  snprintf(stream, sizeof(stream), "%s%s", pw->part1, pw->part2);
  fs_part parts[] = {{stream, 0}, {NULL, 0}};
  fs_response script[] = {{200, pw->ctype, NULL, NULL, parts, 0, 0}};
  fake_server *fs = fs_start(script, 1);
  assert_non_null(fs);
  gwt t;
  assert_int_equal(gwt_start(&t, pw, fs_url(fs), NULL, NULL), 0);
  char *req = client_request(0);
  gwc_resp r;
  assert_int_equal(gwc_request(vbx__gateway_url(t.gw), NULL, "/v1/messages",
                               "Authorization: Bearer " GW_TOKEN, req, strlen(req), &r, NULL, NULL),
                   0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.ctype, "application/json"));
  json_t *m = json_loads(r.body, 0, NULL);
  assert_non_null(m);
  assert_string_equal(str(m, "type"), "message");
  assert_string_equal(str(m, "role"), "assistant");
  assert_non_null(str(m, "id"));
  json_t *c = json_object_get(m, "content");
  assert_int_equal(json_array_size(c), 2);
  assert_string_equal(str(json_array_get(c, 0), "type"), "text");
  assert_string_equal(str(json_array_get(c, 0), "text"), "Hello world");
  json_t *tu = json_array_get(c, 1);
  assert_string_equal(str(tu, "type"), "tool_use");
  assert_string_equal(str(tu, "name"), "get_weather");
  assert_string_equal(str(json_object_get(tu, "input"), "city"), "Paris");
  assert_string_equal(str(m, "stop_reason"), "tool_use");
  assert_int_equal(num(json_object_get(m, "usage"), "input_tokens"), 12);
  assert_int_equal(num(json_object_get(m, "usage"), "output_tokens"), 9);
  json_decref(m);
  /* The request the provider's upstream received. */
  assert_int_equal(fs_count(fs), 1);
  char *path = fs_path(fs, 0), *body = fs_body(fs, 0);
  char *auth =
      pw->auth_header ? fs_header(fs, 0, pw->auth_header) : fs_header(fs, 0, "authorization");
  pw->check(path, body, auth);
  free(path);
  free(body);
  free(auth);
  gwc_free(&r);
  free(req);
  gwt_stop(&t);
  fs_stop(fs);
}

static void stream_anthropic(void **s) {
  (void)s;
  run_stream(&PW_ANTHROPIC);
}
static void stream_openai(void **s) {
  (void)s;
  run_stream(&PW_OPENAI);
}
static void stream_ollama(void **s) {
  (void)s;
  run_stream(&PW_OLLAMA);
}
static void buffered_anthropic(void **s) {
  (void)s;
  run_buffered(&PW_ANTHROPIC);
}
static void buffered_openai(void **s) {
  (void)s;
  run_buffered(&PW_OPENAI);
}
static void buffered_ollama(void **s) {
  (void)s;
  run_buffered(&PW_OLLAMA);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(stream_anthropic), cmocka_unit_test(stream_openai),
      cmocka_unit_test(stream_ollama),    cmocka_unit_test(buffered_anthropic),
      cmocka_unit_test(buffered_openai),  cmocka_unit_test(buffered_ollama),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
