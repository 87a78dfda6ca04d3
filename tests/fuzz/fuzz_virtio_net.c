/*
 * fuzz_virtio_net.c - libFuzzer target for virtio-net (vmm/src/virtio/net.c):
 * guest tx chains and the bytes the network stack writes to its socket.
 * Per input a device is created over a fresh socketpair, set up through its
 * MMIO registers by a minimal driver over a 1 MiB guest memory, then driven
 * by records (first byte: what, then its arguments from the input):
 *   0 a tx chain: up to 8 descriptors, any of them writable, lengths and
 *     bytes (header included) from the input or a pattern past the
 *     header, optionally a header forced to zero so frames go out,
 *     optionally a descriptor outside memory (the device's send buffer is
 *     small: back-pressure within a few KiB)
 *   1 a well-framed frame from the stack, written in two pieces with the
 *     loop run in between (bytes from the input or a pattern); 2 raw bytes
 *     from the stack (bad lengths, split prefixes)
 *   3 rx chains posted (1-3 descriptors each), with or without a notify
 *   4 one loop round; 5 the stack drains its socket; 6 a device reset and
 *     a new setup, or the stack closing its end; 7 a bare notify.
 * Invariants (trap on failure): tx chains come back with length 0; an rx
 * chain's used length is 0 or a header plus 1.. bytes within the chain,
 * the header zero but num_buffers 1; every length on the wire is
 * 1..VMM_NET_MAX_FRAME; the counters never exceed what was offered.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "virtio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                \
  do {                          \
    if (!(c)) __builtin_trap(); \
  } while (0)

#define MEM (1u << 20)
#define HDR 12u
#define RXBASE 0x10000u /* 64 rx slots of 4 KiB */
#define RXSLOT 4096u
#define TXBASE 0x60000u /* tx bytes, used as a ring */
#define TXSIZE 0x80000u
#define TXMAX 72000u

/* The device returns chains in the order it took them, so descriptors are
 * handed out as a ring and a chain is added only when its descriptors are
 * free: a live chain is never overwritten. */
typedef struct {
  uint16_t avail, used_seen, next, desc_out;
  uint8_t n[64]; /* by head: descriptors of the chain */
} drvq;

static vmm_guest_mem mem;
static vmm_loop *loop;
static vmm_virtio_mmio *dev;
static int host;
static uint16_t qs;
static drvq q[2];
static uint32_t rx_len[64]; /* by head: the chain's bytes */
static uint64_t rx_gpa[64], rx_first[64];
static uint64_t tx_added, rx_added, tx_cur;
static uint8_t wire_pfx[4];
static uint32_t wire_have, wire_left; /* prefix bytes seen; frame bytes to skip */
static uint64_t wire_frames;

static const uint8_t *in;
static size_t in_len, in_off;

static uint8_t take(void) { return in_off < in_len ? in[in_off++] : 0; }
static uint16_t take16(void) { return (uint16_t)(take() | take() << 8); }

static void irq_fn(void *ctx, unsigned gsi) { (void)ctx, (void)gsi; }

static void wr(uint64_t off, uint32_t v) {
  vmm_virtio_mmio_access(dev, off, (uint8_t *)&v, 4, true);
}

static uint64_t ring(unsigned i) { return 0x1000 + (uint64_t)i * 0x4000; }

static void setup_queues(uint8_t sel) {
  qs = (uint16_t)(8u << (sel & 3));
  memset(q, 0, sizeof q);
  memset(mem.base, 0, RXBASE);
  wr(0x70, 0);
  wr(0x70, 3);
  wr(0x24, 0), wr(0x20, 1u << VMM_NET_F_MAC | (sel & 4 ? 1u << VMM_NET_F_STATUS : 0));
  wr(0x24, 1), wr(0x20, 1);
  wr(0x70, 3 | 8);
  for (unsigned i = 0; i < 2; i++) {
    wr(0x30, i), wr(0x38, qs);
    wr(0x80, (uint32_t)ring(i)), wr(0x90, (uint32_t)ring(i) + 0x1000);
    wr(0xa0, (uint32_t)ring(i) + 0x2000), wr(0x44, 1);
  }
  wr(0x70, 3 | 8 | 4);
}

static bool room(unsigned i, unsigned n) { return q[i].desc_out + n <= qs; }

