/*
 * test_otlp_recv - the validating receiver (otlp_recv.h) over real HTTP
 * (libcurl): gzip, identity and chunked bodies accepted and written out;
 * each HTTP-level rule refused with its status and recorded as a
 * violation; the status sequence with Retry-After; a stalled receiver that
 * never answers yet stops at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <zlib.h>

#include "otlp_recv.h"

static const char *const LOGS =
    "{\"resourceLogs\": [{\"resource\": {}, \"scopeLogs\": [{\"scope\": {\"name\": \"t\"},"
    " \"logRecords\": [{\"timeUnixNano\": \"1700000000000000000\", \"severityNumber\": 9,"
    " \"body\": {\"stringValue\": \"hello\"}}]}]}]}";

typedef struct reply {
  long status;
  char body[2048];
  size_t len;
  char retry_after[32];
  CURLcode rc;
} reply;

typedef struct src {
  const char *data;
  size_t len, off;
} src;

static size_t on_body(char *p, size_t sz, size_t n, void *user) {
  reply *r = user;
  size_t k = sz * n, room = sizeof r->body - 1 - r->len;
  memcpy(r->body + r->len, p, k < room ? k : room);
  r->len += k < room ? k : room;
  r->body[r->len] = '\0';
  return k;
}

static size_t on_header(char *p, size_t sz, size_t n, void *user) {
  reply *r = user;
  if (sz * n > 13 && strncasecmp(p, "Retry-After: ", 13) == 0)
    snprintf(r->retry_after, sizeof r->retry_after, "%.*s", (int)strcspn(p + 13, "\r\n"), p + 13);
  return sz * n;
}

static size_t on_read(char *buf, size_t sz, size_t n, void *user) {
  src *s = user;
  size_t k = sz * n < 7 ? sz * n : 7; /* small pieces: several chunks */
  if (k > s->len - s->off) k = s->len - s->off;
  memcpy(buf, s->data + s->off, k);
  s->off += k;
  return k;
}

/* One request to the receiver; headers: "Name: value" strings, NULL-ended. */
static reply req(otlp_recv *r, const char *method, const char *path, const char *const *headers,
                 const char *body, size_t len, int chunked, long timeout_ms) {
  reply out = {0};
  char url[128];
  snprintf(url, sizeof url, "http://127.0.0.1:%u%s", otlp_recv_port(r), path);
  CURL *c = curl_easy_init();
  struct curl_slist *h = NULL;
  for (; headers && *headers; headers++)
    h = curl_slist_append(h, *headers);
  h = curl_slist_append(h, "Expect:");
  src s = {body, len, 0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    if (chunked) {
      h = curl_slist_append(h, "Transfer-Encoding: chunked");
      curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
      curl_easy_setopt(c, CURLOPT_READDATA, &s);
    } else {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &out);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  out.rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return out;
}

static const char *const JSON_CT[] = {"Content-Type: application/json", NULL};
static const char *const GZIP_CT[] = {"Content-Type: application/json", "Content-Encoding: gzip",
                                      "X-Tenant: acme", NULL};

static char *gzip(const char *in, size_t n, size_t *out_len) {
  z_stream z = {0};
  assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  size_t cap = deflateBound(&z, n) + 64;
  char *out = malloc(cap);
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)n;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)cap;
  assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
  *out_len = cap - z.avail_out;
  deflateEnd(&z);
  return out;
}

