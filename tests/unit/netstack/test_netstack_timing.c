/*
 * test_netstack_timing - netstack's state over time on a simulated clock:
 * the rate shaper's token bucket and bounded queue (shaper.h), and the
 * flow table's timings and capacity (flows.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "flows.h"
#include "shaper.h"

#define SEC 1000000000ull

/* ---- shaper ---- */

typedef struct sink {
  uint64_t bytes, frames;
  size_t last_len;
} sink;

static void emit(void *user, const uint8_t *f, size_t len) {
  sink *k = user;
  (void)f;
  k->bytes += len;
  k->frames++;
  k->last_len = len;
}

static void test_shaper_rate(void **state) {
  (void)state;
  /* kbps, bytes per second, bucket depth. */
  static const struct {
    uint32_t kbps;
    uint64_t rate, burst;
  } rows[] = {{100, 12500, 4 * 1514}, {1000, 125000, 6250}, {8000, 1000000, 50000}};
  uint8_t frame[1000];
  memset(frame, 0xab, sizeof frame);
  for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
    ns_shaper s;
    sink k = {0};
    const uint64_t t0 = 5 * SEC;
    ns_shaper_init(&s, rows[r].kbps, t0);
    assert_int_equal(s.rate, rows[r].rate);
    assert_int_equal(s.burst, rows[r].burst);
    /* Offer far more than the rate: 4 frames every millisecond. */
    for (uint64_t ms = 0; ms <= 10000; ms++) {
      uint64_t now = t0 + ms * 1000000ull;
      ns_shaper_run(&s, now, emit, &k);
      for (int i = 0; i < 4; i++)
        ns_shaper_push(&s, frame, sizeof frame, now, emit, &k);
      /* The bucket never lets more through than burst + rate * t. */
      double cap = (double)rows[r].burst + (double)rows[r].rate * (double)ms / 1000.0;
      if ((double)k.bytes > cap + 1)
        print_error("%u kbps at %llu ms: %llu bytes\n", rows[r].kbps, (unsigned long long)ms,
                    (unsigned long long)k.bytes);
      assert_true((double)k.bytes <= cap + 1);
      assert_true(s.queued <= NS_SHAPER_QUEUE_BYTES);
    }
    double want = (double)rows[r].rate * 10 + (double)rows[r].burst;
    double got = (double)k.bytes;
    if (got < want * 0.98 || got > want * 1.02)
      print_error("%u kbps: %.0f bytes in 10 s, want %.0f +- 2 %%\n", rows[r].kbps, got, want);
    assert_true(got >= want * 0.98 && got <= want * 1.02);
    assert_int_equal(s.passed_bytes, k.bytes);
    assert_true(s.dropped > 0);
    /* Each frame offered was emitted, is queued, or was dropped. */
    assert_int_equal(k.frames + s.queued / sizeof frame + s.dropped, 4 * 10001);
    ns_shaper_clear(&s);
    assert_int_equal(s.queued, 0);
    assert_null(s.head);
  }
}

static void test_shaper_queue(void **state) {
  (void)state;
  ns_shaper s;
  sink k = {0};
  uint8_t frame[1000] = {0};
  ns_shaper_init(&s, 1000, 0); /* 125000 B/s, burst 6250 */
  /* At one instant: 6 frames from the bucket, 262 queued (262000 of
   * 262144 bytes), the rest dropped. */
  for (int i = 0; i < 6 + 262 + 5; i++)
    ns_shaper_push(&s, frame, sizeof frame, 0, emit, &k);
  assert_int_equal(k.frames, 6);
  assert_int_equal(s.queued, 262000);
  assert_int_equal(s.dropped, 5);
  /* The next frame may go when 750 more bytes are in the bucket: 6 ms. */
  uint64_t wait = ns_shaper_run(&s, 0, emit, &k);
  assert_true(wait >= 6000000 && wait <= 6000002);
  assert_int_equal(k.frames, 6);
  assert_int_equal(ns_shaper_run(&s, 5999999, emit, &k) > 0, 1);
  assert_int_equal(k.frames, 6);
  ns_shaper_run(&s, 6000001, emit, &k);
  assert_int_equal(k.frames, 7);
  /* A frame pushed while others wait is queued behind them (FIFO), even
   * if the bucket could take it. */
  ns_shaper_run(&s, 6000001 + 8000000, emit, &k); /* 1000 B/8 ms */
  assert_int_equal(k.frames, 8);
  uint8_t small[60] = {0};
  ns_shaper_push(&s, small, sizeof small, 6000001 + 8000000, emit, &k);
  assert_int_equal(k.frames, 8);
  assert_int_equal(k.last_len, 1000);
  /* After enough time, all of it in order, the small one last. */
  assert_true(ns_shaper_run(&s, 10 * SEC, emit, &k) > 0);
  assert_true(k.frames < 6 + 262 + 1);
  uint64_t t = 10 * SEC;
  while (s.head != NULL) {
    t += SEC;
    ns_shaper_run(&s, t, emit, &k);
  }
  assert_int_equal(k.frames, 6 + 262 + 1);
  assert_int_equal(k.last_len, 60);
  assert_int_equal(ns_shaper_run(&s, t, emit, &k), 0);
  ns_shaper_clear(&s);
}

