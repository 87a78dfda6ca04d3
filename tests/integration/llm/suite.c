/*
 * tests/integration/llm/suite.c - the provider-independent tests, run by
 * each provider's test against its own wire format (see harness.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

const wire *W;
lh L;

#define FAST "\"retry_base_ms\":5,\"connect_timeout_ms\":2000"

typedef struct tcase {
  fake_server *srv;
  void *prov;
  vbx__cancel cancel;
  vbx_call call;
  vbx_llm_response resp;
  char streamed[8192];
} tcase;

static uint64_t now_ms(void) { return vbx__now_ns() / 1000000ull; }

/* Start a server with `script`, create the provider with extra options. */
static void start(tcase *t, const fs_response *script, size_t n, const char *opts) {
  memset(t, 0, sizeof(*t));
  t->srv = fs_start(script, n);
  assert_non_null(t->srv);
  vbx__call_init(&t->call, &t->cancel, NULL, 0);
  char o[512];
  snprintf(o, sizeof(o), "{" FAST "%s%s}", opts ? "," : "", opts ? opts : "");
  int rc = lh_create(&L, fs_url(t->srv), W->model, o, &t->prov, &t->call);
  if (rc) fail_msg("create failed: %s", vbx__call_message(&t->call, rc));
}

static int run(tcase *t) {
  return lh_complete(&L, t->prov, NULL, NULL, &t->resp, t->streamed, sizeof(t->streamed), &t->call);
}

static void finish(tcase *t) {
  lh_response_free(&L, &t->resp);
  if (t->prov) L.vt->destroy(t->prov);
  fs_stop(t->srv);
}

static const char *msg(tcase *t, int rc) { return vbx__call_message(&t->call, rc); }

static fs_response stream_resp(const fs_part *parts) {
  fs_response r = {200, W->stream_ct, NULL, NULL, parts, 0, 0};
  return r;
}

static fs_response error_resp(int status, const char *body, const char *extra) {
  fs_response r = {status, "application/json", extra, body, NULL, 0, 0};
  return r;
}