static char *slurp(const char *dir, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "r");
  if (f == NULL) return NULL;
  char *buf = calloc(1, 1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void test_accepts_gzip_identity_chunked(void **state) {
  (void)state;
  char dir[] = "/tmp/vbx-otlprecv-XXXXXX";
  assert_non_null(mkdtemp(dir));
  otlp_recv_opts o = {.dir = dir};
  otlp_recv *r;
  assert_int_equal(otlp_recv_start(&o, &r), 0);
  reply a = req(r, "POST", "/v1/logs", JSON_CT, LOGS, strlen(LOGS), 0, 5000);
  assert_int_equal(a.status, 200);
  assert_string_equal(a.body, "{}");
  size_t zn;
  char *z = gzip(LOGS, strlen(LOGS), &zn);
  reply b = req(r, "POST", "/v1/logs", GZIP_CT, z, zn, 0, 5000);
  assert_int_equal(b.status, 200);
  reply c = req(r, "POST", "/v1/logs", GZIP_CT, z, zn, 1, 5000);
  assert_int_equal(c.status, 200);
  reply d = req(r, "POST", "/v1/logs", JSON_CT, LOGS, strlen(LOGS), 1, 5000);
  assert_int_equal(d.status, 200);
  free(z);
  assert_int_equal(otlp_recv_violations(r, NULL, 0), 0);
  json_t *bodies = otlp_recv_bodies(r, OTLP_LOGS);
  assert_int_equal(json_array_size(bodies), 4);
  json_t *want = json_loads(LOGS, 0, NULL);
  for (size_t i = 0; i < 4; i++)
    assert_true(json_equal(json_array_get(bodies, i), want));
  json_decref(bodies);
  json_t *reqs = otlp_recv_requests(r);
  json_t *r2 = json_array_get(reqs, 1);
  assert_string_equal(json_string_value(json_object_get(r2, "encoding")), "gzip");
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(r2, "headers"), "x-tenant")), "acme");
  assert_string_equal(json_string_value(json_object_get(json_array_get(reqs, 0), "encoding")), "");
  const char *te = json_string_value(
      json_object_get(json_object_get(json_array_get(reqs, 2), "headers"), "transfer-encoding"));
  assert_non_null(te);
  assert_string_equal(te, "chunked");
  json_decref(reqs);
  otlp_recv_stop(r);
  /* the files: each body decoded, one line per request, no violations */
  for (int i = 1; i <= 4; i++) {
    char name[32];
    snprintf(name, sizeof name, "%04d-logs.json", i);
    char *text = slurp(dir, name);
    assert_non_null(text);
    json_t *j = json_loads(text, 0, NULL);
    assert_true(json_equal(j, want));
    json_decref(j);
    free(text);
  }
  char *lines = slurp(dir, "requests.jsonl");
  assert_non_null(lines);
  int n = 0;
  for (char *p = lines; (p = strchr(p, '\n')) != NULL; p++)
    n++;
  assert_int_equal(n, 4);
  free(lines);
  assert_null(slurp(dir, "violations.txt"));
  json_decref(want);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

/* Each HTTP-level rule: the status, the reason in the google.rpc.Status
 * body, and the violation recorded. */