static void test_shaper_unlimited(void **state) {
  (void)state;
  ns_shaper s;
  sink k = {0};
  uint8_t frame[1514] = {0};
  ns_shaper_init(&s, 0, 0);
  assert_int_equal(s.rate, 0);
  for (int i = 0; i < 10000; i++)
    ns_shaper_push(&s, frame, sizeof frame, 0, emit, &k);
  assert_int_equal(k.frames, 10000);
  assert_int_equal(k.bytes, 15140000);
  assert_int_equal(s.queued, 0);
  assert_int_equal(s.dropped, 0);
  assert_null(s.head);
  assert_int_equal(ns_shaper_run(&s, 0, emit, &k), 0);
  ns_shaper_clear(&s);
}

/* ---- flows ---- */

static void test_flows_timings(void **state) {
  (void)state;
  ns_flows *t = malloc(sizeof *t);
  assert_non_null(t);
  ns_flows_init(t);
  const uint64_t t0 = 1000 * SEC;
  uint32_t d = htonl(0x5db8d822u);
  ns_flow *tcp = ns_flows_add(t, 6, 40000, d, 443, false, t0);
  ns_flow *udp = ns_flows_add(t, 17, 40000, d, 443, false, t0);
  ns_flow *gw = ns_flows_add(t, 6, 40001, htonl(0x0a000202u), 4000, true, t0);
  assert_non_null(tcp);
  assert_non_null(udp);
  assert_non_null(gw);
  assert_ptr_not_equal(tcp, udp);
  assert_int_equal(t->n_open, 3);
  assert_int_equal(t->n_gateway, 1);
  assert_int_equal(t->n_used, 3);
  assert_ptr_equal(ns_flows_find(t, 6, 40000, d, 443), tcp);
  assert_ptr_equal(ns_flows_find(t, 17, 40000, d, 443), udp);
  assert_null(ns_flows_find(t, 6, 40002, d, 443));
  assert_null(ns_flows_find(t, 6, 40000, d, 444));
  assert_null(ns_flows_find(t, 6, 40000, d + 1, 443));
  assert_int_equal(tcp->last_ns, t0);
  assert_int_equal(tcp->proto, 6);
  assert_int_equal(tcp->gport, 40000);
  assert_int_equal(tcp->daddr, d);
  assert_int_equal(tcp->dport, 443);
  /* Close: not counted any more; twice is once. */
  ns_flows_close(t, tcp);
  assert_true(tcp->closing);
  assert_int_equal(t->n_open, 2);
  ns_flows_close(t, tcp);
  assert_int_equal(t->n_open, 2);
  ns_flows_close(t, gw);
  assert_int_equal(t->n_gateway, 0);
  assert_int_equal(t->n_open, 1);
  /* Closing flows go after 10 s idle, UDP after 60 s, open TCP after 2 h. */
  ns_flow *open_tcp = ns_flows_add(t, 6, 40003, d, 443, false, t0);
  assert_int_equal(ns_flows_expire(t, t0 + 10 * SEC), 0);
  assert_int_equal(ns_flows_expire(t, t0 + 10 * SEC + 1), 2);
  assert_null(ns_flows_find(t, 6, 40000, d, 443));
  assert_null(ns_flows_find(t, 6, 40001, htonl(0x0a000202u), 4000));
  assert_ptr_equal(ns_flows_find(t, 17, 40000, d, 443), udp);
  assert_int_equal(t->n_used, 2);
  assert_int_equal(t->n_open, 2);
  assert_int_equal(ns_flows_expire(t, t0 + 60 * SEC), 0);
  udp->last_ns = t0 + 30 * SEC; /* used since */
  assert_int_equal(ns_flows_expire(t, t0 + 61 * SEC), 0);
  assert_int_equal(ns_flows_expire(t, t0 + 90 * SEC + 1), 1);
  assert_null(ns_flows_find(t, 17, 40000, d, 443));
  assert_int_equal(t->n_open, 1);
  assert_ptr_equal(ns_flows_find(t, 6, 40003, d, 443), open_tcp);
  assert_int_equal(ns_flows_expire(t, t0 + 7200 * SEC), 0);
  assert_int_equal(ns_flows_expire(t, t0 + 7200 * SEC + 1), 1);
  assert_int_equal(t->n_used, 0);
  assert_int_equal(t->n_open, 0);
  free(t);
}

