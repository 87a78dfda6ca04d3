/*
 * tests/integration/llm/suite.h - what the conformance cases share: one
 * case's fake server, provider instance, call and response (a tcase), and
 * the cases themselves (suite_answers.c, suite_status.c, suite_streams.c),
 * tabled in suite.c. Single-threaded test code; W and L (harness.h) are
 * the running suite's wire and plugin.
 */
#ifndef VBX_TEST_LLM_SUITE_H
#define VBX_TEST_LLM_SUITE_H

#include <stdint.h>

#include "harness.h"

/* Fast retries and connects for every case; a case adds its own options. */
#define FAST "\"retry_base_ms\":5,\"connect_timeout_ms\":2000"

typedef struct tcase {
  fake_server *srv;
  void *prov;
  vbx__cancel cancel;
  vbx_call call;
  vbx_llm_response resp;
  char streamed[8192];
} tcase;

/* Monotonic milliseconds. */
uint64_t now_ms(void);
/* Start a server with `script` (n entries) and create the provider with
 * FAST plus `opts` (JSON members without braces, or NULL); fails the case
 * when create fails. */
void start(tcase *t, const fs_response *script, size_t n, const char *opts);
/* One complete() of "Say hello", streamed text into t->streamed. */
int run(tcase *t);
/* Free the response and provider, stop the server. */
void finish(tcase *t);
/* The call's error message for rc. */
const char *msg(tcase *t, int rc);
/* A 200 stream of `parts` with the wire's stream Content-Type. */
fs_response stream_resp(const fs_part *parts);
/* A JSON answer with a Content-Length: status, body, extra headers. */
fs_response error_resp(int status, const char *body, const char *extra);

/* The cases (void **state, cmocka). */
void t_stream_ok(void **state);
void t_nonstream_ok(void **state);
void t_tool_round_trip(void **state);
void t_stream_order(void **state);
void t_usage(void **state);
void t_stop_reasons(void **state);
void t_auth(void **state);
void t_missing_key(void **state);
void t_not_found(void **state);
void t_context(void **state);
void t_retry_then_ok(void **state);
void t_retry_409(void **state);
void t_retry_statuses(void **state);
void t_retry_exhausted(void **state);
void t_no_retry(void **state);
void t_transport_retry(void **state);
void t_slow_ok(void **state);
void t_stalled(void **state);
void t_malformed(void **state);
void t_truncated(void **state);
void t_stream_error(void **state);
void t_oversized_stream(void **state);
void t_oversized_body(void **state);
void t_cancel(void **state);
void t_cancel_retry_wait(void **state);
void t_key_not_in_errors(void **state);
int restore_key(void **state); /* its teardown: the test key back */
void t_options(void **state);

#endif
