/*
 * tests/integration/llm/suite.c - the provider conformance table: the cases
 * every HTTP LLM provider must pass, run by each provider's test against
 * its own wire format (fixtures in test_llm_<provider>.c, see harness.h).
 * The table is documented in docs/providers.md ("Conformance"); a case
 * added here is added there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "suite.h"

const wire *W;
lh L;

uint64_t now_ms(void) { return vbx__now_ns() / 1000000ull; }

void start(tcase *t, const fs_response *script, size_t n, const char *opts) {
  memset(t, 0, sizeof(*t));
  t->srv = fs_start(script, n);
  assert_non_null(t->srv);
  vbx__call_init(&t->call, &t->cancel, NULL, 0);
  char o[512];
  snprintf(o, sizeof(o), "{" FAST "%s%s}", opts ? "," : "", opts ? opts : "");
  int rc = lh_create(&L, fs_url(t->srv), W->model, o, &t->prov, &t->call);
  if (rc) fail_msg("create failed: %s", vbx__call_message(&t->call, rc));
}

int run(tcase *t) {
  return lh_complete(&L, t->prov, NULL, NULL, &t->resp, t->streamed, sizeof(t->streamed), &t->call);
}

void finish(tcase *t) {
  lh_response_free(&L, &t->resp);
  if (t->prov) L.vt->destroy(t->prov);
  fs_stop(t->srv);
}

const char *msg(tcase *t, int rc) { return vbx__call_message(&t->call, rc); }

fs_response stream_resp(const fs_part *parts) {
  fs_response r = {200, W->stream_ct, NULL, NULL, parts, 0, 0};
  return r;
}

fs_response error_resp(int status, const char *body, const char *extra) {
  fs_response r = {status, "application/json", extra, body, NULL, 0, 0};
  return r;
}

int suite_run(const wire *w, const struct CMUnitTest *extra, size_t n_extra) {
  W = w;
  if (lh_load(&L, w->so_path, w->provider) != 0) return 1;
  if (w->key_env) setenv(w->key_env, "sk-test-key", 1);
  /* The conformance table (docs/providers.md, "Conformance"). */
  const struct CMUnitTest generic[] = {
      cmocka_unit_test(t_stream_ok),
      cmocka_unit_test(t_nonstream_ok),
      cmocka_unit_test(t_tool_round_trip),
      cmocka_unit_test(t_stream_order),
      cmocka_unit_test(t_usage),
      cmocka_unit_test(t_stop_reasons),
      cmocka_unit_test(t_auth),
      cmocka_unit_test(t_missing_key),
      cmocka_unit_test(t_not_found),
      cmocka_unit_test(t_context),
      cmocka_unit_test(t_retry_then_ok),
      cmocka_unit_test(t_retry_409),
      cmocka_unit_test(t_retry_statuses),
      cmocka_unit_test(t_retry_exhausted),
      cmocka_unit_test(t_no_retry),
      cmocka_unit_test(t_transport_retry),
      cmocka_unit_test(t_slow_ok),
      cmocka_unit_test(t_stalled),
      cmocka_unit_test(t_malformed),
      cmocka_unit_test(t_truncated),
      cmocka_unit_test(t_stream_error),
      cmocka_unit_test(t_oversized_stream),
      cmocka_unit_test(t_oversized_body),
      cmocka_unit_test(t_cancel),
      cmocka_unit_test(t_cancel_retry_wait),
      cmocka_unit_test_teardown(t_key_not_in_errors, restore_key),
      cmocka_unit_test(t_options),
  };
  int rc = _cmocka_run_group_tests(w->provider, generic, sizeof(generic) / sizeof(generic[0]), NULL,
                                   NULL);
  if (n_extra) rc |= _cmocka_run_group_tests("provider-specific", extra, n_extra, NULL, NULL);
  lh_free(&L);
  return rc;
}
