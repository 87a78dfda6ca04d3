/*
 * test_proto_tunnel.c - the tunnel state machine (voidbox/protocol/
 * tunnel.h): two ends joined back to back in memory, each with a pretend
 * socket (bytes its application writes, bytes it reads), pumped the way
 * the guest agent and the host pump theirs: 1 MiB each way intact under
 * credit with a slow reader, half-close and clean close from either side,
 * resets with data in flight, and every rule the peer can break.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "voidbox/protocol/protocol.h"

#define ID 0x80000001u
#define BIG (1u << 20)

/* One end: the state machine, its ring, and its pretend socket. */
struct end {
  struct vbx_proto_tunnel t;
  uint8_t *ring;
  const uint8_t *src; /* what the local application sends */
  size_t src_len, src_off;
  int src_eof;   /* the application closes its write side after src */
  uint8_t *sink; /* what reached the local application */
  size_t sink_len, sink_cap;
  size_t sink_room; /* bytes the socket takes per pump (slow reader) */
  int shut, closed;
  struct vbx_proto_buf wire; /* frames towards the peer */
};

static void end_init(struct end *e, const uint8_t *src, size_t n) {
  memset(e, 0, sizeof *e);
  e->ring = malloc(VBX_PROTO_INITIAL_WINDOW);
  e->sink_cap = BIG + 16;
  e->sink = malloc(e->sink_cap);
  assert_non_null(e->ring);
  assert_non_null(e->sink);
  assert_int_equal(vbx_proto_tunnel_init(&e->t, ID, e->ring, VBX_PROTO_INITIAL_WINDOW), 0);
  e->src = src;
  e->src_len = n;
  e->sink_room = SIZE_MAX;
  vbx_proto_buf_init_growable(&e->wire, 64u << 20);
}

static void end_fini(struct end *e) {
  free(e->ring);
  free(e->sink);
  vbx_proto_buf_fini(&e->wire);
}

/* One round of the endpoint loop: socket -> TUNNEL_DATA under credit,
 * ring -> socket, the socket's EOF, shutdown and close when asked, then
 * every due control frame. */
static void pump(struct end *e) {
  uint32_t room;
  while ((room = vbx_proto_tunnel_room(&e->t)) > 0 && e->src_off < e->src_len) {
    size_t n = e->src_len - e->src_off;
    if (n > room) n = room;
    if (n > 70000) n = 70000;
    uint64_t off;
    assert_int_equal(vbx_proto_tunnel_sent(&e->t, (uint32_t)n, &off), 0);
    assert_int_equal(off, e->src_off);
    struct vbx_proto_data d = {off, e->src + e->src_off, (uint32_t)n};
    assert_int_equal(vbx_proto_encode_data(&e->wire, VBX_PROTO_T_TUNNEL_DATA, ID, &d), 0);
    e->src_off += n;
  }
  if (e->src_eof && e->src_off == e->src_len &&
      (vbx_proto_tunnel_wants(&e->t) & VBX_PROTO_TUN_WANT_READ))
    vbx_proto_tunnel_read_eof(&e->t);
  const uint8_t *p;
  uint32_t n;
  size_t budget = e->sink_room;
  while (budget > 0 && (n = vbx_proto_tunnel_pending(&e->t, &p)) > 0) {
    if (n > budget) n = (uint32_t)budget;
    assert_true(e->sink_len + n <= e->sink_cap);
    memcpy(e->sink + e->sink_len, p, n);
    e->sink_len += n;
    budget -= n;
    vbx_proto_tunnel_written(&e->t, n);
  }
  unsigned w = vbx_proto_tunnel_wants(&e->t);
  if (w & VBX_PROTO_TUN_WANT_SHUTDOWN) {
    e->shut = 1;
    vbx_proto_tunnel_shutdown_done(&e->t);
  }
  if (vbx_proto_tunnel_wants(&e->t) & VBX_PROTO_TUN_WANT_CLOSE) {
    e->closed = 1;
    vbx_proto_tunnel_closed(&e->t);
  }
  int rc;
  while ((rc = vbx_proto_tunnel_next_frame(&e->t, &e->wire)) == 1)
    ;
  assert_int_equal(rc, 0);
}

