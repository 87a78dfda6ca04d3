/*
 * tests/integration/llm/suite_status.c - conformance cases on HTTP error
 * statuses: their errors, what is retried (429, 408, 409, 5xx, with
 * Retry-After) and what is not (400, 401, 403, 404, 413, 422).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "suite.h"

void t_auth(void **state) {
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

void t_missing_key(void **state) {
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

void t_not_found(void **state) {
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

void t_context(void **state) {
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

void t_retry_then_ok(void **state) {
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

void t_retry_exhausted(void **state) {
  (void)state;
  tcase t;
  fs_response s[] = {error_resp(429, W->err_busy, "Retry-After: 0\r\n"),
                     error_resp(429, W->err_busy, "Retry-After: 0\r\n"), stream_resp(W->ok_stream)};
  start(&t, s, 3, "\"max_retries\":1");
  int rc = run(&t);
  assert_int_equal(rc, VBX_E_PROVIDER);
  assert_non_null(strstr(msg(&t, rc), "HTTP 429"));
  assert_int_equal(fs_count(t.srv), 2);
  finish(&t);
}

/* 409 (conflict: the request may succeed when repeated) is retried like
 * 429, here with the backoff rather than a Retry-After. */
void t_retry_409(void **state) {
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

/* The other retried statuses: 408, the 5xx (Anthropic's 529 included),
 * each once then success. */
void t_retry_statuses(void **state) {
  (void)state;
  static const int statuses[] = {408, 500, 502, 503, 504, 529};
  for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
    tcase t;
    fs_response s[] = {error_resp(statuses[i], "{\"error\":{\"message\":\"again\"}}", NULL),
                       stream_resp(W->ok_stream)};
    start(&t, s, 2, NULL);
    int rc = run(&t);
    if (rc) fail_msg("HTTP %d then 200: %s", statuses[i], msg(&t, rc));
    if (fs_count(t.srv) != 2)
      fail_msg("HTTP %d: %zu requests, want 2", statuses[i], fs_count(t.srv));
    finish(&t);
  }
}

/* Statuses that say the request itself is wrong are never retried, even
 * with a Retry-After and retries left: one request, then the error. */
void t_no_retry(void **state) {
  (void)state;
  static const int statuses[] = {400, 401, 403, 404, 413, 422};
  for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
    tcase t;
    fs_response s[] = {
        error_resp(statuses[i], "{\"error\":{\"message\":\"no\"}}", "Retry-After: 0\r\n"),
        stream_resp(W->ok_stream)};
    start(&t, s, 2, "\"max_retries\":3");
    int rc = run(&t);
    if (rc == 0) fail_msg("HTTP %d: complete succeeded", statuses[i]);
    if (fs_count(t.srv) != 1)
      fail_msg("HTTP %d was retried (%zu requests)", statuses[i], fs_count(t.srv));
    finish(&t);
  }
}
