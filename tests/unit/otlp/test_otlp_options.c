/*
 * test_otlp_options - the otlp exporter's spec options: every option
 * accepted with a good value and refused with a bad one, the error's field
 * naming the key, and the defaults.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_host.h"
#include "opts.h"

/* Parse options (JSON text) into c; the call's error in *fc. */
static int parse(const char *json, ox_cfg *c, fake_call *fc) {
  json_error_t e;
  json_t *o = json ? json_loads(json, 0, &e) : NULL;
  if (json && o == NULL) fail_msg("bad test JSON: %s", e.text);
  memset(fc, 0, sizeof(*fc));
  int rc = ox_cfg_parse(fake_host(), (const vbx_json *)o, c, (vbx_call *)fc);
  json_decref(o);
  return rc;
}

static void ok(const char *json, ox_cfg *c) {
  fake_call fc;
  int rc = parse(json, c, &fc);
  if (rc != 0)
    print_error("%s: %s (field %s)\n", json ? json : "(no options)", fc.message, fc.field);
  assert_int_equal(rc, 0);
}

static void bad(const char *json, const char *field, const char *msg) {
  ox_cfg c;
  fake_call fc;
  int rc = parse(json, &c, &fc);
  if (rc != VBX_E_INVAL || strcmp(fc.field, field) != 0 || strstr(fc.message, msg) == NULL)
    print_error("%s: rc %d field '%s' message '%s'\nwant field '%s' message ...%s...\n", json, rc,
                fc.field, fc.message, field, msg);
  assert_int_equal(rc, VBX_E_INVAL);
  assert_int_equal(fc.code, VBX_E_INVAL);
  assert_string_equal(fc.field, field);
  assert_non_null(strstr(fc.message, msg));
}

static void test_defaults(void **state) {
  (void)state;
  ox_cfg c;
  ok(NULL, &c);
  assert_null(c.endpoint);
  assert_int_equal(c.gzip, 1);
  assert_int_equal(c.timeout_ms, 10000);
  assert_int_equal(c.flush_timeout_ms, 5000);
  assert_int_equal(c.max_queue, 4096);
  assert_int_equal(c.max_batch, 512);
  assert_int_equal(c.schedule_delay_ms, 1000);
  assert_int_equal(c.export_interval_ms, 10000);
  assert_int_equal(c.signals, OX_ALL_SIGNALS);
  assert_null(c.service_name);
  assert_int_equal(c.headers.n, 0);
  ox_cfg_free(&c);
  ok("{}", &c);
  ox_cfg_free(&c);
  /* a small queue lowers the default batch */
  ok("{\"max_queue\": 100}", &c);
  assert_int_equal(c.max_batch, 100);
  ox_cfg_free(&c);
}

static void test_every_option_good(void **state) {
  (void)state;
  ox_cfg c;
  ok("{\"endpoint\": \"https://collector.example:4318/base/\","
     " \"traces_endpoint\": \"http://t:1/x\", \"metrics_endpoint\": \"http://m:2/y\","
     " \"logs_endpoint\": \"HTTPS://l/z\","
     " \"headers\": {\"Authorization\": \"Bearer abc\", \"x-tenant\": \"t1\"},"
     " \"protocol\": \"http/json\", \"compression\": \"none\", \"timeout_ms\": 60000,"
     " \"flush_timeout_ms\": 1, \"max_queue\": 1000000, \"max_batch\": 1000000,"
     " \"schedule_delay_ms\": 600000, \"export_interval_ms\": 100, \"service_name\": \"agent\","
     " \"resource_attributes\": {\"deployment.environment\": \"prod\"},"
     " \"signals\": [\"traces\", \"logs\", \"traces\"]}",
     &c);
  assert_string_equal(c.endpoint, "https://collector.example:4318/base/");
  assert_string_equal(c.signal_url[OX_TRACES], "http://t:1/x");
  assert_string_equal(c.signal_url[OX_METRICS], "http://m:2/y");
  assert_string_equal(c.signal_url[OX_LOGS], "HTTPS://l/z");
  assert_string_equal(ox_kvlist_get(&c.headers, "authorization"), "Bearer abc");
  assert_string_equal(ox_kvlist_get(&c.headers, "X-Tenant"), "t1");
  assert_int_equal(c.gzip, 0);
  assert_int_equal(c.timeout_ms, 60000);
  assert_int_equal(c.flush_timeout_ms, 1);
  assert_int_equal(c.max_queue, 1000000);
  assert_int_equal(c.max_batch, 1000000);
  assert_int_equal(c.schedule_delay_ms, 600000);
  assert_int_equal(c.export_interval_ms, 100);
  assert_string_equal(c.service_name, "agent");
  assert_string_equal(ox_kvlist_get(&c.resource, "deployment.environment"), "prod");
  assert_int_equal(c.signals, (1u << OX_TRACES) | (1u << OX_LOGS));
  ox_cfg_free(&c);
  ok("{\"compression\": \"gzip\", \"timeout_ms\": 1, \"max_queue\": 1, \"max_batch\": 1,"
     " \"schedule_delay_ms\": 1, \"export_interval_ms\": 3600000, \"flush_timeout_ms\": 60000,"
     " \"signals\": [\"metrics\"]}",
     &c);
  assert_int_equal(c.gzip, 1);
  assert_int_equal(c.signals, 1u << OX_METRICS);
  ox_cfg_free(&c);
}

