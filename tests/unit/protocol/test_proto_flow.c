/*
 * test_proto_flow.c - credit accounting (sender) and grant policy
 * (receiver), including a simulated exchange that must never overrun.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "voidbox/protocol/protocol.h"

static void test_credit_basic(void **state) {
  struct vbx_proto_credit c;

  (void)state;
  vbx_proto_credit_init(&c);
  assert_int_equal(vbx_proto_credit_available(&c), VBX_PROTO_INITIAL_WINDOW);
  assert_int_equal(vbx_proto_credit_consume(&c, 1000), 0);
  assert_int_equal(vbx_proto_credit_available(&c), VBX_PROTO_INITIAL_WINDOW - 1000);
  assert_int_equal(vbx_proto_credit_consume(&c, VBX_PROTO_INITIAL_WINDOW), VBX_PROTO_E_AGAIN);
  assert_int_equal(vbx_proto_credit_consume(&c, VBX_PROTO_INITIAL_WINDOW - 1000), 0);
  assert_int_equal(vbx_proto_credit_available(&c), 0);
  assert_int_equal(vbx_proto_credit_consume(&c, 1), VBX_PROTO_E_AGAIN);
  assert_int_equal(vbx_proto_credit_grant(&c, 0), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(vbx_proto_credit_grant(&c, 500), 0);
  assert_int_equal(vbx_proto_credit_available(&c), 500);
  /* outstanding credit may not exceed VBX_PROTO_MAX_WINDOW */
  assert_int_equal(vbx_proto_credit_grant(&c, VBX_PROTO_MAX_WINDOW), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(vbx_proto_credit_available(&c), 500);
  assert_int_equal(vbx_proto_credit_grant(&c, VBX_PROTO_MAX_WINDOW - 500), 0);
  assert_int_equal(vbx_proto_credit_available(&c), VBX_PROTO_MAX_WINDOW);
}

static void test_window_overrun_is_protocol_error(void **state) {
  struct vbx_proto_window w;

  (void)state;
  vbx_proto_window_init(&w, 0);
  assert_int_equal(w.window, VBX_PROTO_INITIAL_WINDOW);
  assert_int_equal(vbx_proto_window_on_data(&w, VBX_PROTO_INITIAL_WINDOW), 0);
  assert_int_equal(vbx_proto_window_on_data(&w, 1), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(vbx_proto_window_buffered(&w), VBX_PROTO_INITIAL_WINDOW);
  assert_int_equal(vbx_proto_window_on_consumed(&w, VBX_PROTO_INITIAL_WINDOW + 1),
                   VBX_PROTO_E_INVAL);
}

static void test_window_grant_policy(void **state) {
  struct vbx_proto_window w;
  uint32_t g;

  (void)state;
  vbx_proto_window_init(&w, 1024 * 1024);
  /* bigger window than the initial one: a grant is due immediately */
  g = vbx_proto_window_grant(&w);
  assert_int_equal(g, 1024 * 1024 - VBX_PROTO_INITIAL_WINDOW);
  assert_int_equal(vbx_proto_window_grant(&w), 0);
  assert_int_equal(vbx_proto_window_on_data(&w, 1024 * 1024), 0);
  /* nothing consumed: no grant, the buffer is full */
  assert_int_equal(vbx_proto_window_grant(&w), 0);
  /* small consumption: below half the window, no grant (no tiny updates) */
  assert_int_equal(vbx_proto_window_on_consumed(&w, 1000), 0);
  assert_int_equal(vbx_proto_window_grant(&w), 0);
  assert_int_equal(vbx_proto_window_on_consumed(&w, 512 * 1024), 0);
  g = vbx_proto_window_grant(&w);
  assert_int_equal(g, 512 * 1024 + 1000);
  assert_true(w.granted - w.consumed <= w.window);
}

/* The grant threshold exactly: with the peer's credit used up, a
 * WINDOW_UPDATE is due once half a window (window / 2, rounded down) has
 * been consumed, not one byte earlier, and it tops the credit up to
 * consumed + window. Checked for an even and an odd window. */
static void test_window_grant_threshold(void **state) {
  static const uint32_t windows[] = {VBX_PROTO_INITIAL_WINDOW, 1024 * 1024 + 1};
  struct vbx_proto_window w;
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
    uint32_t win = windows[i], half = win / 2;

    vbx_proto_window_init(&w, win);
    /* the initial window is implicit; a larger one is granted up front */
    if (win > VBX_PROTO_INITIAL_WINDOW)
      assert_int_equal(vbx_proto_window_grant(&w), win - VBX_PROTO_INITIAL_WINDOW);
    assert_int_equal(vbx_proto_window_on_data(&w, win), 0);
    assert_int_equal(vbx_proto_window_on_consumed(&w, half - 1), 0);
    assert_int_equal(vbx_proto_window_grant(&w), 0); /* one byte short */
    assert_int_equal(vbx_proto_window_on_consumed(&w, 1), 0);
    assert_int_equal(vbx_proto_window_grant(&w), half); /* exactly at it */
    assert_int_equal(w.granted, (uint64_t)half + win);
    assert_int_equal(vbx_proto_window_grant(&w), 0); /* and only once */
  }
}

