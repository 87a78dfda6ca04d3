/*
 * tests/integration/gateway/test_gateway_containment.c - what a client
 * without the token, a client that goes away, and a stopping gateway can
 * and cannot do (the containment issue, point 12):
 *
 *   - slow-drip attackers (16 and 100 connections that send a header block
 *     one byte at a time and never a token, reconnecting whenever they are
 *     cut) do not lock the real client out: it is served within a bound;
 *   - a connection that has not presented the token within the header
 *     deadline is closed, dripping or silent, while an authenticated
 *     keep-alive connection is not;
 *   - a client that disconnects mid-request (streaming or not) makes the
 *     provider's upstream connection close within a bound (the call's
 *     cancellation is observed by the provider plugin's HTTP client);
 *   - stopping the gateway with a request in flight answers it with the
 *     documented 503 overloaded_error (or an SSE error event once a stream
 *     has started) and returns within a bound.
 *
 * Timing bounds are generous upper bounds; measured figures are printed as
 * "measure: ..." lines. Waits are on sockets and conditions, not sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "drip.h"
#include "fake_server.h"
#include "gate_server.h"
#include "raw.h"
#include "upstream.h"

#define AUTH "x-api-key: " GW_TOKEN
#define MS(ns) ((double)(ns) / 1e6)

/* ---- slow drip ------------------------------------------------------------ */

/* The real client: GET /v1/models with the token, through libcurl. Returns
 * the time it took (ns); asserts a 200. */
static uint64_t real_client(gwt *t) {
  uint64_t t0 = raw_now_ns();
  gwc_resp r;
  int rc = gwc_request(vbx__gateway_url(t->gw), NULL, "/v1/models", AUTH, NULL, 0, &r, NULL, NULL);
  uint64_t took = raw_now_ns() - t0;
  if (rc != 0) {
    vbx__gateway_admission ad;
    vbx__gateway_admission_counts(t->gw, &ad);
    fprintf(stderr,
            "real client failed (rc %d); admission: evicted %llu, trusted at accept %llu, "
            "over limit %llu, refused %llu\n",
            rc, (unsigned long long)ad.evicted, (unsigned long long)ad.trusted_early,
            (unsigned long long)ad.over_limit, (unsigned long long)ad.refused);
  }
  assert_int_equal(rc, 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "llama-test"));
  gwc_free(&r);
  return took;
}

static void run_slow_drip(unsigned attackers) {
  gwt t;
  assert_int_equal(gwt_start(&t, &PW_OLLAMA, "http://127.0.0.1:9", NULL, NULL), 0);
  drip *d = drip_start(vbx__gateway_port(t.gw), attackers, 100, 1);
  assert_non_null(d);
  /* Five rounds of drips: every attacker has connected and is holding. */
  assert_true(drip_wait_bytes(d, (uint64_t)attackers * 5, 20000));
  uint64_t worst = 0;
  for (int i = 0; i < 5; i++) {
    uint64_t took = real_client(&t);
    if (took > worst) worst = took;
  }
  uint64_t bytes = drip_bytes(d);
  assert_true(drip_wait_bytes(d, bytes + attackers, 20000)); /* still dripping */
  vbx__gateway_admission ad;
  vbx__gateway_admission_counts(t.gw, &ad);
  printf(
      "measure: %u slow-drip attackers: real client served 5/5, slowest %.1f ms; "
      "attacker connections opened %u, cut %u; gateway evicted %llu, trusted at accept %llu\n",
      attackers, MS(worst), drip_opened(d), drip_cut(d), (unsigned long long)ad.evicted,
      (unsigned long long)ad.trusted_early);
  assert_true(worst < 5000000000ull);
  assert_true(ad.evicted > 0); /* the attackers did compete for the slots */
  assert_int_equal(ad.refused, 0);
  drip_stop(d);
  gwt_stop(&t);
}

static void slow_drip_16(void **s) {
  (void)s;
  run_slow_drip(16);
}
static void slow_drip_100(void **s) {
  (void)s;
  run_slow_drip(100);
}

/* ---- header deadline ------------------------------------------------------ */

/* POST a buffered request on fd (a keep-alive connection) and read the
 * whole answer; returns its status. */
static int post_on(int fd, raw_buf *b) {
  char *body = client_request(0);
  char *req = raw_post(GW_TOKEN, body);
  assert_int_equal(raw_send(fd, req, strlen(req)), 0);
  free(req);
  free(body);
  b->len = 0;
  b->data[0] = 0;
  return raw_recv_response(fd, b, 10000);
}

