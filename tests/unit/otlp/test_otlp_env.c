/*
 * test_otlp_env - the OTEL_* environment variables over the spec's
 * options: endpoints and their precedence, headers with percent-encoding
 * (common and per signal), compression, timeout, protocol, service name
 * and resource attributes; each malformed variable fails naming itself and
 * never repeats a header value. Also the resolved URLs, header lines and
 * resource the exporter sends.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "env.h"
#include "exporter_vt.h"
#include "fake_host.h"

/* The test's environment: name, value, ..., NULL. */
static const char *const *env_table;

static const char *get(const char *name) {
  for (size_t i = 0; env_table && env_table[i]; i += 2)
    if (strcmp(env_table[i], name) == 0) return env_table[i + 1];
  return NULL;
}

/* Spec options (JSON or NULL), then the environment `env`, into c. */
static int load(const char *json, const char *const *env, ox_cfg *c, fake_call *fc) {
  json_t *o = json ? json_loads(json, 0, NULL) : NULL;
  memset(fc, 0, sizeof(*fc));
  int rc = ox_cfg_parse(fake_host(), (const vbx_json *)o, c, (vbx_call *)fc);
  json_decref(o);
  assert_int_equal(rc, 0);
  env_table = env;
  return ox_env_apply(fake_host(), get, c, (vbx_call *)fc);
}

static void env_bad(const char *const *env, const char *want, const char *secret) {
  ox_cfg c;
  fake_call fc;
  int rc = load(NULL, env, &c, &fc);
  if (rc != VBX_E_INVAL || strcmp(fc.message, want) != 0)
    print_error("rc %d message '%s'\nwant '%s'\n", rc, fc.message, want);
  assert_int_equal(rc, VBX_E_INVAL);
  assert_string_equal(fc.message, want);
  assert_string_equal(fc.field, "");
  if (secret) assert_null(strstr(fc.message, secret));
  ox_cfg_free(&c);
}

/* An exporter skeleton with c resolved into targets and a resource. */
static void resolve(ox_exp *e, ox_cfg *c) {
  memset(e, 0, sizeof(*e));
  e->h = fake_host();
  e->cfg = *c;
  fake_call fc = {0};
  assert_int_equal(ox_setup(e, (vbx_call *)&fc), 0);
}

static void unresolve(ox_exp *e) {
  ox_setup_free(e);
  ox_cfg_free(&e->cfg);
}

static int has_line(char **lines, const char *want) {
  for (size_t i = 0; lines[i]; i++)
    if (strcmp(lines[i], want) == 0) return 1;
  return 0;
}