static void t_stream_ok(void **state) {
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

static void t_nonstream_ok(void **state) {
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

static void t_auth(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {error_resp(401, W->err_auth, NULL)};
  start(&t, s, 1, NULL);
  int rc = run(&t);
  assert_int_equal(rc, VBX_E_AUTH);
  assert_non_null(strstr(msg(&t, rc), "authentication failed"));
  if (W->key_env) {
    char want[128];
    snprintf(want, sizeof(want), "check the API key in $%s", W->key_env);
    assert_non_null(strstr(msg(&t, rc), want));
  }
  assert_int_equal(fs_count(t.srv), 1); /* never retried */
  finish(&t);
}

static void t_missing_key(void **state) {
  (void)state;
  if (!W->key_env) skip();
  const char *saved = getenv(W->key_env);
  char *copy = saved ? strdup(saved) : NULL;
  unsetenv(W->key_env);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  void *prov = NULL;
  int rc = lh_create(&L, "http://127.0.0.1:9", W->model, NULL, &prov, &call);
  assert_int_equal(rc, VBX_E_AUTH);
  char want[128];
  snprintf(want, sizeof(want), "$%s", W->key_env);
  assert_non_null(strstr(vbx__call_message(&call, rc), want));
  assert_string_equal(call.field, "api_key_env");
  if (copy) setenv(W->key_env, copy, 1);
  free(copy);
}

static void t_not_found(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {error_resp(404, W->err_notfound, NULL)};
  start(&t, s, 1, NULL);
  int rc = run(&t);
  assert_int_equal(rc, VBX_E_NOTFOUND);
  char want[128];
  snprintf(want, sizeof(want), "unknown model '%s'", W->model);
  assert_non_null(strstr(msg(&t, rc), want));
  assert_int_equal(fs_count(t.srv), 1);
  finish(&t);
}

static void t_context(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {error_resp(400, W->err_context, NULL)};
  start(&t, s, 1, NULL);
  int rc = run(&t);
  assert_int_equal(rc, VBX_E_PROVIDER);
  assert_non_null(strstr(msg(&t, rc), "context too long"));
  assert_int_equal(fs_count(t.srv), 1);
  finish(&t);
}

static void t_retry_then_ok(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {error_resp(429, W->err_busy, "Retry-After: 1\r\n"),
                     error_resp(500, "{\"error\":\"boom\"}", NULL),
                     error_resp(503, "{\"error\":\"busy\"}", "Retry-After: 0\r\n"),
                     stream_resp(W->ok_stream)};
  start(&t, s, 4, NULL);
  uint64_t t0 = now_ms();
  int rc = run(&t);
  uint64_t dt = now_ms() - t0;
  if (rc) fail_msg("complete failed: %s", msg(&t, rc));
  assert_int_equal(fs_count(t.srv), 4);
  assert_true(dt >= 950); /* Retry-After: 1 was honoured */
  char *text = lh_text(&L, &t.resp);
  assert_string_equal(text, W->ok_text);
  free(text);
  finish(&t);
}

static void t_retry_exhausted(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {error_resp(429, W->err_busy, "Retry-After: 0\r\n"),
                     error_resp(429, W->err_busy, "Retry-After: 0\r\n"),
                     stream_resp(W->ok_stream)};
  start(&t, s, 3, "\"max_retries\":1");
  int rc = run(&t);
  assert_int_equal(rc, VBX_E_PROVIDER);
  assert_non_null(strstr(msg(&t, rc), "HTTP 429"));
  assert_int_equal(fs_count(t.srv), 2);
  finish(&t);
}

/* 409 (conflict: the request may succeed when repeated) is retried like
 * 429, here with the backoff rather than a Retry-After. */
static void t_retry_409(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {error_resp(409, "{\"error\":{\"message\":\"conflict\"}}", NULL),
                     stream_resp(W->ok_stream)};
  start(&t, s, 2, NULL);
  int rc = run(&t);
  if (rc) fail_msg("complete failed after a 409: %s", msg(&t, rc));
  assert_int_equal(fs_count(t.srv), 2);
  assert_string_equal(t.streamed, W->ok_text);
  finish(&t);
}

/* Statuses that say the request itself is wrong are never retried, even
 * with a Retry-After and retries left: one request, then the error. */
static void t_no_retry(void **state) {
  (void)state;
  static const int statuses[] = {400, 401, 403, 404, 413, 422};
  for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
    tcase t;
    fs_response s[] = {error_resp(statuses[i], "{\"error\":{\"message\":\"no\"}}", "Retry-After: 0\r\n"),
                       stream_resp(W->ok_stream)};
    start(&t, s, 2, "\"max_retries\":3");
    int rc = run(&t);
    if (rc == 0) fail_msg("HTTP %d: complete succeeded", statuses[i]);
    if (fs_count(t.srv) != 1) fail_msg("HTTP %d was retried (%zu requests)", statuses[i], fs_count(t.srv));
    finish(&t);
  }
}

/* Transport failures before any output are retried: a dropped connection,
 * then a stream that stalls before its first byte, then success. */
static void t_transport_retry(void **state) {
  (void)state;
  tcase t;
  fs_response stall = {200, W->stream_ct, NULL, NULL, NULL, 0, 8000};
  fs_response s[] = {{0, NULL, NULL, NULL, NULL, 0, 0}, stall, stream_resp(W->ok_stream)};
  start(&t, s, 3, "\"idle_timeout_ms\":300");
  int rc = run(&t);
  if (rc) fail_msg("complete failed: %s", msg(&t, rc));
  assert_int_equal(fs_count(t.srv), 3);
  assert_string_equal(t.streamed, W->ok_text); /* nothing duplicated */
  finish(&t);
}

static void t_slow_ok(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {stream_resp(W->slow_stream)};
  start(&t, s, 1, "\"idle_timeout_ms\":2000");
  int rc = run(&t);
  if (rc) fail_msg("slow stream failed: %s", msg(&t, rc));
  assert_string_equal(t.streamed, W->ok_text);
  finish(&t);
}

static void t_stalled(void **state) {
  (void)state;
  tcase t;
  fs_response r = stream_resp(W->text_then_stall);
  r.stall_ms = 8000;
  fs_response s[] = {r, stream_resp(W->ok_stream)};
  start(&t, s, 2, "\"idle_timeout_ms\":300");
  uint64_t t0 = now_ms();
  int rc = run(&t);
  uint64_t dt = now_ms() - t0;
  assert_true(rc < 0);
  printf("stalled stream: %s (%llu ms)\n", msg(&t, rc), (unsigned long long)dt);
  assert_true(dt < 4000);
  assert_true(strlen(t.streamed) > 0);
  assert_int_equal(fs_count(t.srv), 1); /* output was delivered: no retry */
  finish(&t);
}

static void t_malformed(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {stream_resp(W->malformed)};
  start(&t, s, 1, NULL);
  int rc = run(&t);
  assert_int_equal(rc, VBX_E_PROTOCOL);
  assert_non_null(strstr(msg(&t, rc), "malformed JSON"));
  assert_non_null(strstr(msg(&t, rc), W->malformed_hint));
  finish(&t);
}

static void t_truncated(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {stream_resp(W->truncated)};
  start(&t, s, 1, NULL);
  int rc = run(&t);
  assert_int_equal(rc, VBX_E_PROVIDER);
  assert_non_null(strstr(msg(&t, rc), "stream ended before completion"));
  finish(&t);
}

static void t_stream_error(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {stream_resp(W->stream_error)};
  start(&t, s, 1, NULL);
  int rc = run(&t);
  assert_int_equal(rc, VBX_E_PROVIDER);
  assert_non_null(strstr(msg(&t, rc), "overloaded"));
  finish(&t);
}

static void t_oversized_stream(void **state) {
  (void)state;
  tcase t;
  fs_part parts[] = {{W->oversize_prefix, 0}, {NULL, 0}};
  fs_response r = stream_resp(parts);
  r.filler_bytes = 4u << 20;
  fs_response s[] = {r};
  start(&t, s, 1, "\"max_response_bytes\":65536");
  int rc = run(&t);
  assert_int_equal(rc, VBX_E_TOOBIG);
  finish(&t);
}

static void t_oversized_body(void **state) {
  (void)state;
  tcase t;
  fs_response r = error_resp(200, "{\"x\":\"", NULL);
  r.filler_bytes = 4u << 20;
  fs_response s[] = {r};
  start(&t, s, 1, "\"max_response_bytes\":65536,\"stream\":false");
  int rc = run(&t);
  assert_int_equal(rc, VBX_E_TOOBIG);
  finish(&t);
}

static int cancel_on_text(void *user, const char *txt, size_t n) {
  (void)txt;
  (void)n;
  vbx__cancel_set(user);
  return 0;
}

static void t_cancel(void **state) {
  (void)state;
  tcase t;
  fs_response r = stream_resp(W->text_then_stall);
  r.stall_ms = 8000;
  fs_response s[] = {r};
  start(&t, s, 1, "\"idle_timeout_ms\":30000");
  vbx_json *msgs = lh_json(&L, "[{\"role\":\"user\",\"content\":\"hi\"}]");
  vbx_llm_request req;
  memset(&req, 0, sizeof(req));
  req.struct_size = sizeof(req);
  req.messages = msgs;
  req.on_text = cancel_on_text;
  req.user = &t.cancel;
  t.resp.struct_size = sizeof(t.resp);
  uint64_t t0 = now_ms();
  int rc = L.vt->complete(t.prov, &req, &t.resp, &t.call);
  uint64_t dt = now_ms() - t0;
  L.h->json_decref(msgs);
  assert_int_equal(rc, VBX_E_CANCELLED);
  assert_true(dt < 4000);
  assert_null(t.resp.content);
  finish(&t);
}

static void t_options(void **state) {
  (void)state;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  vbx_json *o = lh_json(&L, "{\"max_tokens\":10,\"bogus_key\":1}");
  int rc = L.vt->validate_options(L.state, o, &call);
  L.h->json_decref(o);
  assert_int_equal(rc, VBX_E_INVAL);
  assert_string_equal(call.field, "bogus_key");
  vbx__call_init(&call, NULL, NULL, 0);
  o = lh_json(&L, "{\"temperature\":\"hot\"}");
  rc = L.vt->validate_options(L.state, o, &call);
  L.h->json_decref(o);
  assert_int_equal(rc, VBX_E_INVAL);
  assert_string_equal(call.field, "temperature");
  vbx__call_init(&call, NULL, NULL, 0);
  o = lh_json(&L, "{\"max_tokens\":10,\"stream\":false,\"max_retries\":2,\"idle_timeout_ms\":500}");
  assert_int_equal(L.vt->validate_options(L.state, o, &call), 0);
  L.h->json_decref(o);
}

int suite_run(const wire *w, const struct CMUnitTest *extra, size_t n_extra) {
  W = w;
  if (lh_load(&L, w->so_path, w->provider) != 0) return 1;
  if (w->key_env) setenv(w->key_env, "sk-test-key", 1);
  const struct CMUnitTest generic[] = {
      cmocka_unit_test(t_stream_ok),        cmocka_unit_test(t_nonstream_ok),
      cmocka_unit_test(t_auth),             cmocka_unit_test(t_missing_key),
      cmocka_unit_test(t_not_found),        cmocka_unit_test(t_context),
      cmocka_unit_test(t_retry_then_ok),    cmocka_unit_test(t_retry_exhausted),
      cmocka_unit_test(t_retry_409),        cmocka_unit_test(t_no_retry),
      cmocka_unit_test(t_transport_retry),
      cmocka_unit_test(t_slow_ok),          cmocka_unit_test(t_stalled),
      cmocka_unit_test(t_malformed),        cmocka_unit_test(t_truncated),
      cmocka_unit_test(t_stream_error),     cmocka_unit_test(t_oversized_stream),
      cmocka_unit_test(t_oversized_body),   cmocka_unit_test(t_cancel),
      cmocka_unit_test(t_options),
  };
  int rc = _cmocka_run_group_tests(w->provider, generic, sizeof(generic) / sizeof(generic[0]), NULL, NULL);
  if (n_extra)
    rc |= _cmocka_run_group_tests("provider-specific", extra, n_extra, NULL, NULL);
  lh_free(&L);
  return rc;
}