static void test_refusals(void **state) {
  (void)state;
  char dir[] = "/tmp/vbx-otlprecv-XXXXXX";
  assert_non_null(mkdtemp(dir));
  otlp_recv_opts o = {.dir = dir, .max_body = 4096};
  otlp_recv *r;
  assert_int_equal(otlp_recv_start(&o, &r), 0);
  static const char *const PB[] = {"Content-Type: application/x-protobuf", NULL};
  static const char *const BR[] = {"Content-Type: application/json", "Content-Encoding: br", NULL};
  static const char *const NOCT[] = {"Content-Type:", NULL};
  const char *bad_doc = "{\"resourceLogs\": [{\"resource\": {}, \"scopeLogs\": []}]}";
  char *big = malloc(8192);
  memset(big, ' ', 8191);
  big[0] = '{', big[8190] = '}', big[8191] = '\0';
  size_t bombn, zn;
  char *bomb = gzip(big, 8191, &bombn);
  char *z = gzip(LOGS, strlen(LOGS), &zn);
  z[zn - 5] ^= 0x55; /* a broken CRC/length trailer */
  struct {
    const char *method, *path;
    const char *const *headers;
    const char *body;
    size_t len;
    int chunked;
    long want;
    const char *reason;
  } c[] = {
      {"GET", "/v1/logs", NULL, NULL, 0, 0, 405, "method GET: OTLP/HTTP takes POST"},
      {"POST", "/v1/log", JSON_CT, LOGS, strlen(LOGS), 0, 404, "not an OTLP/HTTP path"},
      {"POST", "/v1/logs", PB, LOGS, strlen(LOGS), 0, 415,
       "Content-Type 'application/x-protobuf': want application/json"},
      {"POST", "/v1/logs", NOCT, LOGS, strlen(LOGS), 0, 415, "Content-Type '(none)'"},
      {"POST", "/v1/logs", BR, LOGS, strlen(LOGS), 0, 415,
       "Content-Encoding 'br': want gzip or identity"},
      {"POST", "/v1/logs", GZIP_CT, LOGS, strlen(LOGS), 0, 400,
       "Content-Encoding gzip, but the body is not gzip"},
      {"POST", "/v1/logs", GZIP_CT, z, zn, 0, 400, "the gzip body does not inflate"},
      {"POST", "/v1/logs", JSON_CT, big, 8191, 0, 413, "the body is over 4096 bytes"},
      {"POST", "/v1/logs", JSON_CT, big, 8191, 1, 413, "the body is over 4096 bytes"},
      {"POST", "/v1/logs", GZIP_CT, bomb, bombn, 0, 413, "the gzip body inflates past 4096 bytes"},
      {"POST", "/v1/logs", JSON_CT, "{", 1, 0, 400, "not JSON:"},
      {"POST", "/v1/logs", JSON_CT, bad_doc, strlen(bad_doc), 0, 400,
       "resourceLogs[0].scopeLogs: is empty"},
      {"POST", "/v1/traces", JSON_CT, LOGS, strlen(LOGS), 0, 400, "resourceLogs: unknown field"},
  };
  size_t n = sizeof c / sizeof *c;
  for (size_t i = 0; i < n; i++) {
    reply rep =
        req(r, c[i].method, c[i].path, c[i].headers, c[i].body, c[i].len, c[i].chunked, 5000);
    if (rep.status != c[i].want || strstr(rep.body, c[i].reason) == NULL)
      print_error("case %zu: status %ld body '%s', want %ld '%s'\n", i, rep.status, rep.body,
                  c[i].want, c[i].reason);
    assert_int_equal(rep.status, c[i].want);
    assert_non_null(strstr(rep.body, c[i].reason));
  }
  char text[4096];
  assert_int_equal(otlp_recv_violations(r, text, sizeof text), n);
  json_t *bodies = otlp_recv_bodies(r, OTLP_LOGS);
  assert_int_equal(json_array_size(bodies), 0);
  json_decref(bodies);
  otlp_recv_stop(r);
  char *file = slurp(dir, "violations.txt");
  assert_non_null(file);
  assert_non_null(strstr(file, "0001 GET /v1/logs: method GET: OTLP/HTTP takes POST\n"));
  assert_non_null(strstr(file, "0002 POST /v1/log: not an OTLP/HTTP path"));
  assert_non_null(strstr(file, "0012 POST /v1/logs: resourceLogs[0].scopeLogs: is empty"));
  free(file);
  free(big);
  free(bomb);
  free(z);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

/* 503, 503, then 200 for each signal on its own; Retry-After with them. */
static void test_status_sequence(void **state) {
  (void)state;
  static const int seq[] = {503, 503, 200};
  otlp_recv_opts o = {.statuses = seq, .n_statuses = 3, .retry_after = 1};
  otlp_recv *r;
  assert_int_equal(otlp_recv_start(&o, &r), 0);
  for (int i = 0; i < 2; i++) {
    reply a = req(r, "POST", "/v1/logs", JSON_CT, LOGS, strlen(LOGS), 0, 5000);
    assert_int_equal(a.status, 503);
    assert_string_equal(a.retry_after, "1");
  }
  /* an invalid body does not use up the sequence */
  reply bad = req(r, "POST", "/v1/logs", JSON_CT, "{}", 2, 0, 5000);
  assert_int_equal(bad.status, 400);
  reply ok = req(r, "POST", "/v1/logs", JSON_CT, LOGS, strlen(LOGS), 0, 5000);
  assert_int_equal(ok.status, 200);
  assert_string_equal(ok.retry_after, "");
  reply again = req(r, "POST", "/v1/logs", JSON_CT, LOGS, strlen(LOGS), 0, 5000);
  assert_int_equal(again.status, 200);
  json_t *bodies = otlp_recv_bodies(r, OTLP_LOGS);
  assert_int_equal(json_array_size(bodies), 2);
  json_decref(bodies);
  otlp_recv_stop(r);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A stalled receiver reads the request and never answers; stopping it
 * does not wait for the client. */
static void test_stall(void **state) {
  (void)state;
  otlp_recv_opts o = {.stall = 1};
  otlp_recv *r;
  assert_int_equal(otlp_recv_start(&o, &r), 0);
  double t0 = now_s();
  reply a = req(r, "POST", "/v1/logs", JSON_CT, LOGS, strlen(LOGS), 0, 700);
  assert_int_equal(a.rc, CURLE_OPERATION_TIMEDOUT);
  assert_true(now_s() - t0 >= 0.6);
  assert_int_equal(a.status, 0);
  assert_int_equal(otlp_recv_pending(r), 1);
  json_t *reqs = otlp_recv_requests(r);
  assert_int_equal(json_array_size(reqs), 0);
  json_decref(reqs);
  t0 = now_s();
  otlp_recv_stop(r);
  assert_true(now_s() - t0 < 2.0);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_ALL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepts_gzip_identity_chunked),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_status_sequence),
      cmocka_unit_test(test_stall),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
