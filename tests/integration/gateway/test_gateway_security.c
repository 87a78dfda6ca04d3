/*
 * tests/integration/gateway/test_gateway_security.c - what the gateway
 * refuses and how: missing or wrong token (401, nothing reaches the
 * provider), oversized body (413), malformed JSON and unsupported shapes
 * (400 with an Anthropic error body), unknown endpoints, the Unix socket
 * listener (mode 0600, removed on stop), upstream failures mapped without
 * leaking the host key, and bad configurations refused at start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "fake_server.h"
#include "upstream.h"

static const char *str(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

/* An Anthropic error body of the given type; returns its message (static copy). */
static const char *error_of(const gwc_resp *r, const char *type) {
  static char msg[1024];
  json_t *j = json_loads(r->body, 0, NULL);
  assert_non_null(j);
  assert_string_equal(str(j, "type"), "error");
  json_t *e = json_object_get(j, "error");
  assert_string_equal(str(e, "type"), type);
  snprintf(msg, sizeof(msg), "%s", str(e, "message"));
  json_decref(j);
  return msg;
}

typedef struct fixture {
  fake_server *fs;
  gwt t;
} fixture;

static fs_response ok_script[4];

static int setup(void **state) {
  static fixture f;
  static char stream[8192];
  static fs_part parts[2];
  snprintf(stream, sizeof(stream), "%s%s", PW_ANTHROPIC.part1, PW_ANTHROPIC.part2);
  parts[0] = (fs_part){stream, 0};
  parts[1] = (fs_part){NULL, 0};
  for (int i = 0; i < 4; i++)
    ok_script[i] = (fs_response){200, "text/event-stream", NULL, NULL, parts, 0, 0};
  memset(&f, 0, sizeof(f));
  f.fs = fs_start(ok_script, 4);
  if (!f.fs || gwt_start(&f.t, &PW_ANTHROPIC, fs_url(f.fs), NULL, NULL) != 0) return -1;
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  gwt_stop(&f->t);
  fs_stop(f->fs);
  return 0;
}

static long post(fixture *f, const char *auth, const char *body, size_t len, gwc_resp *r) {
  assert_int_equal(
      gwc_request(vbx__gateway_url(f->t.gw), NULL, "/v1/messages", auth, body, len, r, NULL, NULL),
      0);
  return r->status;
}

static void token_refused(void **state) {
  fixture *f = *state;
  char *req = client_request(0);
  const char *bad[] = {NULL,
                       "x-api-key: wrong",
                       "x-api-key: box-token-abcdef012345678X",
                       "Authorization: Bearer box-token-abcdef01234567",
                       "Authorization: Basic " GW_TOKEN,
                       "x-api-key: " GW_TOKEN "0"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    gwc_resp r;
    assert_int_equal(post(f, bad[i], req, strlen(req), &r), 401);
    const char *m = error_of(&r, "authentication_error");
    assert_null(strstr(m, GW_TOKEN));
    gwc_free(&r);
  }
  assert_int_equal(fs_count(f->fs), 0); /* nothing reached the provider */
  gwc_resp r;
  assert_int_equal(post(f, "x-api-key: " GW_TOKEN, req, strlen(req), &r), 200);
  gwc_free(&r);
  assert_int_equal(fs_count(f->fs), 1);
  free(req);
}

static void oversized_413(void **state) {
  fixture *f = *state;
  size_t n = (1u << 20) + 10; /* the fixture's limit is 1 MiB */
  char *big = malloc(n);
  memset(big, ' ', n);
  big[0] = '{';
  big[n - 1] = '}';
  gwc_resp r;
  size_t before = fs_count(f->fs);
  assert_int_equal(post(f, "x-api-key: " GW_TOKEN, big, n, &r), 413);
  error_of(&r, "request_too_large");
  gwc_free(&r);
  assert_int_equal(fs_count(f->fs), before);
  free(big);
}