/* Deliver every frame `from` wrote to `to`; returns the first error of
 * vbx_proto_tunnel_recv (0 when all were taken). */
static int deliver(struct end *from, struct end *to) {
  size_t off = 0, flen;
  int rc = 0;
  while (off < from->wire.len && rc == 0) {
    struct vbx_proto_frame f;
    struct vbx_proto_msg m;
    assert_int_equal(
        vbx_proto_frame_parse(from->wire.data + off, from->wire.len - off, 0, &f, &flen), 0);
    assert_int_equal(vbx_proto_decode_msg(&f, &m), 0);
    if (m.type == VBX_PROTO_T_TUNNEL_OPENED)
      vbx_proto_tunnel_open(&to->t);
    else
      rc = vbx_proto_tunnel_recv(&to->t, &m);
    off += flen;
  }
  vbx_proto_buf_reset(&from->wire);
  return rc;
}

/* The host opens (sends OPENED), the guest receives it. */
static void open_pair(struct end *g, struct end *h) {
  vbx_proto_tunnel_open(&h->t);
  assert_int_equal(vbx_proto_encode_empty(&h->wire, VBX_PROTO_T_TUNNEL_OPENED, ID), 0);
  assert_int_equal(deliver(h, g), 0);
}

static int done(const struct end *e) {
  return (vbx_proto_tunnel_wants(&e->t) & VBX_PROTO_TUN_DONE) != 0;
}

/* Pump both ends until both are done (or rounds run out). */
static int run(struct end *g, struct end *h, int rounds) {
  for (int i = 0; i < rounds && !(done(g) && done(h)); i++) {
    pump(g);
    assert_int_equal(deliver(g, h), 0);
    pump(h);
    assert_int_equal(deliver(h, g), 0);
  }
  return done(g) && done(h);
}

static uint8_t *pattern(size_t n, unsigned seed) {
  uint8_t *p = malloc(n);
  assert_non_null(p);
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(i * 131u + seed + (i >> 12));
  return p;
}

/* 1 MiB each way with a reader that takes 10 KiB a round: intact, and
 * never more than the window waits in a ring. */
static void test_both_ways_intact(void **state) {
  (void)state;
  uint8_t *a = pattern(BIG, 1), *b = pattern(BIG, 2);
  struct end g, h;
  end_init(&g, a, BIG);
  end_init(&h, b, BIG);
  g.src_eof = h.src_eof = 1;
  g.sink_room = h.sink_room = 10000;
  open_pair(&g, &h);
  for (int i = 0; i < 2000 && !(done(&g) && done(&h)); i++) {
    pump(&g);
    assert_int_equal(deliver(&g, &h), 0);
    pump(&h);
    assert_int_equal(deliver(&h, &g), 0);
    assert_true(g.t.len <= VBX_PROTO_INITIAL_WINDOW && h.t.len <= VBX_PROTO_INITIAL_WINDOW);
  }
  assert_true(done(&g) && done(&h));
  assert_int_equal(g.sink_len, BIG);
  assert_int_equal(h.sink_len, BIG);
  assert_memory_equal(g.sink, b, BIG);
  assert_memory_equal(h.sink, a, BIG);
  assert_true(g.shut && h.shut && g.closed && h.closed);
  assert_false(vbx_proto_tunnel_is_reset(&g.t));
  end_fini(&g);
  end_fini(&h);
  free(a);
  free(b);
}

/* A reader that takes nothing: the sender's room ends at the window and
 * stays there; nothing is dropped or over-sent. */
