/*
 * test_vmm_virtio_vsock.c - virtio-vsock through its MMIO registers with
 * real Unix sockets on the host side: host CONNECT / OK line / data both
 * ways, guest-initiated connections, credit exhaustion and resume in both
 * directions, packets above 4 KiB, RST and SHUTDOWN, the connection cap,
 * and malformed guest packets.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_driver.h"
#include "loop.h"
#include "vsock.h"

#define CID 3
#define RXQ 0
#define TXQ 1
#define RX_SLOTS 128
#define RX_BUF (sizeof(vmm_vsock_hdr) + 4096)
#define HDR sizeof(vmm_vsock_hdr)

typedef struct vt {
  fake f;
  vmm_loop *loop;
  char dir[32], path[64];
  uint64_t rx_base, tx_buf;
} vt;

static void post_rx(vt *t, unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    uint16_t slot = t->f.q[RXQ].next_desc % RX_SLOTS;
    fake_seg s = {t->rx_base + (uint64_t)slot * RX_BUF, (uint32_t)RX_BUF, true};
    fake_add(&t->f, RXQ, &s, 1);
  }
  fake_kick(&t->f, RXQ);
}

static void pump(vt *t) {
  for (int i = 0; i < 20; i++)
    if (vmm_loop_run_once(t->loop, i < 2 ? 20 : 0) <= 0 && i >= 2) break;
}

static int setup(void **state) {
  static vt t;
  char err[256];
  memset(&t, 0, sizeof t);
  fake_init(&t.f);
  snprintf(t.dir, sizeof t.dir, "/tmp/vbx-vsock-XXXXXX");
  assert_non_null(mkdtemp(t.dir));
  snprintf(t.path, sizeof t.path, "%s/v.sock", t.dir);
  t.loop = vmm_loop_new();
  assert_non_null(t.loop);
  assert_int_equal(vmm_virtio_vsock_create(t.loop, &t.f.mem, fake_irq(&t.f), CID, t.path, &t.f.dev,
                                           err, sizeof err),
                   0);
  assert_int_equal(fake_rd(&t.f, 0x08), 19);
  uint64_t cid = 0;
  vmm_virtio_mmio_access(t.f.dev, 0x100, (uint8_t *)&cid, 8, false);
  assert_int_equal(cid, CID);
  assert_int_equal(fake_setup(&t.f, 0, 3, RX_SLOTS), 1 | 2 | 4 | 8);
  t.rx_base = fake_alloc(&t.f, RX_SLOTS * RX_BUF);
  t.tx_buf = fake_alloc(&t.f, 256 * 1024);
  post_rx(&t, 64);
  *state = &t;
  return 0;
}

static int teardown(void **state) {
  vt *t = *state;
  fake_fini(&t->f);
  assert_int_equal(access(t->path, F_OK), -1); /* destroy unlinked it */
  vmm_loop_free(t->loop);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", t->dir);
  assert_int_equal(system(cmd), 0);
  return 0;
}

/* Guest sends one packet; payload split in pieces of `piece` bytes. */
static void send_pkt_split(vt *t, uint16_t op, uint32_t sport, uint32_t dport, const void *data,
                           uint32_t len, uint32_t buf_alloc, uint32_t fwd, uint32_t flags,
                           uint32_t piece) {
  vmm_vsock_hdr h = {CID, 2, sport, dport, len, 1, op, flags, buf_alloc, fwd};
  memcpy(fake_ptr(&t->f, t->tx_buf), &h, HDR);
  if (len) memcpy((uint8_t *)fake_ptr(&t->f, t->tx_buf) + HDR, data, len);
  fake_seg s[80];
  unsigned n = 0;
  s[n++] = (fake_seg){t->tx_buf, (uint32_t)HDR, false};
  for (uint32_t off = 0; off < len && n < 80; off += piece) {
    uint32_t k = len - off < piece ? len - off : piece;
    s[n++] = (fake_seg){t->tx_buf + HDR + off, k, false};
  }
  fake_add(&t->f, TXQ, s, n);
  fake_kick(&t->f, TXQ);
  uint32_t id, l;
  assert_true(fake_used(&t->f, TXQ, &id, &l)); /* tx is consumed at once */
}