static void test_headers(void **state) {
  (void)state;
  const char *env[] = {"OTEL_EXPORTER_OTLP_HEADERS",
                       "api-key=abc%20def, x-b = c%2Cd ,,X-Tenant=t%3D1,",
                       "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "X-B=traces%21", NULL};
  ox_cfg c;
  fake_call fc;
  assert_int_equal(load("{\"headers\": {\"x-b\": \"spec\", \"keep\": \"k\"}}", env, &c, &fc), 0);
  assert_string_equal(ox_kvlist_get(&c.headers, "api-key"), "abc def");
  assert_string_equal(ox_kvlist_get(&c.headers, "x-b"), "c,d");
  assert_string_equal(ox_kvlist_get(&c.headers, "x-tenant"), "t=1");
  assert_string_equal(ox_kvlist_get(&c.headers, "keep"), "k");
  assert_string_equal(ox_kvlist_get(&c.signal_headers[OX_TRACES], "x-b"), "traces!");
  ox_exp e;
  resolve(&e, &c);
  char **t = e.target[OX_TRACES].headers, **m = e.target[OX_METRICS].headers;
  assert_true(has_line(t, "x-b: traces!"));
  assert_false(has_line(t, "x-b: c,d"));
  assert_true(has_line(t, "api-key: abc def"));
  assert_true(has_line(m, "x-b: c,d"));
  assert_true(has_line(m, "keep: k"));
  assert_true(has_line(m, "Content-Type: application/json"));
  assert_true(has_line(m, "Content-Encoding: gzip"));
  unresolve(&e);
}

static void test_headers_bad(void **state) {
  (void)state;
  const char *a[] = {"OTEL_EXPORTER_OTLP_HEADERS", "novalue", NULL};
  env_bad(a, "OTEL_EXPORTER_OTLP_HEADERS: entry 1 has no '=' (the form is key=value,key=value)",
          NULL);
  const char *b[] = {"OTEL_EXPORTER_OTLP_HEADERS", "ok=1,authorization=Bearer%zzsecret", NULL};
  env_bad(b,
          "OTEL_EXPORTER_OTLP_HEADERS: the value of 'authorization' (entry 2) is not "
          "percent-encoded correctly (a '%' must start %XX)",
          "secret");
  const char *c[] = {"OTEL_EXPORTER_OTLP_HEADERS", "a=secret%4", NULL};
  env_bad(c,
          "OTEL_EXPORTER_OTLP_HEADERS: the value of 'a' (entry 1) is not percent-encoded "
          "correctly (a '%' must start %XX)",
          "secret");
  const char *d[] = {"OTEL_EXPORTER_OTLP_HEADERS", "bad key=v", NULL};
  env_bad(d, "OTEL_EXPORTER_OTLP_HEADERS: entry 1 has a bad key 'bad key'", NULL);
  const char *e[] = {"OTEL_EXPORTER_OTLP_HEADERS", "a=secret%0D%0AX: y", NULL};
  env_bad(e,
          "OTEL_EXPORTER_OTLP_HEADERS: the value of 'a' (entry 1) is too long or holds control "
          "characters",
          "secret");
  const char *f[] = {"OTEL_EXPORTER_OTLP_LOGS_HEADERS", "=v", NULL};
  env_bad(f, "OTEL_EXPORTER_OTLP_LOGS_HEADERS: entry 1 has a bad key ''", NULL);
  const char *g[] = {"OTEL_EXPORTER_OTLP_METRICS_HEADERS", "content-type=text/plain", NULL};
  env_bad(g, "OTEL_EXPORTER_OTLP_METRICS_HEADERS: header 'content-type' is set by the exporter",
          NULL);
}

static void test_endpoints(void **state) {
  (void)state;
  const char *spec =
      "{\"endpoint\": \"http://spec:4318\", \"traces_endpoint\": \"http://spec-t/v1/t\"}";
  ox_cfg c;
  fake_call fc;
  ox_exp e;
  /* the spec alone */
  assert_int_equal(load(spec, NULL, &c, &fc), 0);
  resolve(&e, &c);
  assert_string_equal(e.target[OX_TRACES].url, "http://spec-t/v1/t");
  assert_string_equal(e.target[OX_METRICS].url, "http://spec:4318/v1/metrics");
  assert_string_equal(e.target[OX_LOGS].url, "http://spec:4318/v1/logs");
  unresolve(&e);
  /* the variables beat it: the base one replaces the spec's per-signal URL too */
  const char *env[] = {"OTEL_EXPORTER_OTLP_ENDPOINT", "https://env:4318/p/",
                       "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:9/custom", NULL};
  assert_int_equal(load(spec, env, &c, &fc), 0);
  resolve(&e, &c);
  assert_string_equal(e.target[OX_TRACES].url, "https://env:4318/p/v1/traces");
  assert_string_equal(e.target[OX_METRICS].url, "http://m:9/custom");
  assert_string_equal(e.target[OX_LOGS].url, "https://env:4318/p/v1/logs");
  unresolve(&e);
  /* the default, and empty variables count as unset */
  const char *empty[] = {"OTEL_EXPORTER_OTLP_ENDPOINT",
                         "",
                         "OTEL_EXPORTER_OTLP_HEADERS",
                         "",
                         "OTEL_EXPORTER_OTLP_TIMEOUT",
                         "",
                         NULL};
  assert_int_equal(load(NULL, empty, &c, &fc), 0);
  resolve(&e, &c);
  assert_string_equal(e.target[OX_TRACES].url, "http://localhost:4318/v1/traces");
  assert_string_equal(e.target[OX_LOGS].url, "http://localhost:4318/v1/logs");
  assert_int_equal(e.cfg.timeout_ms, 10000);
  unresolve(&e);
}

static void test_endpoints_bad(void **state) {
  (void)state;
  const char *a[] = {"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", NULL};
  env_bad(a,
          "OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' is not an http:// or https:// URL with "
          "a host",
          NULL);
  const char *b[] = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "grpc://user:pw@h:4317", NULL};
  env_bad(b,
          "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://h:4317' is not an http:// or https:// URL "
          "with a host",
          "pw");
}