static void test_credit_stalls_sender(void **state) {
  (void)state;
  uint8_t *a = pattern(BIG, 3);
  struct end g, h;
  end_init(&g, a, BIG);
  end_init(&h, NULL, 0);
  h.sink_room = 0;
  open_pair(&g, &h);
  for (int i = 0; i < 10; i++) {
    pump(&g);
    assert_int_equal(deliver(&g, &h), 0);
    pump(&h);
    assert_int_equal(deliver(&h, &g), 0);
  }
  assert_int_equal(g.src_off, VBX_PROTO_INITIAL_WINDOW);
  assert_int_equal(vbx_proto_tunnel_room(&g.t), 0);
  assert_int_equal(h.t.len, VBX_PROTO_INITIAL_WINDOW);
  assert_false(vbx_proto_tunnel_wants(&g.t) & VBX_PROTO_TUN_WANT_READ);
  /* the reader drains: credit comes back, the rest flows */
  h.sink_room = SIZE_MAX;
  g.src_eof = h.src_eof = 1;
  assert_true(run(&g, &h, 200));
  assert_int_equal(h.sink_len, BIG);
  assert_memory_equal(h.sink, a, BIG);
  end_fini(&g);
  end_fini(&h);
  free(a);
}

/* Half-close: the guest's side ends first, the host still sends, then
 * ends; and the other way round. */
static void test_half_close_either_side(void **state) {
  (void)state;
  static const uint8_t req[] = "GET / HTTP/1.0\r\n\r\n", resp[] = "HTTP/1.0 200 OK\r\n\r\nhi";
  for (int first = 0; first < 2; first++) {
    struct end g, h;
    end_init(&g, req, sizeof req - 1);
    end_init(&h, resp, sizeof resp - 1);
    open_pair(&g, &h);
    struct end *a = first ? &h : &g, *b = first ? &g : &h;
    a->src_eof = 1;
    for (int i = 0; i < 5; i++) {
      pump(&g);
      assert_int_equal(deliver(&g, &h), 0);
      pump(&h);
      assert_int_equal(deliver(&h, &g), 0);
    }
    /* b got a's bytes and its EOF: b's socket is shut for writing, a
     * keeps receiving, nothing is closed yet */
    assert_true(b->shut);
    assert_false(a->shut || a->closed || b->closed || done(a) || done(b));
    b->src_eof = 1;
    assert_true(run(&g, &h, 10));
    assert_int_equal(g.sink_len, sizeof resp - 1);
    assert_int_equal(h.sink_len, sizeof req - 1);
    end_fini(&g);
    end_fini(&h);
  }
}

/* A reset on either side with data in flight: the end that reset drops
 * what reaches it; the other closes abortively (writing what its socket
 * takes first) and answers CLOSE(RESET); both end. */
static void test_reset_with_data_in_flight(void **state) {
  (void)state;
  uint8_t *a = pattern(BIG, 4);
  for (int who = 0; who < 2; who++) {
    struct end g, h;
    end_init(&g, a, BIG);
    end_init(&h, a, BIG);
    g.sink_room = h.sink_room = 0; /* nobody reads: rings fill */
    open_pair(&g, &h);
    pump(&g);
    pump(&h);
    struct end *r = who ? &h : &g;
    vbx_proto_tunnel_reset(&r->t);
    assert_true(vbx_proto_tunnel_wants(&r->t) & VBX_PROTO_TUN_WANT_CLOSE);
    assert_int_equal(vbx_proto_tunnel_room(&r->t), 0);
    /* the peer's data in flight reaches the end that reset: dropped */
    assert_int_equal(deliver(r == &g ? &h : &g, r), 0);
    assert_int_equal(r->t.len, 0);
    assert_true(run(&g, &h, 10));
    assert_true(vbx_proto_tunnel_is_reset(&g.t) && vbx_proto_tunnel_is_reset(&h.t));
    assert_true(g.closed && h.closed);
    end_fini(&g);
    end_fini(&h);
  }
  free(a);
}