static void send_pkt(vt *t, uint16_t op, uint32_t sport, uint32_t dport, const void *data,
                     uint32_t len, uint32_t buf_alloc, uint32_t fwd) {
  send_pkt_split(t, op, sport, dport, data, len, buf_alloc, fwd, 0, 65536);
}

/* Next packet the device gave the guest; payload copied to data. The rx
 * buffer is posted again. */
static bool recv_pkt(vt *t, vmm_vsock_hdr *h, void *data) {
  uint32_t id, len;
  if (!fake_used(&t->f, RXQ, &id, &len)) return false;
  uint8_t *p = fake_ptr(&t->f, t->rx_base + (uint64_t)(id % RX_SLOTS) * RX_BUF);
  assert_true(len >= HDR);
  memcpy(h, p, HDR);
  assert_int_equal(len, HDR + h->len);
  assert_int_equal(h->src_cid, 2);
  assert_int_equal(h->dst_cid, CID);
  assert_int_equal(h->type, 1);
  if (data && h->len) memcpy(data, p + HDR, h->len);
  post_rx(t, 1);
  return true;
}

static int client(vt *t, const char *line) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", t->path);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  if (line) assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
  return fd;
}

static ssize_t read_some(int fd, void *buf, size_t n, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return -2;
  return read(fd, buf, n);
}

/* The device closed fd: EOF, or ECONNRESET when it closed with our bytes
 * unread. */
static bool closed_by_peer(int fd) {
  char c;
  ssize_t r = read_some(fd, &c, 1, 1000);
  return r == 0 || (r == -1 && errno == ECONNRESET);
}

/* Host connects to guest port `port`, guest accepts; returns the client fd
 * and the host port. */
static int establish(vt *t, uint32_t port, uint32_t guest_buf, uint32_t *host_port) {
  char line[32];
  snprintf(line, sizeof line, "CONNECT %u\n", port);
  int fd = client(t, line);
  pump(t);
  vmm_vsock_hdr h;
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_REQUEST);
  assert_int_equal(h.dst_port, port);
  assert_int_equal(h.buf_alloc, VMM_VSOCK_BUF_ALLOC);
  *host_port = h.src_port;
  send_pkt(t, VMM_VSOCK_OP_RESPONSE, port, h.src_port, NULL, 0, guest_buf, 0);
  pump(t);
  char ok[32] = {0}, want[32];
  snprintf(want, sizeof want, "OK %u\n", h.src_port);
  assert_int_equal(read_some(fd, ok, strlen(want), 1000), (ssize_t)strlen(want));
  assert_string_equal(ok, want);
  return fd;
}

static void test_host_connect_data(void **state) {
  vt *t = *state;
  uint32_t hp;
  int fd = establish(t, 5000, 65536, &hp);
  assert_int_equal(write(fd, "hello", 5), 5);
  pump(t);
  vmm_vsock_hdr h;
  char buf[8192];
  assert_true(recv_pkt(t, &h, buf));
  assert_int_equal(h.op, VMM_VSOCK_OP_RW);
  assert_int_equal(h.len, 5);
  assert_int_equal(h.src_port, hp);
  assert_int_equal(h.dst_port, 5000);
  assert_memory_equal(buf, "hello", 5);
  send_pkt(t, VMM_VSOCK_OP_RW, 5000, hp, "world", 5, 65536, 5);
  assert_int_equal(read_some(fd, buf, sizeof buf, 1000), 5);
  assert_memory_equal(buf, "world", 5);
  close(fd);
  pump(t);
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_SHUTDOWN);
  assert_int_equal(h.flags, 3);
  send_pkt(t, VMM_VSOCK_OP_RST, 5000, hp, NULL, 0, 65536, 5);
}

static void test_bytes_after_line_kept(void **state) {
  vt *t = *state;
  int fd = client(t, "CONNECT 77\nearly");
  pump(t);
  vmm_vsock_hdr h;
  char buf[64];
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_REQUEST);
  send_pkt(t, VMM_VSOCK_OP_RESPONSE, 77, h.src_port, NULL, 0, 65536, 0);
  pump(t);
  assert_true(recv_pkt(t, &h, buf));
  assert_int_equal(h.op, VMM_VSOCK_OP_RW);
  assert_int_equal(h.len, 5);
  assert_memory_equal(buf, "early", 5);
  close(fd);
}