static void test_flows_full(void **state) {
  (void)state;
  ns_flows *t = malloc(sizeof *t);
  assert_non_null(t);
  ns_flows_init(t);
  uint32_t d = htonl(0x5db8d822u);
  /* Fill the table; every flow stays findable through its chain. */
  for (uint32_t i = 0; i < NS_FLOWS_MAX; i++) {
    ns_flow *f = ns_flows_add(t, 6, (uint16_t)(10000 + i), d, 443, false, SEC + i);
    assert_non_null(f);
  }
  assert_int_equal(t->n_used, NS_FLOWS_MAX);
  assert_int_equal(t->n_open, NS_FLOWS_MAX);
  assert_null(ns_flows_add(t, 6, 9999, d, 443, false, 2 * SEC));
  assert_int_equal(t->n_used, NS_FLOWS_MAX);
  for (uint32_t i = 0; i < NS_FLOWS_MAX; i++)
    assert_non_null(ns_flows_find(t, 6, (uint16_t)(10000 + i), d, 443));
  /* Full but with closing flows: the oldest closing one makes room. */
  ns_flows_close(t, ns_flows_find(t, 6, 10100, d, 443));
  ns_flows_close(t, ns_flows_find(t, 6, 10050, d, 443));
  ns_flow *f = ns_flows_add(t, 6, 9999, d, 443, false, 2 * SEC);
  assert_non_null(f);
  assert_null(ns_flows_find(t, 6, 10050, d, 443));
  assert_non_null(ns_flows_find(t, 6, 10100, d, 443));
  assert_ptr_equal(ns_flows_find(t, 6, 9999, d, 443), f);
  assert_int_equal(t->n_used, NS_FLOWS_MAX);
  assert_int_equal(t->n_open, NS_FLOWS_MAX - 1);
  /* Remove every other flow; the rest are all still found. */
  for (uint32_t i = 0; i < NS_FLOWS_MAX; i += 2) {
    ns_flow *g = ns_flows_find(t, 6, (uint16_t)(10000 + i), d, 443);
    if (g != NULL) ns_flows_close(t, g), g->last_ns = 0;
  }
  size_t gone = ns_flows_expire(t, 11 * SEC);
  assert_int_equal(gone, NS_FLOWS_MAX / 2 - 1); /* 10050 was already gone */
  for (uint32_t i = 1; i < NS_FLOWS_MAX; i += 2) {
    ns_flow *g = ns_flows_find(t, 6, (uint16_t)(10000 + i), d, 443);
    assert_non_null(g);
    assert_int_equal(g->gport, 10000 + i);
  }
  for (uint32_t i = 0; i < NS_FLOWS_MAX; i += 2)
    assert_null(ns_flows_find(t, 6, (uint16_t)(10000 + i), d, 443));
  assert_int_equal(t->n_used, NS_FLOWS_MAX - gone);
  /* The freed places are used again. */
  for (uint32_t i = 0; i < gone; i++)
    assert_non_null(ns_flows_add(t, 17, (uint16_t)(20000 + i), d, 53, false, 12 * SEC));
  assert_null(ns_flows_add(t, 17, 30000, d, 53, false, 12 * SEC));
  free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shaper_rate),      cmocka_unit_test(test_shaper_queue),
      cmocka_unit_test(test_shaper_unlimited), cmocka_unit_test(test_flows_timings),
      cmocka_unit_test(test_flows_full),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