static void header_deadline(void **s) {
  (void)s;
  char stream[8192];
  snprintf(stream, sizeof(stream), "%s%s", PW_OLLAMA.part1, PW_OLLAMA.part2);
  fs_part parts[] = {{stream, 0}, {NULL, 0}};
  fs_response script[] = {{200, PW_OLLAMA.ctype, NULL, NULL, parts, 0, 0},
                          {200, PW_OLLAMA.ctype, NULL, NULL, parts, 0, 0}};
  fake_server *fs = fs_start(script, 2);
  assert_non_null(fs);
  gwt t;
  gwt_opts o = {0};
  o.header_timeout_secs = 1;
  assert_int_equal(gwt_start_opts(&t, &PW_OLLAMA, fs_url(fs), &o), 0);
  uint16_t port = vbx__gateway_port(t.gw);
  raw_buf *a = calloc(1, sizeof(*a)), *q = calloc(1, sizeof(*q));
  assert_non_null(a);
  assert_non_null(q);
  /* An authenticated keep-alive connection, opened first. */
  int afd = raw_connect(port);
  assert_true(afd >= 0);
  assert_int_equal(post_on(afd, a), 200);
  assert_null(strstr(a->data, "Connection: close"));
  /* A dripper and a silent connection, opened after it. */
  uint64_t t0 = raw_now_ns();
  int silent = raw_connect(port);
  assert_true(silent >= 0);
  drip *d = drip_start(port, 1, 100, 0);
  assert_non_null(d);
  uint64_t cut = drip_wait_cut(d, 1, 15000);
  assert_true(cut != 0);
  printf("measure: header deadline 1 s: dripper cut after %.0f ms (%llu bytes dripped)\n",
         MS(cut - t0), (unsigned long long)drip_bytes(d));
  assert_true(drip_bytes(d) >= 3);                    /* it was dripping, not idle */
  assert_true(cut - t0 < 4000000000ull);              /* 1 s deadline, generous bound */
  assert_true(raw_recv_until(silent, q, NULL, 4000)); /* the silent one is closed too */
  assert_int_equal(q->len, 0);                        /* ...without an answer */
  printf("measure: header deadline 1 s: silent connection closed after %.0f ms\n",
         MS(raw_now_ns() - t0));
  /* The authenticated connection is older than both, yet still served. */
  assert_int_equal(post_on(afd, a), 200);
  assert_int_equal(fs_count(fs), 2);
  vbx__gateway_admission ad;
  vbx__gateway_admission_counts(t.gw, &ad);
  assert_int_equal(ad.expired, 2); /* the dripper and the silent one */
  assert_int_equal(ad.evicted, 0);
  drip_stop(d);
  close(afd);
  close(silent);
  free(a);
  free(q);
  gwt_stop(&t);
  fs_stop(fs);
}

/* ---- client disconnect ---------------------------------------------------- */

typedef struct held {
  gate_server *g;
  gwt t;
  int fd;
  raw_buf *b;
} held;

/* A gateway in front of an anthropic upstream that sends the first text
 * piece and then holds; a raw client has sent a request and (streaming) has
 * seen the first text_delta or (buffered) the upstream has the request. */
static void held_start(held *h, int stream) {
  h->g = gs_start_held(PW_ANTHROPIC.ctype, PW_ANTHROPIC.part1, PW_ANTHROPIC.part2, 60000);
  assert_non_null(h->g);
  assert_int_equal(gwt_start(&h->t, &PW_ANTHROPIC, gs_url(h->g), NULL, NULL), 0);
  h->b = calloc(1, sizeof(*h->b));
  assert_non_null(h->b);
  h->fd = raw_connect(vbx__gateway_port(h->t.gw));
  assert_true(h->fd >= 0);
  char *body = client_request(stream);
  char *req = raw_post(GW_TOKEN, body);
  assert_int_equal(raw_send(h->fd, req, strlen(req)), 0);
  free(req);
  free(body);
  assert_true(gs_wait_request(h->g, 10000));
  if (stream) assert_true(raw_recv_until(h->fd, h->b, "\"text_delta\"", 10000));
}

static void held_finish(held *h) {
  if (h->fd >= 0) close(h->fd);
  if (h->t.gw) gwt_stop(&h->t);
  assert_int_equal(gs_finish(h->g), 0); /* the gate never opened */
  free(h->b);
}

static void run_disconnect(int stream) {
  held h;
  held_start(&h, stream);
  uint64_t t0 = raw_now_ns();
  close(h.fd);
  h.fd = -1;
  uint64_t closed = gs_wait_closed(h.g, 40000);
  assert_true(closed != 0);
  printf("measure: client disconnect (%s): upstream call held %.0f ms after the client closed\n",
         stream ? "streaming" : "buffered", MS(closed - t0));
  assert_true(closed - t0 < 3000000000ull);
  held_finish(&h);
}

static void disconnect_stream(void **s) {
  (void)s;
  run_disconnect(1);
}
static void disconnect_buffered(void **s) {
  (void)s;
  run_disconnect(0);
}

/* ---- stop with a request in flight ---------------------------------------- */

static void run_stop(int stream) {
  held h;
  held_start(&h, stream);
  uint64_t t0 = raw_now_ns();
  gwt_stop(&h.t);
  uint64_t took = raw_now_ns() - t0;
  printf("measure: stop with a %s request in flight took %.0f ms\n",
         stream ? "streaming" : "buffered", MS(took));
  assert_true(took < 5000000000ull);
  /* Whatever the gateway sent before closing is in the socket buffer. */
  assert_true(raw_recv_until(h.fd, h.b, NULL, 5000));
  if (stream) {
    assert_non_null(strstr(h.b->data, "HTTP/1.1 200"));
    char *ev = strstr(h.b->data, "event: error\r\n");
    if (ev == NULL) ev = strstr(h.b->data, "event: error\n");
    assert_non_null(ev);
    assert_non_null(strstr(ev, "\"overloaded_error\""));
    assert_non_null(strstr(ev, "\r\n0\r\n\r\n")); /* the chunked stream ended properly */
  } else {
    assert_non_null(strstr(h.b->data, "HTTP/1.1 503"));
    const char *body = strstr(h.b->data, "\r\n\r\n");
    assert_non_null(body);
    json_t *j = json_loads(body + 4, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "error");
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "type")), "overloaded_error");
    assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "stopping"));
    json_decref(j);
  }
  held_finish(&h);
}

static void stop_buffered(void **s) {
  (void)s;
  run_stop(0);
}
static void stop_stream(void **s) {
  (void)s;
  run_stop(1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(header_deadline),     cmocka_unit_test(slow_drip_16),
      cmocka_unit_test(slow_drip_100),       cmocka_unit_test(disconnect_stream),
      cmocka_unit_test(disconnect_buffered), cmocka_unit_test(stop_buffered),
      cmocka_unit_test(stop_stream),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