static void test_bad_lines(void **state) {
  vt *t = *state;
  const char *bad[] = {"CONNECT\n", "CONNECT x1\n", "CONNECT 99999999999\n", "HELLO 1\n",
                       "CONNECT 123456789012345678901234567890"};
  for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++) {
    int fd = client(t, bad[i]);
    pump(t);
    assert_true(closed_by_peer(fd));
    close(fd);
  }
  vmm_vsock_hdr h;
  assert_false(recv_pkt(t, &h, NULL));
}

static void test_guest_rst_closes_client(void **state) {
  vt *t = *state;
  int fd = client(t, "CONNECT 5001\n");
  pump(t);
  vmm_vsock_hdr h;
  assert_true(recv_pkt(t, &h, NULL));
  send_pkt(t, VMM_VSOCK_OP_RST, 5001, h.src_port, NULL, 0, 0, 0);
  char c;
  assert_int_equal(read_some(fd, &c, 1, 1000), 0);
  close(fd);
}

/* A client leaving before the guest answers frees its slot; the guest
 * gets RST for the request it has not answered. */
static void test_client_leaves_before_response(void **state) {
  vt *t = *state;
  vmm_vsock_hdr h;
  for (unsigned i = 0; i < 2 * VMM_VSOCK_MAX_CONNS; i++) {
    int fd = client(t, "CONNECT 5020\n");
    pump(t);
    assert_true(recv_pkt(t, &h, NULL));
    assert_int_equal(h.op, VMM_VSOCK_OP_REQUEST);
    uint32_t hp = h.src_port;
    close(fd);
    pump(t);
    assert_true(recv_pkt(t, &h, NULL));
    assert_int_equal(h.op, VMM_VSOCK_OP_RST);
    assert_int_equal(h.src_port, hp);
  }
}

static int host_listener(vt *t, uint32_t port) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s_%u", t->path, port);
  int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(l, 4), 0);
  return l;
}

static void test_guest_connect(void **state) {
  vt *t = *state;
  int l = host_listener(t, 7000);
  send_pkt(t, VMM_VSOCK_OP_REQUEST, 1234, 7000, NULL, 0, 65536, 0);
  vmm_vsock_hdr h;
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_RESPONSE);
  assert_int_equal(h.src_port, 7000);
  assert_int_equal(h.dst_port, 1234);
  int fd = accept(l, NULL, NULL);
  assert_true(fd >= 0);
  send_pkt(t, VMM_VSOCK_OP_RW, 1234, 7000, "ping", 4, 65536, 0);
  char buf[16];
  assert_int_equal(read_some(fd, buf, sizeof buf, 1000), 4);
  assert_memory_equal(buf, "ping", 4);
  assert_int_equal(write(fd, "pong", 4), 4);
  pump(t);
  assert_true(recv_pkt(t, &h, buf));
  assert_int_equal(h.op, VMM_VSOCK_OP_RW);
  assert_memory_equal(buf, "pong", 4);
  /* nobody listens on 7001: RST */
  send_pkt(t, VMM_VSOCK_OP_REQUEST, 1235, 7001, NULL, 0, 65536, 0);
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_RST);
  assert_int_equal(h.dst_port, 1235);
  /* a second REQUEST on a live connection is a protocol error: RST */
  send_pkt(t, VMM_VSOCK_OP_REQUEST, 1234, 7000, NULL, 0, 65536, 0);
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_RST);
  assert_int_equal(read_some(fd, buf, 1, 1000), 0);
  close(fd);
  close(l);
}

/* Host -> guest: never more than the guest's credit (5000: not a multiple
 * of the 4 KiB rx buffers, so a packet must be cut to it); resumes on the
 * guest's credit update. */