/* A peer's reset after data: what arrived before it is still written
 * out (as TCP delivers queued bytes before the RST), then the socket is
 * closed abortively. */
static void test_peer_reset_delivers_what_came(void **state) {
  (void)state;
  static const uint8_t resp[] = "HTTP/1.0 200 OK\r\n\r\nbody";
  struct end g, h;
  end_init(&g, NULL, 0);
  end_init(&h, resp, sizeof resp - 1);
  open_pair(&g, &h);
  pump(&h);                     /* the response as TUNNEL_DATA */
  vbx_proto_tunnel_reset(&h.t); /* then the gateway reset */
  pump(&h);
  assert_int_equal(deliver(&h, &g), 0);
  assert_true(vbx_proto_tunnel_is_reset(&g.t));
  unsigned w = vbx_proto_tunnel_wants(&g.t);
  assert_true((w & VBX_PROTO_TUN_WANT_WRITE) && (w & VBX_PROTO_TUN_WANT_CLOSE));
  assert_true(run(&g, &h, 5));
  assert_int_equal(g.sink_len, sizeof resp - 1);
  assert_memory_equal(g.sink, resp, sizeof resp - 1);
  end_fini(&g);
  end_fini(&h);
}

/* The guest gives up before the host opened: CLOSE(RESET) before
 * OPENED is allowed, and the host's OPENED in flight changes nothing. */
static void test_reset_before_open(void **state) {
  (void)state;
  struct end g, h;
  end_init(&g, NULL, 0);
  end_init(&h, NULL, 0);
  vbx_proto_tunnel_reset(&g.t);
  pump(&g);
  assert_int_equal(deliver(&g, &h), 0);
  assert_true(vbx_proto_tunnel_is_reset(&h.t));
  assert_true(run(&g, &h, 5));
  end_fini(&g);
  end_fini(&h);
}

static int recv_one(struct end *e, unsigned type, uint64_t a, const uint8_t *p, uint32_t n) {
  struct vbx_proto_msg m;
  memset(&m, 0, sizeof m);
  m.type = (uint8_t)type;
  m.id = ID;
  if (type == VBX_PROTO_T_TUNNEL_DATA) m.u.data = (struct vbx_proto_data){a, p, n};
  if (type == VBX_PROTO_T_TUNNEL_EOF) m.u.size = a;
  if (type == VBX_PROTO_T_TUNNEL_CLOSE) m.u.close_flags = (uint32_t)a;
  if (type == VBX_PROTO_T_WINDOW_UPDATE) m.u.increment = (uint32_t)a;
  return vbx_proto_tunnel_recv(&e->t, &m);
}

