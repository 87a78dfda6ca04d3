/*
 * tests/integration/llm/suite_streams.c - conformance cases on broken and
 * interrupted transfers: transport retries, slow, stalled, malformed,
 * truncated, in-stream errors, oversized answers, cancellation, the key
 * never in an error, options.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "suite.h"

void t_transport_retry(void **state) {
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

void t_slow_ok(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {stream_resp(W->slow_stream)};
  start(&t, s, 1, "\"idle_timeout_ms\":2000");
  int rc = run(&t);
  if (rc) fail_msg("slow stream failed: %s", msg(&t, rc));
  assert_string_equal(t.streamed, W->ok_text);
  finish(&t);
}

void t_stalled(void **state) {
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

void t_malformed(void **state) {
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

void t_truncated(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {stream_resp(W->truncated)};
  start(&t, s, 1, NULL);
  int rc = run(&t);
  assert_int_equal(rc, VBX_E_PROVIDER);
  assert_non_null(strstr(msg(&t, rc), "stream ended before completion"));
  finish(&t);
}

void t_stream_error(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {stream_resp(W->stream_error)};
  start(&t, s, 1, NULL);
  int rc = run(&t);
  assert_int_equal(rc, VBX_E_PROVIDER);
  assert_non_null(strstr(msg(&t, rc), "overloaded"));
  finish(&t);
}

void t_oversized_stream(void **state) {
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

void t_oversized_body(void **state) {
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

typedef struct canceller {
  vbx__cancel *cancel;
  unsigned after_ms;
} canceller;

static void *cancel_later(void *arg) {
  canceller *c = arg;
  usleep(c->after_ms * 1000u);
  vbx__cancel_set(c->cancel);
  return NULL;
}

/* Cancellation ends a wait for a retry at once (the server asked for 30 s). */
void t_cancel_retry_wait(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {error_resp(503, W->err_busy, "Retry-After: 30\r\n"),
                     stream_resp(W->ok_stream)};
  start(&t, s, 2, NULL);
  canceller c = {&t.cancel, 300};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, cancel_later, &c), 0);
  uint64_t t0 = now_ms();
  int rc = run(&t);
  uint64_t dt = now_ms() - t0;
  pthread_join(th, NULL);
  assert_int_equal(rc, VBX_E_CANCELLED);
  assert_true(dt < 3000);
  assert_int_equal(fs_count(t.srv), 1);
  finish(&t);
}

int restore_key(void **state) {
  (void)state;
  if (W->key_env) setenv(W->key_env, "sk-test-key", 1);
  return 0;
}

/* The API key never appears in an error message, even when the server
 * echoes it back (as some OpenAI-compatible servers do), in an error
 * status's body or in a stream's error event: the provider's message is
 * kept, the key is not. */
void t_key_not_in_errors(void **state) {
  (void)state;
  if (!W->key_env) skip();
  setenv(W->key_env, VBX_TEST_KEY_CANARY, 1); /* restore_key puts it back */
  /* the echo in an error status's body, in a stream's error event, in a
   * buffered 200 body (the last need not keep the provider's message) */
  static const struct {
    int status, stream, keeps_message;
  } cases[] = {{401, 0, 1}, {400, 0, 1}, {429, 0, 1}, {500, 0, 1}, {200, 1, 1}, {200, 0, 0}};
  char body[256];
  snprintf(body, sizeof(body), "{\"error\":{\"message\":\"Incorrect API key provided: %s\"}}",
           VBX_TEST_KEY_CANARY);
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    tcase t;
    fs_response s[] = {cases[i].stream ? stream_resp(W->key_echo_stream)
                                       : error_resp(cases[i].status, body, NULL)};
    int buffered_200 = cases[i].status == 200 && !cases[i].stream;
    start(&t, s, 1, buffered_200 ? "\"max_retries\":0,\"stream\":false" : "\"max_retries\":0");
    int rc = run(&t);
    assert_true(rc < 0);
    const char *m = msg(&t, rc);
    if (strstr(m, VBX_TEST_KEY_CANARY))
      fail_msg("case %zu (HTTP %d): the key is in the error: %s", i, cases[i].status, m);
    if (cases[i].keeps_message && !strstr(m, "Incorrect API key provided"))
      fail_msg("case %zu (HTTP %d): the provider's message is lost: %s", i, cases[i].status, m);
    finish(&t);
  }
}

static int cancel_on_text(void *user, const char *txt, size_t n) {
  (void)txt;
  (void)n;
  vbx__cancel_set(user);
  return 0;
}

void t_cancel(void **state) {
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

void t_options(void **state) {
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