static void test_credit_to_guest(void **state) {
  vt *t = *state;
  const uint32_t credit = 5000;
  uint32_t hp;
  int fd = establish(t, 5002, credit, &hp);
  static uint8_t out[20000], in[20000];
  for (unsigned i = 0; i < sizeof out; i++)
    out[i] = (uint8_t)(i * 7);
  assert_int_equal(write(fd, out, sizeof out), (ssize_t)sizeof out);
  uint32_t got = 0, fwd = 0;
  vmm_vsock_hdr h;
  for (int round = 0; got < sizeof out; round++) {
    assert_true(round < 5);
    pump(t);
    while (recv_pkt(t, &h, in + got)) {
      assert_int_equal(h.op, VMM_VSOCK_OP_RW);
      assert_true(h.len <= 4096);
      got += h.len;
    }
    uint32_t cap = fwd + credit < sizeof out ? fwd + credit : (uint32_t)sizeof out;
    assert_int_equal(got, cap); /* exactly up to the credit */
    fwd = got;                  /* the guest application read everything */
    send_pkt(t, VMM_VSOCK_OP_CREDIT_UPDATE, 5002, hp, NULL, 0, credit, fwd);
  }
  assert_memory_equal(in, out, sizeof out);
  close(fd);
}

/* Guest -> host: a guest keeping to its credit blocks when the host does
 * not read, and resumes on the device's credit update. */
static void test_credit_from_guest(void **state) {
  vt *t = *state;
  uint32_t hp;
  int fd = establish(t, 5003, 65536, &hp);
  static uint8_t chunk[16384];
  memset(chunk, 'z', sizeof chunk);
  uint32_t tx = 0, peer_fwd = 0, peer_alloc = VMM_VSOCK_BUF_ALLOC;
  vmm_vsock_hdr h;
  int blocked = 0;
  for (int i = 0; i < 10000 && !blocked; i++) {
    while (recv_pkt(t, &h, NULL)) {
      assert_int_not_equal(h.op, VMM_VSOCK_OP_RST);
      peer_fwd = h.fwd_cnt, peer_alloc = h.buf_alloc;
    }
    uint32_t credit = peer_alloc - (tx - peer_fwd);
    if (credit < sizeof chunk) {
      blocked = 1;
      break;
    }
    send_pkt(t, VMM_VSOCK_OP_RW, 5003, hp, chunk, sizeof chunk, 65536, 0);
    tx += sizeof chunk;
  }
  assert_true(blocked);
  /* the host drains: the device forwards its buffer and reports credit */
  static uint8_t sink[1 << 16];
  uint32_t drained = 0;
  for (int i = 0; i < 2000 && drained < tx; i++) {
    ssize_t r = read_some(fd, sink, sizeof sink, 100);
    if (r > 0) drained += (uint32_t)r;
    pump(t);
  }
  assert_int_equal(drained, tx);
  while (recv_pkt(t, &h, NULL)) {
    assert_int_equal(h.op, VMM_VSOCK_OP_CREDIT_UPDATE);
    peer_fwd = h.fwd_cnt;
  }
  assert_true(peer_alloc - (tx - peer_fwd) >= sizeof chunk); /* resumed */
  send_pkt(t, VMM_VSOCK_OP_RW, 5003, hp, chunk, sizeof chunk, 65536, 0);
  assert_int_equal(read_some(fd, sink, sizeof sink, 1000), (ssize_t)sizeof chunk);
  close(fd);
}

/* A guest ignoring credit while the host does not read gets RST once the
 * device's bounded buffer would overflow. */
static void test_credit_overrun_rst(void **state) {
  vt *t = *state;
  uint32_t hp;
  int fd = establish(t, 5004, 65536, &hp);
  static uint8_t chunk[65536];
  vmm_vsock_hdr h;
  bool rst = false;
  int sent;
  for (sent = 0; sent < 200 && !rst; sent++) {
    send_pkt(t, VMM_VSOCK_OP_RW, 5004, hp, chunk, sizeof chunk, 65536, 0);
    while (recv_pkt(t, &h, NULL))
      rst |= h.op == VMM_VSOCK_OP_RST;
  }
  assert_true(rst);
  /* what the host can read is the kernel's socket buffer plus at most the
   * device's one connection buffer, never all that was sent */
  size_t total = 0;
  static uint8_t sink[1 << 16];
  ssize_t r;
  while ((r = read_some(fd, sink, sizeof sink, 200)) > 0)
    total += (size_t)r;
  assert_int_equal(r, 0); /* closed by the device */
  assert_true(total < (size_t)sent * sizeof chunk);
  close(fd);
}