static void test_scalars(void **state) {
  (void)state;
  const char *env[] = {"OTEL_EXPORTER_OTLP_COMPRESSION",
                       "none",
                       "OTEL_EXPORTER_OTLP_TIMEOUT",
                       "2500",
                       "OTEL_EXPORTER_OTLP_PROTOCOL",
                       "http/json",
                       NULL};
  ox_cfg c;
  fake_call fc;
  assert_int_equal(load("{\"compression\": \"gzip\", \"timeout_ms\": 100}", env, &c, &fc), 0);
  assert_int_equal(c.gzip, 0);
  assert_int_equal(c.timeout_ms, 2500);
  ox_exp e;
  resolve(&e, &c);
  assert_false(has_line(e.target[OX_LOGS].headers, "Content-Encoding: gzip"));
  unresolve(&e);
}

static void test_scalars_bad(void **state) {
  (void)state;
  const char *a[] = {"OTEL_EXPORTER_OTLP_COMPRESSION", "br", NULL};
  env_bad(a, "OTEL_EXPORTER_OTLP_COMPRESSION: 'br' must be gzip or none", NULL);
  const char *const timeouts[] = {"abc", "0", "60001", "-5", "10s", " 5", "99999999999999999999"};
  for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
    const char *t[] = {"OTEL_EXPORTER_OTLP_TIMEOUT", timeouts[i], NULL};
    char want[160];
    snprintf(want, sizeof(want),
             "OTEL_EXPORTER_OTLP_TIMEOUT: '%s' is not a number of milliseconds from 1 to 60000",
             timeouts[i]);
    env_bad(t, want, NULL);
  }
  const char *g[] = {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", NULL};
  env_bad(g, "OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' is not supported by this exporter; use http/json",
          NULL);
  const char *p[] = {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", NULL};
  env_bad(p,
          "OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' is not supported by this exporter; use "
          "http/json",
          NULL);
  const char *q[] = {"OTEL_EXPORTER_OTLP_PROTOCOL", "smoke", NULL};
  env_bad(q, "OTEL_EXPORTER_OTLP_PROTOCOL: 'smoke' is not a protocol; use http/json", NULL);
}

/* The resource's keys and values in order, "k=v;k=v". */
static void resource_text(const ox_exp *e, char *buf, size_t n) {
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; e->res_attrs[i]; i += 2)
    len += (size_t)snprintf(buf + len, n - len, "%s%s=%s", len ? ";" : "", e->res_attrs[i],
                            e->res_attrs[i + 1]);
}