static void malformed_400(void **state) {
  fixture *f = *state;
  gwc_resp r;
  const char *bad = "{\"max_tokens\": 10, \"messages\": [";
  assert_int_equal(post(f, "x-api-key: " GW_TOKEN, bad, strlen(bad), &r), 400);
  assert_non_null(strstr(error_of(&r, "invalid_request_error"), "not valid JSON"));
  gwc_free(&r);
  const char *no_max = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  assert_int_equal(post(f, "x-api-key: " GW_TOKEN, no_max, strlen(no_max), &r), 400);
  assert_non_null(strstr(error_of(&r, "invalid_request_error"), "max_tokens"));
  gwc_free(&r);
  const char *image =
      "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\","
      "\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"AA==\"}}]}]}";
  assert_int_equal(post(f, "x-api-key: " GW_TOKEN, image, strlen(image), &r), 400);
  const char *m = error_of(&r, "invalid_request_error");
  assert_non_null(strstr(m, "messages[0].content[0]"));
  assert_non_null(strstr(m, "'image'"));
  gwc_free(&r);
  const char *role = "{\"max_tokens\":10,\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}";
  assert_int_equal(post(f, "x-api-key: " GW_TOKEN, role, strlen(role), &r), 400);
  assert_non_null(strstr(error_of(&r, "invalid_request_error"), "messages[0].role"));
  gwc_free(&r);
  /* system messages join the system prompt; with nothing else there is no turn */
  const char *sys = "{\"max_tokens\":10,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}";
  assert_int_equal(post(f, "x-api-key: " GW_TOKEN, sys, strlen(sys), &r), 400);
  assert_non_null(strstr(error_of(&r, "invalid_request_error"), "no user or assistant message"));
  gwc_free(&r);
  const char *sys_img =
      "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
      "{\"role\":\"system\",\"content\":[{\"type\":\"image\"}]}]}";
  assert_int_equal(post(f, "x-api-key: " GW_TOKEN, sys_img, strlen(sys_img), &r), 400);
  assert_non_null(strstr(error_of(&r, "invalid_request_error"), "messages[1].content[0]"));
  gwc_free(&r);
}

static void endpoints(void **state) {
  fixture *f = *state;
  const char *url = vbx__gateway_url(f->t.gw);
  gwc_resp r;
  assert_int_equal(gwc_request(url, NULL, "/v1/models", "Authorization: Bearer " GW_TOKEN, NULL, 0,
                               &r, NULL, NULL),
                   0);
  assert_int_equal(r.status, 200);
  json_t *j = json_loads(r.body, 0, NULL);
  assert_string_equal(str(json_array_get(json_object_get(j, "data"), 0), "id"), "claude-test");
  json_decref(j);
  gwc_free(&r);
  assert_int_equal(gwc_request(url, NULL, "/v1/models", NULL, NULL, 0, &r, NULL, NULL), 0);
  assert_int_equal(r.status, 401);
  gwc_free(&r);
  assert_int_equal(
      gwc_request(url, NULL, "/v1/complete", "x-api-key: " GW_TOKEN, "{}", 2, &r, NULL, NULL), 0);
  assert_int_equal(r.status, 404);
  error_of(&r, "not_found_error");
  gwc_free(&r);
  assert_int_equal(
      gwc_request(url, NULL, "/v1/messages", "x-api-key: " GW_TOKEN, NULL, 0, &r, NULL, NULL), 0);
  assert_int_equal(r.status, 405);
  gwc_free(&r);
  assert_true(vbx__gateway_requests(f->t.gw) >= 4);
  /* A header block over the 64 KiB bound is refused by the HTTP server. */
  size_t hl = 100 * 1024;
  char *hdr = malloc(hl + 16);
  memcpy(hdr, "x-big: ", 7);
  memset(hdr + 7, 'a', hl);
  hdr[7 + hl] = 0;
  assert_int_equal(gwc_request(url, NULL, "/v1/models", hdr, NULL, 0, &r, NULL, NULL), 0);
  assert_true(r.status == 431 || r.status == 413);
  gwc_free(&r);
  free(hdr);
}