static void test_big_writes_split(void **state) {
  vt *t = *state;
  uint32_t hp;
  int fd = establish(t, 5005, 65536, &hp);
  static uint8_t out[10000], in[10000];
  for (unsigned i = 0; i < sizeof out; i++)
    out[i] = (uint8_t)(i * 13 + 1);
  assert_int_equal(write(fd, out, sizeof out), (ssize_t)sizeof out);
  pump(t);
  vmm_vsock_hdr h;
  uint32_t got = 0, lens[8], n = 0;
  while (n < 8 && recv_pkt(t, &h, in + got))
    got += (lens[n++] = h.len);
  assert_int_equal(n, 3);
  assert_int_equal(lens[0], 4096);
  assert_int_equal(lens[1], 4096);
  assert_int_equal(lens[2], 10000 - 8192);
  assert_memory_equal(in, out, sizeof out);
  /* guest -> host: one 10000-byte packet over 7 descriptors */
  send_pkt_split(t, VMM_VSOCK_OP_RW, 5005, hp, out, sizeof out, 65536, got, 0, 1500);
  size_t total = 0;
  while (total < sizeof out) {
    ssize_t r = read_some(fd, in + total, sizeof in - total, 1000);
    assert_true(r > 0);
    total += (size_t)r;
  }
  assert_memory_equal(in, out, sizeof out);
  close(fd);
}

static void test_shutdown(void **state) {
  vt *t = *state;
  uint32_t hp;
  int fd = establish(t, 5006, 65536, &hp);
  /* the guest will send no more: the client reads EOF but may still write */
  send_pkt_split(t, VMM_VSOCK_OP_SHUTDOWN, 5006, hp, NULL, 0, 65536, 0, 2, 1);
  char c;
  assert_int_equal(read_some(fd, &c, 1, 1000), 0);
  assert_int_equal(write(fd, "x", 1), 1);
  pump(t);
  vmm_vsock_hdr h;
  char buf[8];
  assert_true(recv_pkt(t, &h, buf));
  assert_int_equal(h.op, VMM_VSOCK_OP_RW);
  assert_int_equal(buf[0], 'x');
  /* data after its own SHUTDOWN(SEND) is a protocol error */
  send_pkt(t, VMM_VSOCK_OP_RW, 5006, hp, "late", 4, 65536, 1);
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_RST);
  close(fd);
  /* a full shutdown from the guest: RST back, the client is closed */
  fd = establish(t, 5007, 65536, &hp);
  send_pkt_split(t, VMM_VSOCK_OP_SHUTDOWN, 5007, hp, NULL, 0, 65536, 0, 3, 1);
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_RST);
  assert_int_equal(h.src_port, hp);
  assert_int_equal(read_some(fd, &c, 1, 1000), 0);
  close(fd);
}

/* A client that half-closes (done sending) still gets the guest's reply:
 * the guest is told SHUTDOWN(SEND) only. */
static void test_host_half_close(void **state) {
  vt *t = *state;
  uint32_t hp;
  int fd = establish(t, 5011, 65536, &hp);
  assert_int_equal(write(fd, "req", 3), 3);
  assert_int_equal(shutdown(fd, SHUT_WR), 0);
  pump(t);
  vmm_vsock_hdr h;
  char buf[16];
  assert_true(recv_pkt(t, &h, buf));
  assert_int_equal(h.op, VMM_VSOCK_OP_RW);
  assert_memory_equal(buf, "req", 3);
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_SHUTDOWN);
  assert_int_equal(h.flags, VMM_VSOCK_SHUTDOWN_SEND);
  send_pkt(t, VMM_VSOCK_OP_RW, 5011, hp, "reply", 5, 65536, 3);
  assert_int_equal(read_some(fd, buf, sizeof buf, 1000), 5);
  assert_memory_equal(buf, "reply", 5);
  send_pkt_split(t, VMM_VSOCK_OP_SHUTDOWN, 5011, hp, NULL, 0, 65536, 3, 3, 1);
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_RST);
  assert_int_equal(read_some(fd, buf, 1, 1000), 0);
  close(fd);
}