/* Make a chain available on queue i (room checked); returns its head. */
static uint16_t add(unsigned i, const uint64_t *gpa, const uint32_t *len, const bool *w,
                    unsigned n) {
  uint8_t *desc = mem.base + ring(i), *avail = desc + 0x1000;
  uint16_t head = q[i].next % qs;
  for (unsigned k = 0; k < n; k++) {
    uint16_t d = (uint16_t)((q[i].next + k) % qs), next = (uint16_t)((d + 1) % qs);
    uint16_t flags = (uint16_t)((w[k] ? 2 : 0) | (k + 1 < n ? 1 : 0));
    memcpy(desc + 16 * d, &gpa[k], 8);
    memcpy(desc + 16 * d + 8, &len[k], 4);
    memcpy(desc + 16 * d + 12, &flags, 2);
    memcpy(desc + 16 * d + 14, &next, 2);
  }
  q[i].next = (uint16_t)(q[i].next + n);
  memcpy(avail + 4 + 2 * (q[i].avail % qs), &head, 2);
  q[i].avail++, q[i].desc_out = (uint16_t)(q[i].desc_out + n), q[i].n[head] = (uint8_t)n;
  __atomic_store_n((uint16_t *)(void *)(avail + 2), q[i].avail, __ATOMIC_RELEASE);
  return head;
}

static void drain_used(void) {
  for (unsigned i = 0; i < 2; i++) {
    uint8_t *used = mem.base + ring(i) + 0x2000;
    uint16_t idx = __atomic_load_n((uint16_t *)(void *)(used + 2), __ATOMIC_ACQUIRE);
    for (; q[i].used_seen != idx; q[i].used_seen++) {
      uint32_t id, len;
      memcpy(&id, used + 4 + 8 * (q[i].used_seen % qs), 4);
      memcpy(&len, used + 8 + 8 * (q[i].used_seen % qs), 4);
      CHECK(id < qs && q[i].n[id] > 0 && q[i].n[id] <= q[i].desc_out);
      q[i].desc_out = (uint16_t)(q[i].desc_out - q[i].n[id]), q[i].n[id] = 0;
      if (i == 1) {
        CHECK(len == 0);
        continue;
      }
      CHECK(len == 0 || (len > HDR && len <= rx_len[id]));
      if (len > 0 && rx_first[id] >= HDR) {
        static const uint8_t want[HDR] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
        CHECK(memcmp(mem.base + rx_gpa[id], want, HDR) == 0);
      }
    }
  }
}

static void op_tx(void) {
  uint8_t a = take(), wmask = take(), flags = take();
  unsigned n = 1 + (a & 7);
  uint64_t gpa[8];
  uint32_t len[8], total = 0;
  bool w[8];
  for (unsigned k = 0; k < n; k++) {
    len[k] = take16() % (TXMAX / n + 1);
    total += len[k];
  }
  if (tx_cur + total > TXSIZE) tx_cur = 0;
  uint8_t *p = mem.base + TXBASE + tx_cur;
  for (uint32_t b = 0; b < total; b++)
    p[b] = (flags & 8) && b >= HDR ? (uint8_t)b : take(); /* 8: a pattern past the header */
  if ((flags & 1) && total >= 2) p[0] = p[1] = 0;         /* flags, gso_type */
  for (unsigned k = 0, off = 0; k < n; off += len[k], k++) {
    gpa[k] = TXBASE + tx_cur + off;
    w[k] = (wmask >> k) & 1 && (flags & 4);
  }
  if ((flags & 0x40) && n > 1) gpa[n - 1] = MEM - 8, len[n - 1] = 64; /* breaks the queue */
  tx_cur += total;
  if (room(1, n)) add(1, gpa, len, w, n), tx_added++;
  if (!(flags & 2)) wr(0x50, 1);
}

static void host_write(const uint8_t *p, size_t n) {
  if (host >= 0 && n > 0) {
    ssize_t r = send(host, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)r;
  }
}

static void op_framed(void) {
  static uint8_t buf[4 + TXMAX];
  uint8_t hi = take();
  uint32_t len = take16() | (uint32_t)(hi & 1) << 16, split = take16();
  len = 1 + len % VMM_NET_MAX_FRAME;
  buf[0] = (uint8_t)(len >> 24), buf[1] = (uint8_t)(len >> 16);
  buf[2] = (uint8_t)(len >> 8), buf[3] = (uint8_t)len;
  for (uint32_t b = 0; b < len; b++)
    buf[4 + b] = hi & 2 ? (uint8_t)b : take();
  split %= 4 + len;
  host_write(buf, split);
  vmm_loop_run_once(loop, 0);
  host_write(buf + split, 4 + len - split);
}