static void test_service_and_resource(void **state) {
  (void)state;
  char text[512];
  ox_cfg c;
  fake_call fc;
  ox_exp e;
  /* defaults */
  assert_int_equal(load(NULL, NULL, &c, &fc), 0);
  resolve(&e, &c);
  resource_text(&e, text, sizeof(text));
  assert_string_equal(text,
                      "service.name=voidbox;service.version=0.1.0;telemetry.sdk.name=voidbox;"
                      "telemetry.sdk.language=c;telemetry.sdk.version=0.1.0");
  assert_string_equal(e.res.service_name, "voidbox");
  assert_string_equal(e.res.service_version, "0.1.0");
  unresolve(&e);
  /* the spec's service_name beats its resource_attributes' service.name */
  const char *spec =
      "{\"service_name\": \"spec-svc\", \"resource_attributes\": "
      "{\"service.name\": \"attr-svc\", \"team\": \"a\"}}";
  assert_int_equal(load(spec, NULL, &c, &fc), 0);
  resolve(&e, &c);
  resource_text(&e, text, sizeof(text));
  assert_string_equal(text,
                      "service.name=spec-svc;service.version=0.1.0;telemetry.sdk.name=voidbox;"
                      "telemetry.sdk.language=c;telemetry.sdk.version=0.1.0;team=a");
  unresolve(&e);
  /* OTEL_RESOURCE_ATTRIBUTES beats the spec */
  const char *env1[] = {"OTEL_RESOURCE_ATTRIBUTES",
                        "service.name=res-svc, team=b%20c,region=eu,service.version=9", NULL};
  assert_int_equal(load(spec, env1, &c, &fc), 0);
  resolve(&e, &c);
  resource_text(&e, text, sizeof(text));
  assert_string_equal(text,
                      "service.name=res-svc;service.version=9;telemetry.sdk.name=voidbox;"
                      "telemetry.sdk.language=c;telemetry.sdk.version=0.1.0;team=b c;region=eu");
  unresolve(&e);
  /* OTEL_SERVICE_NAME beats everything */
  const char *env2[] = {"OTEL_RESOURCE_ATTRIBUTES", "service.name=res-svc", "OTEL_SERVICE_NAME",
                        "env-svc", NULL};
  assert_int_equal(load(spec, env2, &c, &fc), 0);
  resolve(&e, &c);
  assert_string_equal(e.res_attrs[1], "env-svc");
  assert_string_equal(e.res.service_name, "env-svc");
  unresolve(&e);
}

static void test_resource_bad(void **state) {
  (void)state;
  const char *a[] = {"OTEL_RESOURCE_ATTRIBUTES", "team", NULL};
  env_bad(a, "OTEL_RESOURCE_ATTRIBUTES: entry 1 has no '=' (the form is key=value,key=value)",
          NULL);
  const char *b[] = {"OTEL_RESOURCE_ATTRIBUTES", "a=1,b=%G0", NULL};
  env_bad(b,
          "OTEL_RESOURCE_ATTRIBUTES: the value of 'b' (entry 2) is not percent-encoded correctly "
          "(a '%' must start %XX)",
          NULL);
  char big[400];
  memset(big, 'n', 300);
  big[300] = '\0';
  const char *c[] = {"OTEL_SERVICE_NAME", big, NULL};
  env_bad(c, "OTEL_SERVICE_NAME: longer than 256 bytes or holds control characters", NULL);
}

/* create refuses a malformed variable with nothing left behind. */
static void test_create_refuses(void **state) {
  (void)state;
  const char *env[] = {"OTEL_EXPORTER_OTLP_TIMEOUT", "soon", NULL};
  env_table = env;
  fake_call fc = {0};
  void *out = (void *)1;
  assert_int_equal(ox_exp_create(fake_host(), NULL, get, (vbx_call *)&fc, &out), VBX_E_INVAL);
  assert_null(out);
  assert_string_equal(fc.message,
                      "OTEL_EXPORTER_OTLP_TIMEOUT: 'soon' is not a number of milliseconds from 1 "
                      "to 60000");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_headers),
      cmocka_unit_test(test_headers_bad),
      cmocka_unit_test(test_endpoints),
      cmocka_unit_test(test_endpoints_bad),
      cmocka_unit_test(test_scalars),
      cmocka_unit_test(test_scalars_bad),
      cmocka_unit_test(test_service_and_resource),
      cmocka_unit_test(test_resource_bad),
      cmocka_unit_test(test_create_refuses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