static void test_connection_cap(void **state) {
  vt *t = *state;
  int fds[VMM_VSOCK_MAX_CONNS + 1];
  vmm_vsock_hdr h;
  unsigned reqs = 0;
  for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++) {
    fds[i] = client(t, "CONNECT 9\n");
    pump(t);
    while (recv_pkt(t, &h, NULL))
      reqs += h.op == VMM_VSOCK_OP_REQUEST;
  }
  assert_int_equal(reqs, VMM_VSOCK_MAX_CONNS);
  fds[VMM_VSOCK_MAX_CONNS] = client(t, "CONNECT 9\n");
  pump(t);
  assert_true(closed_by_peer(fds[VMM_VSOCK_MAX_CONNS]));
  assert_false(recv_pkt(t, &h, NULL));
  /* a guest-initiated connection over the cap gets RST */
  int l = host_listener(t, 7100);
  send_pkt(t, VMM_VSOCK_OP_REQUEST, 1, 7100, NULL, 0, 65536, 0);
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_RST);
  for (unsigned i = 0; i <= VMM_VSOCK_MAX_CONNS; i++)
    close(fds[i]);
  close(l);
}

static void test_malformed_packets(void **state) {
  vt *t = *state;
  uint32_t hp;
  int fd = establish(t, 5008, 65536, &hp);
  vmm_vsock_hdr h;
  /* a header shorter than 44 bytes: dropped */
  fake_seg s = {t->tx_buf, 20, false};
  fake_add(&t->f, TXQ, &s, 1);
  fake_kick(&t->f, TXQ);
  assert_false(recv_pkt(t, &h, NULL));
  /* wrong source CID: dropped */
  vmm_vsock_hdr bad = {99, 2, 5008, hp, 0, 1, VMM_VSOCK_OP_RW, 0, 65536, 0};
  memcpy(fake_ptr(&t->f, t->tx_buf), &bad, HDR);
  s.len = HDR;
  fake_add(&t->f, TXQ, &s, 1);
  fake_kick(&t->f, TXQ);
  assert_false(recv_pkt(t, &h, NULL));
  /* RW to an unknown connection: RST; RST to one: nothing */
  send_pkt(t, VMM_VSOCK_OP_RW, 4444, 4444, "x", 1, 65536, 0);
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_RST);
  send_pkt(t, VMM_VSOCK_OP_RST, 4444, 4444, NULL, 0, 65536, 0);
  assert_false(recv_pkt(t, &h, NULL));
  /* len past the chain on a live connection: RST, client closed */
  bad = (vmm_vsock_hdr){CID, 2, 5008, hp, 1000, 1, VMM_VSOCK_OP_RW, 0, 65536, 0};
  memcpy(fake_ptr(&t->f, t->tx_buf), &bad, HDR);
  s.len = HDR + 10;
  fake_add(&t->f, TXQ, &s, 1);
  fake_kick(&t->f, TXQ);
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_RST);
  char c;
  assert_int_equal(read_some(fd, &c, 1, 1000), 0);
  close(fd);
  /* wrong type: RST */
  fd = establish(t, 5009, 65536, &hp);
  bad = (vmm_vsock_hdr){CID, 2, 5009, hp, 0, 2, VMM_VSOCK_OP_RW, 0, 65536, 0};
  memcpy(fake_ptr(&t->f, t->tx_buf), &bad, HDR);
  s.len = HDR;
  fake_add(&t->f, TXQ, &s, 1);
  fake_kick(&t->f, TXQ);
  assert_true(recv_pkt(t, &h, NULL));
  assert_int_equal(h.op, VMM_VSOCK_OP_RST);
  close(fd);
  assert_int_equal(fake_rd(&t->f, 0x70) & 64, 0); /* the device is fine */
}

static void test_reset_closes_all(void **state) {
  vt *t = *state;
  uint32_t hp;
  int fd = establish(t, 5010, 65536, &hp);
  fake_wr(&t->f, 0x70, 0);
  char c;
  assert_int_equal(read_some(fd, &c, 1, 1000), 0);
  close(fd);
}

/* ---- both directions at once, the loop on its own thread ------------- */

#define STREAM (1u << 20)

static void *loop_main(void *arg) {
  vmm_loop_run(arg);
  return NULL;
}

typedef struct {
  int fd;
  uint8_t *buf;
  size_t n;
} io_job;

static void *host_writer(void *arg) {
  io_job *j = arg;
  for (size_t off = 0; off < j->n;) {
    ssize_t r = write(j->fd, j->buf + off, j->n - off);
    if (r <= 0) break;
    off += (size_t)r;
  }
  return NULL;
}