static void op_raw(void) {
  uint8_t buf[256];
  unsigned n = take();
  for (unsigned b = 0; b < n; b++)
    buf[b] = take();
  host_write(buf, n);
}

static void op_rx(void) {
  uint8_t a = take(), b = take();
  unsigned n = 1 + (b & 3) % 3;
  for (unsigned c = 1 + (a & 7); c > 0 && room(0, n); c--) {
    uint16_t head = q[0].next % qs;
    uint64_t gpa[3];
    uint32_t len[3], off = 0;
    bool w[3] = {!(b & 4), true, true};
    for (unsigned k = 0; k < n; k++) {
      len[k] = take16() % (RXSLOT / 3 + 1);
      gpa[k] = RXBASE + (uint64_t)(head % 64) * RXSLOT + off;
      off += len[k];
    }
    rx_len[head] = 0;
    for (unsigned k = 0; k < n; k++)
      rx_len[head] += w[k] ? len[k] : 0;
    rx_gpa[head] = gpa[0], rx_first[head] = w[0] ? len[0] : 0;
    add(0, gpa, len, w, n);
    rx_added++;
  }
  if (!(b & 0x80)) wr(0x50, 0);
}

/* The stack reads what the device wrote: every length must be in range. */
static void op_drain(void) {
  uint8_t buf[8192];
  ssize_t r;
  while (host >= 0 && (r = recv(host, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
    for (ssize_t k = 0; k < r;) {
      if (wire_left > 0) {
        uint32_t n = (uint32_t)(r - k) < wire_left ? (uint32_t)(r - k) : wire_left;
        k += n, wire_left -= n;
        wire_frames += wire_left == 0;
        continue;
      }
      wire_pfx[wire_have++] = buf[k++];
      if (wire_have < 4) continue;
      wire_left = (uint32_t)wire_pfx[0] << 24 | (uint32_t)wire_pfx[1] << 16 |
                  (uint32_t)wire_pfx[2] << 8 | wire_pfx[3];
      wire_have = 0;
      CHECK(wire_left >= 1 && wire_left <= VMM_NET_MAX_FRAME);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (loop == NULL) {
    mem.base = malloc(MEM), mem.size = MEM;
    loop = vmm_loop_new();
    CHECK(mem.base != NULL && loop != NULL);
  }
  in = data, in_len = size, in_off = 0;
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  host = sv[0];
  int small = 4096; /* back-pressure within a few KiB */
  setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  static const uint8_t mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
  char err[128];
  vmm_irq irq = {irq_fn, NULL, 5};
  CHECK(vmm_virtio_net_create_fd(loop, &mem, irq, mac, sv[1], &dev, err, sizeof err) == 0);
  tx_added = rx_added = tx_cur = 0;
  wire_have = wire_left = 0, wire_frames = 0;
  setup_queues(take());
  for (int rec = 0; rec < 256 && in_off < in_len; rec++) {
    uint8_t op = take();
    switch (op % 8) {
    case 0: op_tx(); break;
    case 1: op_framed(); break;
    case 2: op_raw(); break;
    case 3: op_rx(); break;
    case 4: vmm_loop_run_once(loop, 0); break;
    case 5: op_drain(); break;
    case 6:
      if ((op & 0x80) && host >= 0) {
        close(host);
        host = -1;
      } else {
        drain_used();
        setup_queues(op >> 3);
      }
      break;
    default: wr(0x50, (op >> 3) & 1); break;
    }
    drain_used();
  }
  for (int i = 0; i < 4; i++)
    vmm_loop_run_once(loop, 0);
  op_drain();
  drain_used();
  vmm_net_stats st;
  CHECK(vmm_virtio_net_stats(dev, &st) == 0);
  CHECK(st.tx_frames + st.tx_dropped + st.tx_malformed <= tx_added);
  CHECK(st.rx_frames + st.rx_dropped <= rx_added);
  CHECK(wire_frames <= st.tx_frames);
  vmm_virtio_mmio_destroy(dev);
  dev = NULL;
  if (host >= 0) close(host);
  return 0;
}