/* What a receiver sends for a stream: 16 MiB through a 256 KiB window,
 * the sender always filling its credit in 16 KiB frames and the consumer
 * draining 1 KiB at a time, asking for a grant after each drain (as the
 * guest agent and the host do). Exactly one WINDOW_UPDATE per half window
 * consumed, each of exactly half a window. */
static void test_window_update_count(void **state) {
  const uint64_t total = 16u * 1024 * 1024;
  const uint32_t half = VBX_PROTO_INITIAL_WINDOW / 2;
  struct vbx_proto_credit c;
  struct vbx_proto_window w;
  uint64_t sent = 0, drained = 0;
  unsigned updates = 0;
  uint32_t g;

  (void)state;
  /* the implicit window is part of the wire format (docs/protocol.md 5) */
  assert_int_equal(VBX_PROTO_INITIAL_WINDOW, 262144);
  vbx_proto_credit_init(&c);
  vbx_proto_window_init(&w, VBX_PROTO_INITIAL_WINDOW);
  while (drained < total) {
    while (sent < total && vbx_proto_credit_available(&c) > 0) {
      uint32_t n = vbx_proto_credit_available(&c);
      if (n > 16384) n = 16384;
      if (n > total - sent) n = (uint32_t)(total - sent);
      assert_int_equal(vbx_proto_credit_consume(&c, n), 0);
      assert_int_equal(vbx_proto_window_on_data(&w, n), 0);
      sent += n;
    }
    assert_true(vbx_proto_window_buffered(&w) > 0);
    assert_int_equal(vbx_proto_window_on_consumed(&w, 1024), 0);
    drained += 1024;
    g = vbx_proto_window_grant(&w);
    if (g) {
      assert_int_equal(g, half);
      assert_int_equal(drained % half, 0);
      assert_int_equal(vbx_proto_credit_grant(&c, g), 0);
      updates++;
    }
  }
  assert_int_equal(updates, 128); /* 16 MiB / 128 KiB */
}

/* Simulate a fast sender and a slow consumer over many rounds: the sender
 * never exceeds its credit, the receiver never buffers more than its window,
 * and every byte arrives. */
static void test_flow_simulation(void **state) {
  struct vbx_proto_credit c;
  struct vbx_proto_window w;
  uint64_t total = 0, drained = 0;
  uint32_t chunk, g;
  int round;

  (void)state;
  vbx_proto_credit_init(&c);
  vbx_proto_window_init(&w, 300 * 1024);
  for (round = 0; round < 10000; round++) {
    chunk = vbx_proto_credit_available(&c);
    if (chunk > 65536) chunk = 65536;
    if (chunk) {
      assert_int_equal(vbx_proto_credit_consume(&c, chunk), 0);
      assert_int_equal(vbx_proto_window_on_data(&w, chunk), 0);
      total += chunk;
    }
    assert_true(vbx_proto_window_buffered(&w) <= w.window);
    /* consumer drains a little each round */
    chunk = vbx_proto_window_buffered(&w);
    if (chunk > 7000) chunk = 7000;
    assert_int_equal(vbx_proto_window_on_consumed(&w, chunk), 0);
    drained += chunk;
    g = vbx_proto_window_grant(&w);
    if (g) assert_int_equal(vbx_proto_credit_grant(&c, g), 0);
  }
  assert_true(total > 10u * 1024 * 1024);
  assert_int_equal(total - drained, vbx_proto_window_buffered(&w));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_credit_basic),
      cmocka_unit_test(test_window_overrun_is_protocol_error),
      cmocka_unit_test(test_window_grant_policy),
      cmocka_unit_test(test_window_grant_threshold),
      cmocka_unit_test(test_window_update_count),
      cmocka_unit_test(test_flow_simulation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