static void *host_reader(void *arg) {
  io_job *j = arg;
  size_t off = 0;
  while (off < j->n) {
    ssize_t r = read_some(j->fd, j->buf + off, j->n - off, 10000);
    if (r <= 0) break;
    off += (size_t)r;
  }
  j->n = off;
  return NULL;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The guest side of the duplex test: receive, acknowledge credit every 16
 * KiB, send within the device's credit. Runs on the test thread (the
 * "vCPU"), while the loop thread serves the host socket. */
static void duplex_guest(vt *t, uint32_t hp, const uint8_t *out, uint8_t *in) {
  uint32_t got = 0, acked = 0, sent = 0, peer_fwd = 0;
  vmm_vsock_hdr h;
  uint64_t deadline = now_ms() + 30000;
  while ((got < STREAM || sent < STREAM) && now_ms() < deadline) {
    bool idle = true;
    while (recv_pkt(t, &h, got < STREAM ? in + got : NULL)) {
      assert_int_not_equal(h.op, VMM_VSOCK_OP_RST);
      if (h.op == VMM_VSOCK_OP_RW) got += h.len;
      assert_true(got <= STREAM);
      peer_fwd = h.fwd_cnt, idle = false;
    }
    if (got - acked >= 16384 || (got == STREAM && acked != got)) {
      send_pkt(t, VMM_VSOCK_OP_CREDIT_UPDATE, 6000, hp, NULL, 0, 65536, got);
      acked = got;
    }
    uint32_t credit = VMM_VSOCK_BUF_ALLOC - (sent - peer_fwd), n = STREAM - sent;
    n = n < credit ? n : credit;
    n = n < 8192 ? n : 8192;
    if (n > 0) {
      send_pkt(t, VMM_VSOCK_OP_RW, 6000, hp, out + sent, n, 65536, acked);
      sent += n, idle = false;
    }
    if (idle) usleep(200);
  }
  assert_int_equal(got, STREAM);
  assert_int_equal(sent, STREAM);
}

static void test_duplex_threads(void **state) {
  vt *t = *state;
  uint32_t hp;
  int fd = establish(t, 6000, 65536, &hp);
  uint8_t *h2g = malloc(STREAM), *g2h = malloc(STREAM), *got_h = malloc(STREAM),
          *got_g = malloc(STREAM);
  for (uint32_t i = 0; i < STREAM; i++)
    h2g[i] = (uint8_t)(i * 31 + 7), g2h[i] = (uint8_t)(i ^ 0x5a);
  pthread_t lt, wt, rt;
  io_job wj = {fd, h2g, STREAM}, rj = {fd, got_h, STREAM};
  assert_int_equal(pthread_create(&lt, NULL, loop_main, t->loop), 0);
  assert_int_equal(pthread_create(&wt, NULL, host_writer, &wj), 0);
  assert_int_equal(pthread_create(&rt, NULL, host_reader, &rj), 0);
  duplex_guest(t, hp, g2h, got_g);
  pthread_join(wt, NULL);
  pthread_join(rt, NULL);
  vmm_loop_stop(t->loop);
  pthread_join(lt, NULL);
  assert_int_equal(rj.n, STREAM);
  assert_memory_equal(got_h, g2h, STREAM);
  assert_memory_equal(got_g, h2g, STREAM);
  close(fd);
  free(h2g), free(g2h), free(got_h), free(got_g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_host_connect_data, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bytes_after_line_kept, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_lines, setup, teardown),
      cmocka_unit_test_setup_teardown(test_guest_rst_closes_client, setup, teardown),
      cmocka_unit_test_setup_teardown(test_guest_connect, setup, teardown),
      cmocka_unit_test_setup_teardown(test_client_leaves_before_response, setup, teardown),
      cmocka_unit_test_setup_teardown(test_credit_to_guest, setup, teardown),
      cmocka_unit_test_setup_teardown(test_credit_from_guest, setup, teardown),
      cmocka_unit_test_setup_teardown(test_credit_overrun_rst, setup, teardown),
      cmocka_unit_test_setup_teardown(test_big_writes_split, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
      cmocka_unit_test_setup_teardown(test_host_half_close, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connection_cap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_packets, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reset_closes_all, setup, teardown),
      cmocka_unit_test_setup_teardown(test_duplex_threads, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
