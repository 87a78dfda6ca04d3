/*
 * test_vmm_virtio_net.c - virtio-net through its MMIO registers, its wire a
 * socketpair whose other end the test reads and writes as the network
 * stack would: features and config (MAC, link status), tx frames with the
 * header stripped and the length prefix added (one descriptor or many,
 * more than one sendmsg can carry), malformed tx chains, rx frames arriving
 * in pieces, rx held while the guest has no buffers (and the socket left
 * unread), frames too large for their chain, bad lengths from the socket,
 * tx back-pressure, a reset with a frame half written, the peer leaving,
 * and creation over a socket path.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_driver.h"
#include "loop.h"
#include "net.h"
#include "queue.h"

#define RXQ 0
#define TXQ 1
#define QS 128
#define HDR 12u
#define RX_SLOTS 32
#define RX_BUF 2048u
#define FEATS ((1ull << VMM_NET_F_MAC) | (1ull << VMM_NET_F_STATUS))

typedef struct nt {
  fake f;
  vmm_loop *loop;
  int host;   /* the network stack's end */
  int dev_fd; /* the device's end (owned by the device; only tuned here) */
  uint64_t rx_base;
} nt;

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
static uint8_t big[2][VMM_NET_RX_CAP + 64];

static void fill(uint8_t *p, uint32_t len, unsigned seed) {
  for (uint32_t i = 0; i < len; i++)
    p[i] = (uint8_t)(seed * 31u + i * 7u);
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void pump(nt *t) {
  for (int i = 0; i < 20; i++)
    if (vmm_loop_run_once(t->loop, i < 2 ? 20 : 0) <= 0 && i >= 2) break;
}

static vmm_net_stats stats(nt *t) {
  vmm_net_stats s;
  assert_int_equal(vmm_virtio_net_stats(t->f.dev, &s), 0);
  return s;
}

static int setup(void **state) {
  static nt t;
  char err[256];
  memset(&t, 0, sizeof t);
  fake_init(&t.f);
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  t.host = sv[0], t.dev_fd = sv[1];
  t.loop = vmm_loop_new();
  assert_non_null(t.loop);
  assert_int_equal(vmm_virtio_net_create_fd(t.loop, &t.f.mem, fake_irq(&t.f), MAC, sv[1], &t.f.dev,
                                            err, sizeof err),
                   0);
  assert_int_equal(fake_setup(&t.f, FEATS, 2, QS), 1 | 2 | 4 | 8);
  t.rx_base = fake_alloc(&t.f, RX_SLOTS * RX_BUF);
  *state = &t;
  return 0;
}

static int teardown(void **state) {
  nt *t = *state;
  fake_fini(&t->f);
  vmm_loop_free(t->loop);
  if (t->host >= 0) close(t->host);
  return 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* Post n rx chains of RX_BUF bytes (one descriptor each) and notify. */
static void post_rx(nt *t, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    uint16_t slot = t->f.q[RXQ].next_desc % RX_SLOTS;
    fake_seg s = {t->rx_base + (uint64_t)slot * RX_BUF, RX_BUF, true};
    fake_add(&t->f, RXQ, &s, 1);
  }
  fake_kick(&t->f, RXQ);
}

/* The next used rx chain: its length, its bytes copied to out. -1: none. */
static int64_t used_rx(nt *t, uint8_t *out) {
  uint32_t id, len;
  if (!fake_used(&t->f, RXQ, &id, &len)) return -1;
  if (out) memcpy(out, fake_ptr(&t->f, t->rx_base + (uint64_t)(id % RX_SLOTS) * RX_BUF), len);
  return len;
}

/* Make a tx chain of `total` bytes available (no notify): bytes copied into
 * fresh guest memory, cut into descriptors of seg[0..n) bytes (readable;
 * those named in `writable` by index as bits are writable). */
static void tx_chain_w(nt *t, const void *bytes, uint32_t total, const uint32_t *seg, unsigned n,
                       uint64_t writable) {
  static fake_seg s[QS];
  uint64_t g = fake_alloc(&t->f, total ? total : 16);
  memcpy(fake_ptr(&t->f, g), bytes, total);
  uint32_t off = 0;
  for (unsigned i = 0; i < n; i++) {
    s[i] = (fake_seg){g + off, seg[i], i < 64 && ((writable >> i) & 1)};
    off += seg[i];
  }
  assert_int_equal(off, total);
  fake_add(&t->f, TXQ, s, n);
}

static void tx_chain(nt *t, const void *bytes, uint32_t total, const uint32_t *seg, unsigned n) {
  tx_chain_w(t, bytes, total, seg, n, 0);
}

/* A frame of len bytes (pattern `seed`) behind a zero header, in one
 * descriptor, made available and notified. */
static void tx_frame(nt *t, uint32_t len, unsigned seed) {
  memset(big[0], 0, HDR);
  fill(big[0] + HDR, len, seed);
  uint32_t seg = HDR + len;
  tx_chain(t, big[0], seg, &seg, 1);
  fake_kick(&t->f, TXQ);
}

static unsigned drain_used(nt *t, unsigned q, uint32_t *last_len) {
  uint32_t id, len;
  unsigned n = 0;
  while (fake_used(&t->f, q, &id, &len)) {
    n++;
    if (last_len) *last_len = len;
  }
  return n;
}

/* Read n bytes of the wire, running the device's loop while it has
 * nothing (it writes more only from its callbacks). */
static void read_exact(nt *t, uint8_t *p, size_t n) {
  size_t got = 0;
  for (int tries = 0; got < n; tries++) {
    assert_true(tries < 2000);
    ssize_t r = recv(t->host, p + got, n - got, MSG_DONTWAIT);
    if (r > 0)
      got += (size_t)r;
    else
      pump(t);
  }
}

static void assert_quiet(int fd) {
  uint8_t b;
  assert_int_equal(recv(fd, &b, 1, MSG_DONTWAIT), -1);
  assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* The next frame on the wire must be len bytes of pattern seed. */
static void expect_wire(nt *t, uint32_t len, unsigned seed) {
  uint8_t pfx[4];
  read_exact(t, pfx, 4);
  assert_int_equal(be32(pfx), len);
  read_exact(t, big[1], len);
  fill(big[0], len, seed);
  assert_memory_equal(big[1], big[0], len);
}

/* Host-side bytes of one framed frame (prefix + pattern) into out. */
static uint32_t framed(uint8_t *out, uint32_t len, unsigned seed) {
  put_be32(out, len);
  fill(out + 4, len, seed);
  return 4 + len;
}

static void host_write(nt *t, const void *p, size_t n) {
  assert_int_equal(write(t->host, p, n), (ssize_t)n);
}

/* An rx chain's bytes must be the zero header with num_buffers 1, then a
 * frame of len bytes of pattern seed. */
static void expect_rx(nt *t, uint32_t len, unsigned seed) {
  static uint8_t got[RX_BUF];
  assert_int_equal(used_rx(t, got), HDR + len);
  static const uint8_t hdr[HDR] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
  assert_memory_equal(got, hdr, HDR);
  fill(big[0], len, seed);
  assert_memory_equal(got + HDR, big[0], len);
}

/* ---- tests -------------------------------------------------------------- */

static void test_features_and_config(void **state) {
  nt *t = *state;
  assert_int_equal(fake_rd(&t->f, 0x08), 1);
  fake_wr(&t->f, 0x14, 0);
  assert_int_equal(fake_rd(&t->f, 0x10), (uint32_t)FEATS);
  fake_wr(&t->f, 0x14, 1);
  assert_int_equal(fake_rd(&t->f, 0x10), 1); /* VERSION_1 */
  uint8_t cfg[8];
  for (unsigned i = 0; i < 6; i++)
    vmm_virtio_mmio_access(t->f.dev, 0x100 + i, &cfg[i], 1, false);
  assert_memory_equal(cfg, MAC, 6);
  uint16_t st = 0;
  vmm_virtio_mmio_access(t->f.dev, 0x106, (uint8_t *)&st, 2, false);
  assert_int_equal(st, VMM_NET_S_LINK_UP);
  uint64_t all = 0, want = 0;
  memcpy(&want, MAC, 6);
  want |= (uint64_t)VMM_NET_S_LINK_UP << 48;
  vmm_virtio_mmio_access(t->f.dev, 0x100, (uint8_t *)&all, 8, false);
  assert_int_equal(all, want);
  uint32_t past = 0xffffffffu;
  vmm_virtio_mmio_access(t->f.dev, 0x108, (uint8_t *)&past, 4, false);
  assert_int_equal(past, 0);
  /* two queues only */
  fake_wr(&t->f, 0x30, 1);
  assert_int_equal(fake_rd(&t->f, 0x34), VMM_VQ_MAX_SIZE);
  fake_wr(&t->f, 0x30, 2);
  assert_int_equal(fake_rd(&t->f, 0x34), 0);
  /* an offload that was not offered (CSUM, bit 0) is refused; MAC alone is fine */
  assert_int_equal(fake_setup(&t->f, 1, 2, QS) & 8, 0);
  assert_int_equal(fake_setup(&t->f, 1ull << VMM_NET_F_MAC, 2, QS), 1 | 2 | 4 | 8);
  vmm_net_stats s = stats(t);
  assert_true(s.connected);
  assert_int_equal(s.tx_frames + s.rx_frames + s.rx_read, 0);
  vmm_virtio_mmio *rng;
  char err[128];
  assert_int_equal(vmm_virtio_rng_create(&t->f.mem, fake_irq(&t->f), &rng, err, sizeof err), 0);
  assert_int_equal(vmm_virtio_net_stats(rng, &s), -EINVAL);
  vmm_virtio_mmio_destroy(rng);
}

static void test_tx_one_frame(void **state) {
  nt *t = *state;
  int irqs = t->f.irqs;
  tx_frame(t, 60, 1);
  uint32_t id, len;
  assert_true(fake_used(&t->f, TXQ, &id, &len));
  assert_int_equal(len, 0);
  assert_true(t->f.irqs > irqs);
  uint8_t wire[64];
  read_exact(t, wire, 64);
  uint8_t want[64] = {0, 0, 0, 60};
  fill(want + 4, 60, 1);
  assert_memory_equal(wire, want, 64);
  assert_quiet(t->host);
  vmm_net_stats s = stats(t);
  assert_int_equal(s.tx_frames, 1);
  assert_int_equal(s.tx_malformed + s.tx_dropped, 0);
}

static void test_tx_scattered(void **state) {
  nt *t = *state;
  /* header split 5+7, frame 1+100+399 */
  memset(big[0], 0, HDR);
  fill(big[0] + HDR, 500, 2);
  uint32_t seg[] = {5, 7, 1, 100, 399};
  tx_chain(t, big[0], HDR + 500, seg, 5);
  /* header and frame start in one descriptor, then 100 of 3 bytes: more
   * pieces than one sendmsg takes */
  static uint32_t many[101];
  many[0] = HDR + 10;
  for (unsigned i = 1; i <= 100; i++)
    many[i] = 3;
  memset(big[0], 0, HDR);
  fill(big[0] + HDR, 310, 3);
  tx_chain(t, big[0], HDR + 310, many, 101);
  fake_kick(&t->f, TXQ);
  assert_int_equal(drain_used(t, TXQ, NULL), 2);
  expect_wire(t, 500, 2);
  expect_wire(t, 310, 3);
  assert_quiet(t->host);
  assert_int_equal(stats(t).tx_frames, 2);
}

static void test_tx_malformed(void **state) {
  nt *t = *state;
  memset(big[0], 0, HDR + 100);
  uint32_t s11 = 11, s12 = 12, s40 = 40, w[] = {HDR + 20, 20};
  tx_chain(t, big[0], 11, &s11, 1);      /* shorter than the header */
  tx_chain(t, big[0], 12, &s12, 1);      /* a header, no frame */
  tx_chain_w(t, big[0], 52, w, 2, 2);    /* a writable descriptor after the frame */
  tx_chain_w(t, big[0], 40, &s40, 1, 1); /* only writable */
  big[0][0] = 1;                         /* NEEDS_CSUM: never offered */
  tx_chain(t, big[0], 40, &s40, 1);
  big[0][0] = 0, big[0][1] = 1; /* GSO_TCPV4 */
  tx_chain(t, big[0], 40, &s40, 1);
  big[0][1] = 0;
  static uint8_t huge[HDR + VMM_NET_MAX_FRAME + 1];
  uint32_t sh = sizeof huge;
  tx_chain(t, huge, sh, &sh, 1); /* one byte over the wire's bound */
  fake_kick(&t->f, TXQ);
  uint32_t id, len;
  for (int i = 0; i < 7; i++) {
    assert_true(fake_used(&t->f, TXQ, &id, &len));
    assert_int_equal(len, 0);
  }
  assert_false(fake_used(&t->f, TXQ, &id, &len));
  assert_quiet(t->host);
  vmm_net_stats s = stats(t);
  assert_int_equal(s.tx_malformed, 7);
  assert_int_equal(s.tx_frames + s.tx_dropped, 0);
  assert_int_equal(fake_rd(&t->f, 0x70) & 64, 0); /* the device goes on */
  tx_frame(t, 60, 4);
  expect_wire(t, 60, 4);
  assert_quiet(t->host);
  assert_int_equal(stats(t).tx_frames, 1);
}

/* The largest frame the wire allows goes out whole (pieces read as the
 * socket fills). */
static void test_tx_max_frame(void **state) {
  nt *t = *state;
  tx_frame(t, VMM_NET_MAX_FRAME, 5);
  expect_wire(t, VMM_NET_MAX_FRAME, 5);
  assert_quiet(t->host);
  assert_int_equal(drain_used(t, TXQ, NULL), 1);
  assert_int_equal(stats(t).tx_frames, 1);
}

static void test_rx_pieces(void **state) {
  nt *t = *state;
  post_rx(t, 4);
  uint8_t b[2 * (4 + 300)];
  uint32_t n1 = framed(b, 300, 6);
  uint32_t n2 = framed(b + n1, 17, 7);
  int irqs = t->f.irqs;
  host_write(t, b, 2); /* half the prefix */
  pump(t);
  assert_int_equal(used_rx(t, NULL), -1);
  assert_int_equal(stats(t).rx_read, 2);
  host_write(t, b + 2, 3); /* the prefix's end and one frame byte */
  pump(t);
  assert_int_equal(used_rx(t, NULL), -1);
  host_write(t, b + 5, n1 - 5 - 1); /* all but the last byte */
  pump(t);
  assert_int_equal(used_rx(t, NULL), -1);
  assert_int_equal(t->f.irqs, irqs);
  host_write(t, b + n1 - 1, 1 + n2); /* the last byte and a whole second frame */
  pump(t);
  expect_rx(t, 300, 6);
  expect_rx(t, 17, 7);
  assert_int_equal(used_rx(t, NULL), -1);
  assert_true(t->f.irqs > irqs);
  vmm_net_stats s = stats(t);
  assert_int_equal(s.rx_frames, 2);
  assert_int_equal(s.rx_read, n1 + n2);
  assert_int_equal(s.rx_dropped, 0);
}

/* No rx buffers: the socket is not read at all; buffers posted later get
 * the frames, and the device reads at most its bound ahead of them. */
static void test_rx_waits_for_buffers(void **state) {
  nt *t = *state;
  static uint8_t b[64 * (4 + 1500)];
  uint32_t n = 0;
  for (unsigned i = 0; i < 3; i++)
    n += framed(b + n, 1000, 10 + i);
  host_write(t, b, n);
  pump(t);
  assert_int_equal(stats(t).rx_read, 0);
  assert_int_equal(used_rx(t, NULL), -1);
  post_rx(t, 1);
  expect_rx(t, 1000, 10);
  assert_int_equal(used_rx(t, NULL), -1);
  assert_int_equal(stats(t).rx_read, n); /* read in one go, within the bound */
  post_rx(t, 4);
  expect_rx(t, 1000, 11);
  expect_rx(t, 1000, 12);
  assert_int_equal(used_rx(t, NULL), -1);
  /* a flood the guest does not keep up with: the device reads no more
   * than VMM_NET_RX_CAP ahead of the buffers it was given */
  n = 0;
  for (unsigned i = 0; i < 64; i++)
    n += framed(b + n, 1500, 20 + i);
  int sz = 1 << 20; /* room for the flood whatever the default (capped by wmem_max) */
  setsockopt(t->host, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
  ssize_t w = send(t->host, b, n, MSG_DONTWAIT);
  assert_true(w > (ssize_t)(VMM_NET_RX_CAP + 8 * 1504));
  uint64_t before = stats(t).rx_read;
  pump(t); /* two buffers still posted */
  expect_rx(t, 1500, 20);
  expect_rx(t, 1500, 21);
  assert_int_equal(used_rx(t, NULL), -1);
  uint64_t read = stats(t).rx_read - before;
  assert_true(read >= 2 * 1504 && read <= VMM_NET_RX_CAP);
  pump(t);
  assert_int_equal(stats(t).rx_read - before, read);
  post_rx(t, 8);
  pump(t);
  for (unsigned i = 0; i < 8; i++)
    expect_rx(t, 1500, 22 + i);
  assert_true(stats(t).rx_read - before <= 10 * 1504 + VMM_NET_RX_CAP);
}

/* A frame larger than its chain is dropped, the chain returned empty and
 * nothing written into it or past it; the next frame is delivered. */
static void test_rx_too_large(void **state) {
  nt *t = *state;
  uint64_t small = fake_alloc(&t->f, 256), tiny = fake_alloc(&t->f, 64);
  memset(fake_ptr(&t->f, small), 0xaa, 256);
  memset(fake_ptr(&t->f, tiny), 0xaa, 64);
  fake_seg s1 = {small, 100, true}, s2 = {tiny, 8, true};
  fake_add(&t->f, RXQ, &s1, 1); /* 100 bytes: 12 + 88 */
  fake_add(&t->f, RXQ, &s2, 1); /* shorter than a header */
  fake_kick(&t->f, RXQ);
  uint8_t b[512];
  uint32_t n = framed(b, 89, 30);
  n += framed(b + n, 1, 31);
  n += framed(b + n, 88, 32);
  host_write(t, b, n);
  pump(t);
  uint32_t id, len;
  assert_true(fake_used(&t->f, RXQ, &id, &len));
  assert_int_equal(len, 0);
  assert_true(fake_used(&t->f, RXQ, &id, &len));
  assert_int_equal(len, 0);
  assert_false(fake_used(&t->f, RXQ, &id, &len));
  for (unsigned i = 0; i < 256; i++)
    assert_int_equal(((uint8_t *)fake_ptr(&t->f, small))[i], 0xaa);
  for (unsigned i = 0; i < 64; i++)
    assert_int_equal(((uint8_t *)fake_ptr(&t->f, tiny))[i], 0xaa);
  vmm_net_stats s = stats(t);
  assert_int_equal(s.rx_dropped, 2);
  assert_int_equal(s.rx_frames, 0);
  /* the third frame fits a 100-byte chain exactly */
  fake_add(&t->f, RXQ, &s1, 1);
  fake_kick(&t->f, RXQ);
  assert_true(fake_used(&t->f, RXQ, &id, &len));
  assert_int_equal(len, 100);
  fill(big[0], 88, 32);
  assert_memory_equal((uint8_t *)fake_ptr(&t->f, small) + HDR, big[0], 88);
  for (unsigned i = 100; i < 256; i++)
    assert_int_equal(((uint8_t *)fake_ptr(&t->f, small))[i], 0xaa);
  assert_int_equal(stats(t).rx_frames, 1);
}

/* The largest frame the wire allows, into a chain of two descriptors. */
static void test_rx_max_frame(void **state) {
  nt *t = *state;
  uint64_t g = fake_alloc(&t->f, HDR + VMM_NET_MAX_FRAME);
  fake_seg s[2] = {{g, 1000, true}, {g + 1000, HDR + VMM_NET_MAX_FRAME - 1000, true}};
  fake_add(&t->f, RXQ, s, 2);
  fake_kick(&t->f, RXQ);
  uint32_t n = framed(big[1], VMM_NET_MAX_FRAME, 33), off = 0;
  while (off < n) {
    ssize_t w = send(t->host, big[1] + off, n - off, MSG_DONTWAIT);
    if (w > 0) off += (uint32_t)w;
    pump(t);
  }
  pump(t);
  uint32_t id, len;
  assert_true(fake_used(&t->f, RXQ, &id, &len));
  assert_int_equal(len, HDR + VMM_NET_MAX_FRAME);
  assert_memory_equal((uint8_t *)fake_ptr(&t->f, g) + HDR, big[1] + 4, VMM_NET_MAX_FRAME);
  assert_int_equal(stats(t).rx_frames, 1);
}

/* A bad length from the socket: frames before it are delivered, the link
 * goes down (status, config interrupt), the peer sees EOF, tx frames are
 * dropped and counted, and the guest's buffers still come back. */
static void bad_length(nt *t, uint32_t bad) {
  post_rx(t, 4);
  uint8_t b[128];
  uint32_t n = framed(b, 40, 40);
  put_be32(b + n, bad);
  n += 4;
  memset(b + n, 0x55, 16);
  uint32_t gen = fake_rd(&t->f, 0xfc);
  host_write(t, b, n + 16);
  pump(t);
  expect_rx(t, 40, 40);
  assert_int_equal(used_rx(t, NULL), -1);
  vmm_net_stats s = stats(t);
  assert_false(s.connected);
  uint16_t st = 0xffff;
  vmm_virtio_mmio_access(t->f.dev, 0x106, (uint8_t *)&st, 2, false);
  assert_int_equal(st, 0);
  assert_int_not_equal(fake_rd(&t->f, 0xfc), gen);
  assert_true(fake_rd(&t->f, 0x60) & 2);
  uint8_t x;
  assert_int_equal(read(t->host, &x, 1), 0); /* the device closed its end */
  tx_frame(t, 60, 41);
  tx_frame(t, 60, 42);
  uint32_t len = 1;
  assert_int_equal(drain_used(t, TXQ, &len), 2);
  assert_int_equal(len, 0);
  s = stats(t);
  assert_int_equal(s.tx_dropped, 2);
  assert_int_equal(s.tx_frames, 0);
  post_rx(t, 2);
  pump(t);
  assert_int_equal(used_rx(t, NULL), -1);
  assert_int_equal(fake_rd(&t->f, 0x70) & 64, 0);
}

static void test_rx_zero_length(void **state) { bad_length(*state, 0); }
static void test_rx_oversize_length(void **state) { bad_length(*state, VMM_NET_MAX_FRAME + 1); }
static void test_rx_huge_length(void **state) { bad_length(*state, 0xffffffffu); }

/* The peer stops reading: the chain being written is held (not returned,
 * nothing after it taken), the rest follows once the peer drains, and the
 * stream is intact: every frame whole and in order. */
static void test_tx_backpressure(void **state) {
  nt *t = *state;
  int sz = 4096;
  assert_int_equal(setsockopt(t->dev_fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz), 0);
  const uint32_t flen = 9000; /* more than the socket takes at once: cut mid-frame */
  unsigned sent = 0, returned = 0;
  for (; sent < 64; sent++) {
    tx_frame(t, flen, 50 + sent);
    returned += drain_used(t, TXQ, NULL);
    if (returned < sent + 1) break;
  }
  assert_true(sent < 64);
  unsigned held_at = ++sent;
  for (unsigned k = 0; k < 3; k++, sent++)
    tx_frame(t, flen, 50 + sent);
  assert_int_equal(drain_used(t, TXQ, NULL), 0);
  assert_int_equal(stats(t).tx_frames, held_at - 1);
  for (unsigned i = 0; i < sent; i++)
    expect_wire(t, flen, 50 + i);
  pump(t);
  assert_quiet(t->host);
  returned += drain_used(t, TXQ, NULL);
  assert_int_equal(returned, sent);
  assert_int_equal(stats(t).tx_frames, sent);
}

/* The driver resets while a frame is half on the wire: the device
 * finishes it (the stream stays in step) without returning the chain to
 * the new driver; later frames follow it. */
static void test_reset_mid_frame(void **state) {
  nt *t = *state;
  int sz = 4096;
  assert_int_equal(setsockopt(t->dev_fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz), 0);
  tx_frame(t, 60000, 60);
  assert_int_equal(drain_used(t, TXQ, NULL), 0);
  assert_int_equal(fake_setup(&t->f, FEATS, 2, QS), 1 | 2 | 4 | 8); /* resets first */
  tx_frame(t, 70, 61);
  expect_wire(t, 60000, 60);
  expect_wire(t, 70, 61);
  assert_quiet(t->host);
  uint32_t id, len;
  assert_true(fake_used(&t->f, TXQ, &id, &len));
  assert_int_equal(id, 0); /* the new driver's chain, not the orphan */
  assert_false(fake_used(&t->f, TXQ, &id, &len));
  assert_int_equal(stats(t).tx_frames, 2);
}

static void test_peer_closes(void **state) {
  nt *t = *state;
  post_rx(t, 2);
  uint8_t b[64];
  uint32_t n = framed(b, 30, 70);
  host_write(t, b, n + 2); /* a frame and half of the next prefix */
  close(t->host);
  t->host = -1;
  pump(t);
  expect_rx(t, 30, 70);
  assert_int_equal(used_rx(t, NULL), -1);
  assert_false(stats(t).connected);
  tx_frame(t, 60, 71);
  assert_int_equal(drain_used(t, TXQ, NULL), 1);
  assert_int_equal(stats(t).tx_dropped, 1);
}

static void test_create_over_path(void **state) {
  nt *t = *state;
  char dir[] = "/tmp/vbx-net-XXXXXX", path[64], err[256];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/net.sock", dir);
  vmm_virtio_mmio *m = (vmm_virtio_mmio *)1;
  assert_true(vmm_virtio_net_create(t->loop, &t->f.mem, fake_irq(&t->f), MAC, path, &m, err,
                                    sizeof err) < 0);
  assert_null(m);
  assert_non_null(strstr(err, path));
  static char longp[200];
  memset(longp, 'x', sizeof longp - 1);
  assert_int_equal(
      vmm_virtio_net_create(t->loop, &t->f.mem, fake_irq(&t->f), MAC, longp, &m, err, sizeof err),
      -21);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(lfd, 1), 0);
  /* swap the harness's device for one made over the path */
  vmm_virtio_mmio_destroy(t->f.dev);
  assert_int_equal(vmm_virtio_net_create(t->loop, &t->f.mem, fake_irq(&t->f), MAC, path, &t->f.dev,
                                         err, sizeof err),
                   0);
  int peer = accept(lfd, NULL, NULL);
  assert_true(peer >= 0);
  close(t->host);
  t->host = peer;
  assert_int_equal(fake_setup(&t->f, FEATS, 2, QS), 1 | 2 | 4 | 8);
  tx_frame(t, 64, 80);
  expect_wire(t, 64, 80);
  close(lfd);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_features_and_config, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tx_one_frame, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tx_scattered, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tx_malformed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tx_max_frame, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rx_pieces, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rx_waits_for_buffers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rx_too_large, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rx_max_frame, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rx_zero_length, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rx_oversize_length, setup, teardown),
      cmocka_unit_test_setup_teardown(test_rx_huge_length, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tx_backpressure, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reset_mid_frame, setup, teardown),
      cmocka_unit_test_setup_teardown(test_peer_closes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_over_path, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
