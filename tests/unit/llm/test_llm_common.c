/*
 * tests/unit/llm/test_llm_common.c - llm-common pieces that need a host
 * table (a jansson-backed fake): retry policy and Retry-After, options
 * validation, pricing lookup and cost, content accumulation, error-body
 * messages, OLLAMA_HOST normalisation and URL joining.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"
#include "blocks.h"
#include "fake_host.h"
#include "ollama.h"
#include "options.h"
#include "pricing.h"
#include "retry.h"
#include "transport.h"

#define H fake_host()

static vbx_json *parse(const char *s) { return H->json_parse(s, strlen(s), NULL); }

static void test_retry_after(void **state) {
  (void)state;
  uint64_t ms = 99;
  assert_int_equal(vbx_retry_after_parse("0", 0, &ms), 0);
  assert_int_equal(ms, 0);
  assert_int_equal(vbx_retry_after_parse(" 3 ", 0, &ms), 0);
  assert_int_equal(ms, 3000);
  assert_int_equal(vbx_retry_after_parse("999999", 0, &ms), 0);
  assert_int_equal(ms, VBX_RETRY_AFTER_CAP_MS);
  /* Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 */
  assert_int_equal(vbx_retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470, &ms), 0);
  assert_int_equal(ms, 10000);
  assert_int_equal(vbx_retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490, &ms), 0);
  assert_int_equal(ms, 0);
  assert_int_equal(vbx_retry_after_parse("soon", 0, &ms), VBX_E_INVAL);
  assert_int_equal(vbx_retry_after_parse("1.5", 0, &ms), VBX_E_INVAL);
  assert_int_equal(vbx_retry_after_parse("", 0, &ms), VBX_E_INVAL);
}

static void test_retry_policy(void **state) {
  (void)state;
  /* exactly 408, 409, 429 and 500..599 are retried (docs/providers.md) */
  for (long st = 100; st <= 699; st++) {
    int want = st == 408 || st == 409 || st == 429 || (st >= 500 && st <= 599);
    if (!!vbx_retry_status(st) != want) fail_msg("vbx_retry_status(%ld) should be %d", st, want);
  }
  assert_true(vbx_retry_transport(VBX_E_HTTP));
  assert_true(vbx_retry_transport(VBX_E_TIMEOUT));
  assert_false(vbx_retry_transport(VBX_E_CANCELLED));
  assert_false(vbx_retry_transport(VBX_E_TOOBIG));
  uint64_t rng = 42;
  for (unsigned a = 1; a <= 8; a++) {
    uint64_t hi = 500;
    for (unsigned i = 1; i < a; i++)
      hi *= 2;
    if (hi > 20000) hi = 20000;
    for (int k = 0; k < 50; k++) {
      uint64_t ms = vbx_retry_backoff_ms(a, 500, 20000, &rng);
      assert_true(ms >= 250 && ms <= hi);
    }
  }
}