static void test_urls_bad(void **state) {
  (void)state;
  bad("{\"endpoint\": \"ftp://x\"}", "endpoint",
      "option 'endpoint' must be an http:// or https:// URL with a host (got 'ftp://x')");
  bad("{\"endpoint\": \"http://\"}", "endpoint", "must be an http:// or https:// URL");
  bad("{\"endpoint\": \"http://a b\"}", "endpoint", "must be an http:// or https:// URL");
  bad("{\"endpoint\": \"localhost:4318\"}", "endpoint", "must be an http:// or https:// URL");
  bad("{\"endpoint\": 4318}", "endpoint", "option 'endpoint' must be a non-empty string");
  bad("{\"endpoint\": \"\"}", "endpoint", "option 'endpoint' must be a non-empty string");
  /* credentials in a refused URL are not repeated */
  bad("{\"traces_endpoint\": \"htp://user:secret@h/v1/traces?k=1\"}", "traces_endpoint",
      "(got 'htp://h/v1/traces')");
  bad("{\"traces_endpoint\": \"http:///v1/traces\"}", "traces_endpoint",
      "option 'traces_endpoint' must be an http://");
  bad("{\"metrics_endpoint\": null}", "metrics_endpoint", "must be a non-empty string");
  bad("{\"logs_endpoint\": \"file:///tmp/x\"}", "logs_endpoint", "must be an http://");
}

static void test_url_credentials_not_echoed(void **state) {
  (void)state;
  ox_cfg c;
  fake_call fc;
  assert_int_equal(parse("{\"endpoint\": \"htp://u:pw@h:1/p?token=abc\"}", &c, &fc), VBX_E_INVAL);
  assert_null(strstr(fc.message, "pw"));
  assert_null(strstr(fc.message, "abc"));
  assert_non_null(strstr(fc.message, "'htp://h:1/p'"));
}

static void test_maps_bad(void **state) {
  (void)state;
  bad("{\"headers\": [\"a: b\"]}", "headers", "option 'headers' must be a map of strings");
  bad("{\"headers\": {\"x-n\": 1}}", "headers", "the value of 'x-n' must be a string");
  bad("{\"headers\": {\"bad name\": \"v\"}}", "headers", "'bad name' is not a valid header name");
  bad("{\"headers\": {\"\": \"v\"}}", "headers", "is not a valid header name");
  bad("{\"headers\": {\"x\": \"a\\r\\nInjected: 1\"}}", "headers",
      "the value of 'x' is over 4096 bytes or holds control characters");
  bad("{\"headers\": {\"content-type\": \"text/plain\"}}", "headers",
      "'content-type' is set by the exporter");
  bad("{\"headers\": {\"Content-Encoding\": \"br\"}}", "headers", "is set by the exporter");
  bad("{\"resource_attributes\": {\"k\": 1}}", "resource_attributes",
      "option 'resource_attributes': the value of 'k' must be a string");
  bad("{\"resource_attributes\": {\"a=b\": \"c\"}}", "resource_attributes",
      "'a=b' is not a valid attribute key");
  bad("{\"resource_attributes\": \"k=v\"}", "resource_attributes", "must be a map of strings");
}