/* Every rule the peer can break is a protocol error. */
static void test_peer_rules(void **state) {
  (void)state;
  static uint8_t x[VBX_PROTO_INITIAL_WINDOW + 1];
  struct end e;
  end_init(&e, NULL, 0);
  /* before OPENED: no data, no EOF, no credit; a reset is fine */
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_DATA, 0, x, 1), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_EOF, 0, NULL, 0), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_WINDOW_UPDATE, 10, NULL, 0), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_CLOSE, 0, NULL, 0), VBX_PROTO_E_PROTOCOL);
  vbx_proto_tunnel_open(&e.t);
  /* offsets and credit */
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_DATA, 1, x, 1), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_DATA, 0, x, sizeof x), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_DATA, 0, x, 100), 0);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_DATA, 0, x, 1), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_DATA, 100, x, VBX_PROTO_INITIAL_WINDOW - 100),
                   0);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_DATA, VBX_PROTO_INITIAL_WINDOW, x, 1),
                   VBX_PROTO_E_PROTOCOL); /* past the credit */
  /* credit overflow */
  assert_int_equal(recv_one(&e, VBX_PROTO_T_WINDOW_UPDATE, 0x7fffffffu, NULL, 0),
                   VBX_PROTO_E_PROTOCOL);
  /* EOF must carry what arrived, once */
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_EOF, 5, NULL, 0), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_EOF, VBX_PROTO_INITIAL_WINDOW, NULL, 0), 0);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_EOF, VBX_PROTO_INITIAL_WINDOW, NULL, 0),
                   VBX_PROTO_E_PROTOCOL);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_DATA, VBX_PROTO_INITIAL_WINDOW, x, 1),
                   VBX_PROTO_E_PROTOCOL);
  /* a clean CLOSE before this end sent its EOF */
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_CLOSE, 0, NULL, 0), VBX_PROTO_E_PROTOCOL);
  /* other types, other ids */
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_OPEN, 0, NULL, 0), VBX_PROTO_E_PROTOCOL);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_STDIN_DATA, 0, x, 1), VBX_PROTO_E_PROTOCOL);
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_TUNNEL_EOF, .id = ID + 1};
  assert_int_equal(vbx_proto_tunnel_recv(&e.t, &m), VBX_PROTO_E_INVAL);
  /* a reset, then nothing more */
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_CLOSE, VBX_PROTO_TUNNEL_CLOSE_F_RESET, NULL, 0),
                   0);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_TUNNEL_CLOSE, VBX_PROTO_TUNNEL_CLOSE_F_RESET, NULL, 0),
                   VBX_PROTO_E_PROTOCOL);
  assert_int_equal(recv_one(&e, VBX_PROTO_T_WINDOW_UPDATE, 1, NULL, 0), VBX_PROTO_E_PROTOCOL);
  end_fini(&e);
}

/* init refuses host ids and windows it cannot hold; sent() refuses
 * beyond the room; next_frame into a full buffer records nothing. */
static void test_local_misuse(void **state) {
  (void)state;
  static uint8_t ring[VBX_PROTO_INITIAL_WINDOW];
  struct vbx_proto_tunnel t;
  uint64_t off;
  assert_int_equal(vbx_proto_tunnel_init(&t, 5, ring, sizeof ring), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_tunnel_init(&t, ID, NULL, sizeof ring), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_tunnel_init(&t, ID, ring, 4096), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_tunnel_init(&t, ID, ring, sizeof ring), 0);
  assert_int_equal(vbx_proto_tunnel_room(&t), 0); /* not open */
  assert_int_equal(vbx_proto_tunnel_sent(&t, 1, &off), VBX_PROTO_E_INVAL);
  vbx_proto_tunnel_open(&t);
  assert_int_equal(vbx_proto_tunnel_room(&t), VBX_PROTO_INITIAL_WINDOW);
  assert_int_equal(vbx_proto_tunnel_sent(&t, 0, &off), VBX_PROTO_E_INVAL);
  assert_int_equal(vbx_proto_tunnel_sent(&t, VBX_PROTO_INITIAL_WINDOW + 1, &off),
                   VBX_PROTO_E_INVAL);
  vbx_proto_tunnel_read_eof(&t);
  assert_int_equal(vbx_proto_tunnel_room(&t), 0);
  uint8_t small[8];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, small, sizeof small);
  assert_int_equal(vbx_proto_tunnel_next_frame(&t, &b), VBX_PROTO_E_TOOBIG);
  assert_true(vbx_proto_tunnel_wants(&t) & VBX_PROTO_TUN_WANT_FRAME);
  uint8_t mem[64];
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  assert_int_equal(vbx_proto_tunnel_next_frame(&t, &b), 1); /* the EOF */
  assert_int_equal(vbx_proto_tunnel_next_frame(&t, &b), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_both_ways_intact),
      cmocka_unit_test(test_credit_stalls_sender),
      cmocka_unit_test(test_half_close_either_side),
      cmocka_unit_test(test_reset_with_data_in_flight),
      cmocka_unit_test(test_peer_reset_delivers_what_came),
      cmocka_unit_test(test_reset_before_open),
      cmocka_unit_test(test_peer_rules),
      cmocka_unit_test(test_local_misuse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
