/*
 * test_netstack_link - the guest's side of netstack (link.h): Ethernet
 * frames behind 4-byte big-endian lengths over a socketpair, frames whose
 * prefix arrives in pieces, lengths that end the link, and the bounded
 * buffer toward the guest.
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

#include "link.h"

/* ---- link ---- */

typedef struct got {
  size_t n;
  size_t len[8];
  uint8_t first[8][64];
} got;

static void on_frame(void *user, uint8_t *f, size_t len) {
  got *g = user;
  assert_true(g->n < 8);
  g->len[g->n] = len;
  memcpy(g->first[g->n], f, len < 64 ? len : 64);
  g->n++;
}

static ns_link *link_pair(int *peer) {
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  ns_link *l = malloc(sizeof *l);
  assert_non_null(l);
  assert_int_equal(ns_link_init(l, sv[0]), 0);
  assert_true(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
  *peer = sv[1];
  return l;
}

static void put_len(uint8_t *p, uint32_t n) {
  p[0] = (uint8_t)(n >> 24), p[1] = (uint8_t)(n >> 16), p[2] = (uint8_t)(n >> 8);
  p[3] = (uint8_t)n;
}

static void test_link_read(void **state) {
  (void)state;
  int peer;
  ns_link *l = link_pair(&peer);
  got g = {0};
  uint8_t buf[256];
  for (int i = 0; i < 100; i++)
    buf[4 + i] = (uint8_t)i;
  put_len(buf, 100);
  /* Nothing there yet. */
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  /* The prefix in two writes, then half the frame, then the rest. */
  assert_int_equal(write(peer, buf, 2), 2);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 0);
  assert_int_equal(write(peer, buf + 2, 2), 2);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 0);
  assert_int_equal(write(peer, buf + 4, 50), 50);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 0);
  assert_int_equal(write(peer, buf + 54, 49), 49); /* one byte short */
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 0);
  assert_int_equal(write(peer, buf + 103, 1), 1);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 1);
  assert_int_equal(g.len[0], 100);
  assert_memory_equal(g.first[0], buf + 4, 64);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 1); /* once */
  /* Two frames and the first byte of a third in one write. */
  uint8_t two[4 + 3 + 4 + 1 + 1];
  put_len(two, 3);
  memcpy(two + 4, "abc", 3);
  put_len(two + 7, 1);
  two[11] = 'z';
  two[12] = 0;
  assert_int_equal(write(peer, two, sizeof two), (ssize_t)sizeof two);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 3);
  assert_int_equal(g.len[1], 3);
  assert_memory_equal(g.first[1], "abc", 3);
  assert_int_equal(g.len[2], 1);
  assert_int_equal(g.first[2][0], 'z');
  assert_int_equal(l->in_len, 1);
  /* The largest length is accepted (waits for its bytes). */
  uint8_t rest[3];
  put_len(buf, NS_FRAME_MAX);
  memcpy(rest, buf + 1, 3); /* buf[0] is 0, like the byte already there */
  assert_int_equal(buf[0], 0);
  assert_int_equal(write(peer, rest, 3), 3);
  assert_int_equal(ns_link_read(l, on_frame, &g), 0);
  assert_int_equal(g.n, 3);
  assert_string_equal(l->why, "");
  /* The peer closes. */
  close(peer);
  assert_int_equal(ns_link_read(l, on_frame, &g), -1);
  assert_string_equal(l->why, "the guest side closed the link");
  ns_link_fini(l);
  free(l);
}

static void test_link_bad_length(void **state) {
  (void)state;
  static const uint32_t lens[] = {0, NS_FRAME_MAX + 1, 0xffffffffu};
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    int peer;
    ns_link *l = link_pair(&peer);
    got g = {0};
    uint8_t buf[4 + 5 + 4];
    put_len(buf, 5);
    memcpy(buf + 4, "hello", 5);
    put_len(buf + 9, lens[i]);
    assert_int_equal(write(peer, buf, sizeof buf), (ssize_t)sizeof buf);
    assert_int_equal(ns_link_read(l, on_frame, &g), -1);
    assert_int_equal(g.n, 1); /* the frame before it was delivered */
    char want[160];
    snprintf(want, sizeof want, "the guest side sent a frame length of %u (1..65550)", lens[i]);
    assert_string_equal(l->why, want);
    close(peer);
    ns_link_fini(l);
    free(l);
  }
}

/* Read exactly n bytes from fd (blocking). */
static void read_all(int fd, uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    assert_true(r > 0);
    p += r;
    n -= (size_t)r;
  }
}

static void test_link_send(void **state) {
  (void)state;
  int peer;
  ns_link *l = link_pair(&peer);
  static uint8_t frame[65536];
  /* 15 frames of 64 KiB fit the 1 MiB buffer (4 + 65536 each), the 16th not. */
  for (int i = 0; i < 16; i++) {
    memset(frame, 'A' + i, sizeof frame);
    ns_link_send(l, frame, sizeof frame);
  }
  assert_int_equal(l->out_len, 15 * (4 + 65536));
  assert_int_equal(l->out_dropped, 1);
  ns_link_send(l, frame, 0);                /* nothing */
  ns_link_send(l, frame, NS_FRAME_MAX + 1); /* too long for the wire: dropped, counted */
  assert_int_equal(l->out_len, 15 * (4 + 65536));
  assert_int_equal(l->out_dropped, 2);
  /* Flush what the socket takes (a small send buffer), read it, flush
   * again: the frames arrive whole and in order. */
  int sndbuf = 65536;
  assert_int_equal(setsockopt(l->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf), 0);
  size_t have = 0, total = 15 * (4 + 65536);
  uint8_t *got_b = malloc(16 * (4 + 65536));
  assert_non_null(got_b);
  int rounds = 0;
  while (have < total) {
    assert_int_equal(ns_link_flush(l), 0);
    size_t sent = total - l->out_len;
    assert_true(sent > have);
    read_all(peer, got_b + have, sent - have);
    have = sent;
    if (++rounds == 1) {
      /* Part sent: a 64 KiB frame fits again once the rest moves down. */
      assert_true(l->out_len > 0 && l->out_off > 0);
      memset(frame, 'Z', sizeof frame);
      ns_link_send(l, frame, sizeof frame);
      assert_int_equal(l->out_dropped, 2);
      assert_int_equal(l->out_off, 0);
      total += 4 + 65536;
    }
    assert_true(rounds < 10000);
  }
  assert_true(rounds > 2);
  assert_int_equal(l->out_len, 0);
  for (int i = 0; i < 16; i++) {
    const uint8_t *p = got_b + (size_t)i * (4 + 65536);
    assert_memory_equal(p, "\x00\x01\x00\x00", 4);
    int want = i < 15 ? 'A' + i : 'Z';
    assert_int_equal(p[4], want);
    assert_int_equal(p[4 + 65535], want);
  }
  free(got_b);
  assert_int_equal(l->out_dropped, 2);
  /* The peer gone: the next flush ends the link. */
  close(peer);
  ns_link_send(l, frame, 10);
  assert_int_equal(ns_link_flush(l), -1);
  assert_string_equal(l->why, "write: Broken pipe");
  ns_link_fini(l);
  free(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_link_read),
      cmocka_unit_test(test_link_bad_length),
      cmocka_unit_test(test_link_send),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