static void unix_socket(void **state) {
  (void)state;
  char path[64];
  snprintf(path, sizeof(path), "/tmp/vbx-gw-test-%d.sock", (int)getpid());
  unlink(path);
  gwt t;
  assert_int_equal(gwt_start(&t, &PW_OLLAMA, "http://127.0.0.1:9", path, NULL), 0);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_true(S_ISSOCK(st.st_mode));
  assert_int_equal(st.st_mode & 077, 0);
  assert_int_equal(vbx__gateway_port(t.gw), 0);
  assert_true(strncmp(vbx__gateway_url(t.gw), "unix:", 5) == 0);
  gwc_resp r;
  assert_int_equal(gwc_request("http://localhost", path, "/v1/models", "x-api-key: " GW_TOKEN, NULL,
                               0, &r, NULL, NULL),
                   0);
  assert_int_equal(r.status, 200);
  gwc_free(&r);
  assert_int_equal(gwc_request("http://localhost", path, "/v1/models", "x-api-key: nope", NULL, 0,
                               &r, NULL, NULL),
                   0);
  assert_int_equal(r.status, 401);
  gwc_free(&r);
  gwt_stop(&t);
  assert_int_not_equal(access(path, F_OK), 0);
}

static void upstream_errors(void **state) {
  (void)state;
  fs_response script[] = {{401, NULL, NULL, PW_OPENAI.err401, NULL, 0, 0}};
  fake_server *fs = fs_start(script, 1);
  gwt t;
  assert_int_equal(gwt_start(&t, &PW_OPENAI, fs_url(fs), NULL, NULL), 0);
  char *req = client_request(1);
  gwc_resp r;
  assert_int_equal(gwc_request(vbx__gateway_url(t.gw), NULL, "/v1/messages", "x-api-key: " GW_TOKEN,
                               req, strlen(req), &r, NULL, NULL),
                   0);
  assert_int_equal(r.status, 502); /* the host's key failed: not the client's to fix */
  const char *m = error_of(&r, "api_error");
  assert_non_null(strstr(m, HOST_KEY_ENV));
  assert_null(strstr(r.body, HOST_KEY));
  gwc_free(&r);
  free(req);
  gwt_stop(&t);
  fs_stop(fs);
}

static void bad_config(void **state) {
  (void)state;
  gwt t;
  /* a short token */
  assert_int_not_equal(gwt_start(&t, &PW_OLLAMA, "http://127.0.0.1:9", NULL, "short"), 0);
  if (t.reg) vbx__registry_free(t.reg);
  /* an unknown provider name, with a hint */
  vbx__registry *reg = NULL;
  vbx_error err;
  memset(&err, 0, sizeof(err));
  assert_int_equal(vbx__registry_new(NULL, NULL, &reg), 0);
  assert_int_equal(vbx__registry_load(reg, PW_OLLAMA.so_path, &err), 0);
  vbx__registry_freeze(reg);
  vbx__gateway_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.registry = reg;
  cfg.provider = "olama";
  vbx__gateway *gw = NULL;
  assert_int_equal(vbx__gateway_start(&cfg, &gw, &err), VBX_E_NOTFOUND);
  assert_non_null(strstr(err.message, "did you mean 'ollama'"));
  assert_null(gw);
  /* a listen address that is not numeric */
  cfg.provider = "ollama";
  cfg.listen_addr = "localhost";
  assert_int_equal(vbx__gateway_start(&cfg, &gw, &err), VBX_E_INVAL);
  assert_non_null(strstr(err.message, "localhost"));
  /* a generated token: 64 hex digits */
  cfg.listen_addr = NULL;
  assert_int_equal(vbx__gateway_start(&cfg, &gw, &err), 0);
  assert_int_equal(strlen(vbx__gateway_token(gw)), 64);
  vbx__gateway_stop(gw);
  vbx__registry_free(reg);
}

int main(void) {
  const struct CMUnitTest fixture_tests[] = {
      cmocka_unit_test(token_refused),
      cmocka_unit_test(oversized_413),
      cmocka_unit_test(malformed_400),
      cmocka_unit_test(endpoints),
  };
  const struct CMUnitTest alone[] = {
      cmocka_unit_test(unix_socket),
      cmocka_unit_test(upstream_errors),
      cmocka_unit_test(bad_config),
  };
  int rc = cmocka_run_group_tests(fixture_tests, setup, teardown);
  return rc | cmocka_run_group_tests(alone, NULL, NULL);
}