static void test_enums_bad(void **state) {
  (void)state;
  bad("{\"protocol\": \"http/protobuf\"}", "protocol",
      "option 'protocol': http/protobuf is not supported by this exporter; use http/json");
  bad("{\"protocol\": \"grpc\"}", "protocol", "not supported by this exporter; use http/json");
  bad("{\"protocol\": \"carrier-pigeon\"}", "protocol",
      "option 'protocol' must be http/json (got 'carrier-pigeon')");
  bad("{\"protocol\": 1}", "protocol", "must be a non-empty string");
  bad("{\"compression\": \"br\"}", "compression",
      "option 'compression' must be gzip or none (got 'br')");
  bad("{\"compression\": true}", "compression", "must be a non-empty string");
  bad("{\"signals\": []}", "signals",
      "option 'signals' must be a non-empty list of traces, metrics, logs");
  bad("{\"signals\": \"traces\"}", "signals", "must be a non-empty list");
  bad("{\"signals\": [\"traces\", \"spans\"]}", "signals",
      "option 'signals'[1] must be one of traces, metrics, logs (got 'spans')");
  bad("{\"signals\": [3]}", "signals", "option 'signals'[0] must be one of traces, metrics, logs");
}

static void test_integers_bad(void **state) {
  (void)state;
  bad("{\"timeout_ms\": 0}", "timeout_ms",
      "option 'timeout_ms' must be between 1 and 60000 (got 0)");
  bad("{\"timeout_ms\": 60001}", "timeout_ms", "must be between 1 and 60000 (got 60001)");
  bad("{\"timeout_ms\": \"5s\"}", "timeout_ms", "option 'timeout_ms' must be an integer");
  bad("{\"flush_timeout_ms\": 0}", "flush_timeout_ms", "must be between 1 and 60000 (got 0)");
  bad("{\"flush_timeout_ms\": 1.5}", "flush_timeout_ms", "must be an integer");
  bad("{\"max_queue\": 0}", "max_queue", "must be between 1 and 1000000 (got 0)");
  bad("{\"max_queue\": 1000001}", "max_queue", "must be between 1 and 1000000 (got 1000001)");
  bad("{\"max_batch\": 0}", "max_batch", "must be between 1 and 1000000 (got 0)");
  bad("{\"max_queue\": 10, \"max_batch\": 11}", "max_batch",
      "option 'max_batch' (11) must not exceed max_queue (10)");
  bad("{\"max_batch\": 5000}", "max_batch", "(5000) must not exceed max_queue (4096)");
  bad("{\"schedule_delay_ms\": 0}", "schedule_delay_ms", "must be between 1 and 600000 (got 0)");
  bad("{\"schedule_delay_ms\": 600001}", "schedule_delay_ms", "(got 600001)");
  bad("{\"export_interval_ms\": 99}", "export_interval_ms",
      "must be between 100 and 3600000 (got 99)");
  bad("{\"export_interval_ms\": 3600001}", "export_interval_ms", "(got 3600001)");
}

static void test_strings_bad(void **state) {
  (void)state;
  bad("{\"service_name\": \"\"}", "service_name",
      "option 'service_name' must be a non-empty string");
  bad("{\"service_name\": 5}", "service_name", "must be a non-empty string");
  char big[400];
  snprintf(big, sizeof(big), "{\"service_name\": \"%0300d\"}", 0);
  bad(big, "service_name", "must be a non-empty string");
}

static void test_unknown_and_shape(void **state) {
  (void)state;
  bad("{\"endpont\": \"http://x\"}", "endpont",
      "unknown option 'endpont' (known: endpoint, traces_endpoint, metrics_endpoint, "
      "logs_endpoint, headers, protocol, compression, timeout_ms, flush_timeout_ms, max_queue, "
      "max_batch, schedule_delay_ms, export_interval_ms, service_name, resource_attributes, "
      "signals)");
  bad("{\"insecure\": true}", "insecure", "unknown option 'insecure'");
  ox_cfg c;
  fake_call fc;
  assert_int_equal(parse("[1]", &c, &fc), VBX_E_INVAL);
  assert_string_equal(fc.field, "");
  assert_string_equal(fc.message, "the otlp exporter's options must be a map");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),          cmocka_unit_test(test_every_option_good),
      cmocka_unit_test(test_urls_bad),          cmocka_unit_test(test_url_credentials_not_echoed),
      cmocka_unit_test(test_maps_bad),          cmocka_unit_test(test_enums_bad),
      cmocka_unit_test(test_integers_bad),      cmocka_unit_test(test_strings_bad),
      cmocka_unit_test(test_unknown_and_shape),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