static void test_options(void **state) {
  (void)state;
  fake_call c;
  vbx_llm_opts o;
  memset(&c, 0, sizeof(c));
  assert_int_equal(vbx_llm_opts_parse(H, NULL, 0, &o, (vbx_call *)&c), 0);
  assert_int_equal(o.stream, 1);
  assert_int_equal(o.max_retries, 3);
  vbx_json *j = parse(
      "{\"max_tokens\":100,\"temperature\":0.5,\"stream\":false,\"max_retries\":0,"
      "\"connect_timeout_ms\":100,\"idle_timeout_ms\":200,\"pricing_file\":\"p.json\"}");
  assert_int_equal(vbx_llm_opts_parse(H, j, 0, &o, (vbx_call *)&c), 0);
  assert_int_equal(o.max_tokens, 100);
  assert_int_equal(o.stream, 0);
  assert_int_equal(o.max_retries, 0);
  assert_int_equal(o.idle_timeout_ms, 200);
  assert_string_equal(o.pricing_file, "p.json");
  vbx_llm_opts_free(&o);
  H->json_decref(j);

  static const char *bad[][2] = {
      {"{\"max_tokenz\":1}", "max_tokenz"},        {"{\"max_tokens\":0}", "max_tokens"},
      {"{\"temperature\":3}", "temperature"},      {"{\"stream\":\"yes\"}", "stream"},
      {"{\"max_retries\":11}", "max_retries"},     {"{\"idle_timeout_ms\":-1}", "idle_timeout_ms"},
      {"{\"pricing_file\":\"\"}", "pricing_file"}, {"{\"num_ctx\":10}", "num_ctx"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    memset(&c, 0, sizeof(c));
    j = parse(bad[i][0]);
    assert_int_equal(vbx_llm_opts_parse(H, j, 0, &o, (vbx_call *)&c), VBX_E_INVAL);
    assert_string_equal(c.field, bad[i][1]);
    assert_non_null(strstr(c.message, bad[i][1]));
    H->json_decref(j);
  }
  j = parse("{\"num_ctx\":8192,\"keep_alive\":\"5m\"}");
  assert_int_equal(vbx_llm_opts_parse(H, j, VBX_LLM_OPT_OLLAMA, &o, (vbx_call *)&c), 0);
  assert_int_equal(o.num_ctx, 8192);
  vbx_llm_opts_free(&o);
  H->json_decref(j);
}

/* The providers' exact wording for each kind of refused value. */
static void test_options_wording(void **state) {
  (void)state;
  static const char *cases[][3] = {
      {"{\"max_tokens\":\"9\"}", "max_tokens", "option 'max_tokens' must be an integer"},
      {"{\"max_tokens\":0}", "max_tokens",
       "option 'max_tokens' must be between 1 and 1000000 (got 0)"},
      {"{\"max_response_bytes\":1023}", "max_response_bytes",
       "option 'max_response_bytes' must be between 1024 and 1073741824 (got 1023)"},
      {"{\"stream\":1}", "stream", "option 'stream' must be true or false"},
      {"{\"temperature\":\"hot\"}", "temperature",
       "option 'temperature' must be a number from 0 to 2"},
      {"{\"pricing_file\":7}", "pricing_file", "option 'pricing_file' must be a non-empty string"},
      {"{\"keep_alive\":\"\"}", "keep_alive", "option 'keep_alive' must be a non-empty string"},
      {"{\"num_ctx\":0}", "num_ctx", "option 'num_ctx' must be between 1 and 10000000 (got 0)"},
      {"{\"nope\":1}", "nope", "unknown option 'nope'"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    fake_call c;
    vbx_llm_opts o;
    memset(&c, 0, sizeof(c));
    vbx_json *j = parse(cases[i][0]);
    assert_int_equal(vbx_llm_opts_parse(H, j, VBX_LLM_OPT_OLLAMA, &o, (vbx_call *)&c), VBX_E_INVAL);
    assert_string_equal(c.field, cases[i][1]);
    assert_string_equal(c.message, cases[i][2]);
    H->json_decref(j);
  }
}

static void test_pricing(void **state) {
  (void)state;
  fake_call c;
  memset(&c, 0, sizeof(c));
  vbx_pricing p;
  memset(&p, 0, sizeof(p));
  const char *doc =
      "{\"models\":{\"m\":{\"input\":3,\"output\":15,\"cache_read\":0.3,"
      "\"cache_write\":3.75},\"m-mini\":{\"input\":1,\"output\":2}}}";
  assert_int_equal(vbx_pricing_parse(H, doc, strlen(doc), "t.json", &p, (vbx_call *)&c), 0);
  assert_int_equal(p.n, 2);
  assert_non_null(vbx_pricing_find(&p, "m"));
  assert_true(vbx_pricing_find(&p, "m-20250101")->input == 3);
  assert_true(vbx_pricing_find(&p, "m-mini-2")->input == 1);
  assert_null(vbx_pricing_find(&p, "mx"));
  vbx_llm_usage u = {sizeof(u), 1000000, 1000000, 1000000, 1000000, 0};
  double cost = vbx_pricing_cost(H, &p, "m", &u);
  assert_true(cost > 22.04 && cost < 22.06);
  int logs = fake_logs;
  assert_true(vbx_pricing_cost(H, &p, "unknown", &u) == 0.0);
  assert_true(vbx_pricing_cost(H, &p, "unknown", &u) == 0.0);
  assert_int_equal(fake_logs, logs + 1); /* warned once */
  vbx_pricing_free(&p);

  const char *bad = "{\"models\":{\"m\":{\"input\":-1}}}";
  assert_int_equal(vbx_pricing_parse(H, bad, strlen(bad), "bad.json", &p, (vbx_call *)&c),
                   VBX_E_INVAL);
  assert_non_null(strstr(c.message, "bad.json"));
  assert_non_null(strstr(c.message, "models.m.input"));

  /* the shipped file parses and prices a current model */
  assert_int_equal(vbx_pricing_load(H, VBX_TEST_PRICING, NULL, &p, (vbx_call *)&c), 0);
  assert_non_null(vbx_pricing_find(&p, "claude-sonnet-4-5-20250929"));
  assert_non_null(vbx_pricing_find(&p, "gpt-4o-2024-08-06"));
  vbx_pricing_free(&p);
  assert_int_equal(vbx_pricing_load(H, "/nonexistent/p.json", NULL, &p, (vbx_call *)&c), VBX_E_IO);
  assert_string_equal(c.field, "pricing_file");
  setenv("VOIDBOX_PRICING_FILE", "/nonexistent/env.json", 1);
  assert_int_equal(vbx_pricing_load(H, NULL, NULL, &p, (vbx_call *)&c), VBX_E_IO);
  assert_non_null(strstr(c.message, "/nonexistent/env.json"));
  unsetenv("VOIDBOX_PRICING_FILE");
}

static void test_blocks(void **state) {
  (void)state;
  fake_call c;
  memset(&c, 0, sizeof(c));
  vbx_blocks bs;
  vbx_blocks_init(&bs, H, 1024);
  assert_int_equal(vbx_blocks_text(&bs, 0, "Hel", 3), 0);
  assert_int_equal(vbx_blocks_tool(&bs, 1, "toolu_1", "shell"), 0);
  assert_int_equal(vbx_blocks_text(&bs, 0, "lo", 2), 0);
  assert_int_equal(vbx_blocks_tool_json(&bs, 1, "{\"cmd\":", 7), 0);
  assert_int_equal(vbx_blocks_tool_json(&bs, 1, "\"ls\"}", 5), 0);
  assert_int_equal(vbx_blocks_tool(&bs, 2, "toolu_2", "noargs"), 0);
  vbx_json *out = NULL;
  assert_int_equal(vbx_blocks_build(&bs, &out, (vbx_call *)&c), 0);
  char *s = H->json_dump(out);
  assert_string_equal(
      s,
      "[{\"type\":\"text\",\"text\":\"Hello\"},"
      "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"shell\",\"input\":{\"cmd\":\"ls\"}},"
      "{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"noargs\",\"input\":{}}]");
  free(s);
  H->json_decref(out);
  vbx_blocks_reset(&bs);
  assert_int_equal(vbx_blocks_tool(&bs, 0, "t", "bad"), 0);
  assert_int_equal(vbx_blocks_tool_json(&bs, 0, "{\"cmd\":", 7), 0);
  assert_int_equal(vbx_blocks_build(&bs, &out, (vbx_call *)&c), VBX_E_PROVIDER);
  assert_non_null(strstr(c.message, "'bad'"));
  vbx_blocks_reset(&bs);
  char big[2000];
  memset(big, 'a', sizeof(big));
  assert_int_equal(vbx_blocks_text(&bs, 0, big, sizeof(big)), VBX_E_TOOBIG);
  vbx_blocks_free(&bs);
}

static void test_error_message(void **state) {
  (void)state;
  char m[256];
  const char *a =
      "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\",\"message\":\"model: x\"}}";
  vbx_llm_error_message(H, a, strlen(a), m, sizeof(m));
  assert_string_equal(m, "model: x");
  const char *o = "{\"error\":\"model 'y' not found\"}";
  vbx_llm_error_message(H, o, strlen(o), m, sizeof(m));
  assert_string_equal(m, "model 'y' not found");
  vbx_llm_error_message(H, "plain\ntext", 10, m, sizeof(m));
  assert_string_equal(m, "plain text");
}

/* The API key is cut out of messages wherever it occurs, within the
 * buffer's bound; no key, no change. */
static void test_redact(void **state) {
  (void)state;
  char m[64];
  snprintf(m, sizeof(m), "bad key sk-123 (sk-123)");
  vbx_llm_redact(m, sizeof(m), "sk-123");
  assert_string_equal(m, "bad key [redacted] ([redacted])");
  snprintf(m, sizeof(m), "sk-1");
  vbx_llm_redact(m, sizeof(m), "sk-123"); /* a prefix of the key is not the key */
  assert_string_equal(m, "sk-1");
  vbx_llm_redact(m, sizeof(m), NULL);
  vbx_llm_redact(m, sizeof(m), "");
  assert_string_equal(m, "sk-1");
  char small[12];
  snprintf(small, sizeof(small), "k=ABCDEFGH");
  vbx_llm_redact(small, sizeof(small), "ABCDEFGH");
  assert_string_equal(small, "k=[redacted");
  assert_null(strstr(small, "ABC"));
}

static void test_ollama_host(void **state) {
  (void)state;
  static const char *cases[][2] = {
      {"127.0.0.1", "http://127.0.0.1:11434"},
      {"0.0.0.0:8080", "http://0.0.0.0:8080"},
      {"http://gpu-box:11434/", "http://gpu-box:11434"},
      {"https://ollama.example.com", "https://ollama.example.com"},
      {"http://host", "http://host:11434"},
      {"[::1]", "http://[::1]:11434"},
      {"[::1]:9", "http://[::1]:9"},
      {"host/prefix", "http://host:11434/prefix"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *u = vbx_ollama_normalise_host(cases[i][0]);
    assert_non_null(u);
    assert_string_equal(u, cases[i][1]);
    free(u);
  }
  assert_null(vbx_ollama_normalise_host(""));
  assert_null(vbx_ollama_normalise_host(NULL));
}

static void test_base_url_and_key(void **state) {
  (void)state;
  static const vbx_llm_defaults d = {"t", "https://api.example.com/", "VBX_TEST_KEY_ENV", "m", 0,
                                     0};
  vbx_llm_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.struct_size = sizeof(cfg);
  fake_call c;
  memset(&c, 0, sizeof(c));
  vbx_llm_base b;
  unsetenv("VBX_TEST_KEY_ENV");
  assert_int_equal(vbx_llm_base_init(&b, H, &d, &cfg, NULL, (vbx_call *)&c), VBX_E_AUTH);
  assert_non_null(strstr(c.message, "$VBX_TEST_KEY_ENV"));
  setenv("VBX_TEST_KEY_ENV", "", 1);
  assert_int_equal(vbx_llm_base_init(&b, H, &d, &cfg, NULL, (vbx_call *)&c), VBX_E_AUTH);
  setenv("VBX_TEST_KEY_ENV", "k", 1);
  assert_int_equal(vbx_llm_base_init(&b, H, &d, &cfg, NULL, (vbx_call *)&c), 0);
  char *u = vbx_llm_url(&b, "/v1/x");
  assert_string_equal(u, "https://api.example.com/v1/x");
  free(u);
  vbx_llm_base_free(&b);
  cfg.base_url = "http://h/api/v1";
  assert_int_equal(vbx_llm_base_init(&b, H, &d, &cfg, NULL, (vbx_call *)&c), 0);
  u = vbx_llm_url(&b, "/v1/chat/completions");
  assert_string_equal(u, "http://h/api/v1/chat/completions");
  free(u);
  vbx_llm_base_free(&b);
  cfg.base_url = "ftp://x";
  assert_int_equal(vbx_llm_base_init(&b, H, &d, &cfg, NULL, (vbx_call *)&c), VBX_E_INVAL);
  assert_string_equal(c.field, "base_url");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_retry_after),   cmocka_unit_test(test_retry_policy),
      cmocka_unit_test(test_options),       cmocka_unit_test(test_options_wording),
      cmocka_unit_test(test_pricing),       cmocka_unit_test(test_blocks),
      cmocka_unit_test(test_error_message), cmocka_unit_test(test_redact),
      cmocka_unit_test(test_ollama_host),   cmocka_unit_test(test_base_url_and_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
