/*
 * fuzz_vsock_packet.c - libFuzzer target for virtio-vsock's guest packet
 * handling (vmm/src/virtio/vsock.c). A device is driven through its MMIO
 * registers by a minimal driver over a 1 MiB guest memory. Per input: the
 * device is reset and set up, a host client may connect ("CONNECT <port>"),
 * then the input is a sequence of records, each a tx packet (44-byte
 * header, payload, split across descriptors as the record says) with flag
 * bits that fix up the CIDs, aim the packet at the host client's port, post
 * rx buffers or run the event loop. The device must never crash, hang or
 * leak; the sanitizers check memory.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "virtio.h"
#include "vsock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM (1u << 20)
#define QS 64u
#define CID 3
#define HDR 44u
#define RXBUF 0x10000u /* rx buffers: 64 x 4 KiB + header */
#define RXSZ (HDR + 4096u)
#define TXBUF 0x60000u /* one tx packet, up to 64 KiB + header */

typedef struct {
  uint16_t avail, used_seen, next;
} drvq;

static vmm_guest_mem mem;
static vmm_loop *loop;
static vmm_virtio_mmio *dev;
static drvq q[3];
static unsigned rx_out; /* rx buffers posted, not yet used */
static char path[64];

static void irq_fn(void *ctx, unsigned gsi) { (void)ctx, (void)gsi; }

static void wr(uint64_t off, uint32_t v) {
  vmm_virtio_mmio_access(dev, off, (uint8_t *)&v, 4, true);
}

static uint64_t ring(unsigned i) { return 0x1000 + (uint64_t)i * 0x4000; }

static void add(unsigned i, const uint64_t *gpa, const uint32_t *len, unsigned n, bool write) {
  uint8_t *desc = mem.base + ring(i), *avail = desc + 0x1000;
  uint16_t head = q[i].next % QS;
  for (unsigned k = 0; k < n; k++) {
    uint16_t d = (uint16_t)((q[i].next + k) % QS), next = (uint16_t)((d + 1) % QS);
    uint16_t flags = (uint16_t)((write ? 2 : 0) | (k + 1 < n ? 1 : 0));
    memcpy(desc + 16 * d, &gpa[k], 8);
    memcpy(desc + 16 * d + 8, &len[k], 4);
    memcpy(desc + 16 * d + 12, &flags, 2);
    memcpy(desc + 16 * d + 14, &next, 2);
  }
  q[i].next = (uint16_t)(q[i].next + n);
  memcpy(avail + 4 + 2 * (q[i].avail % QS), &head, 2);
  q[i].avail++;
  __atomic_store_n((uint16_t *)(void *)(avail + 2), q[i].avail, __ATOMIC_RELEASE);
}

static void setup_device(void) {
  memset(mem.base, 0, MEM);
  memset(q, 0, sizeof q);
  rx_out = 0;
  wr(0x70, 0);
  wr(0x70, 3);
  wr(0x24, 1), wr(0x20, 1);
  wr(0x70, 3 | 8);
  for (unsigned i = 0; i < 3; i++) {
    wr(0x30, i), wr(0x38, QS);
    wr(0x80, (uint32_t)ring(i)), wr(0x90, (uint32_t)ring(i) + 0x1000);
    wr(0xa0, (uint32_t)ring(i) + 0x2000), wr(0x44, 1);
  }
  wr(0x70, 3 | 8 | 4);
}

static void post_rx(unsigned n) {
  if (n > QS - rx_out) n = QS - rx_out;
  rx_out += n;
  for (unsigned k = 0; k < n; k++) {
    uint64_t g = RXBUF + (uint64_t)(q[0].next % QS) * RXSZ;
    uint32_t l = RXSZ;
    add(0, &g, &l, 1, true);
  }
  wr(0x50, 0);
}

/* The host port of the last REQUEST the device sent, if any. */
static uint32_t drain_rx(void) {
  uint8_t *used = mem.base + ring(0) + 0x2000;
  uint16_t idx = __atomic_load_n((uint16_t *)(void *)(used + 2), __ATOMIC_ACQUIRE);
  uint32_t port = 0;
  for (; q[0].used_seen != idx; q[0].used_seen++) {
    uint32_t id, len;
    memcpy(&id, used + 4 + 8 * (q[0].used_seen % QS), 4);
    memcpy(&len, used + 8 + 8 * (q[0].used_seen % QS), 4);
    if (id >= QS || len > RXSZ) __builtin_trap();
    vmm_vsock_hdr h;
    memcpy(&h, mem.base + RXBUF + (uint64_t)id * RXSZ, HDR);
    if (len >= HDR && h.op == VMM_VSOCK_OP_REQUEST) port = h.src_port;
    rx_out--;
  }
  return port;
}

static void unlink_path(void) { unlink(path); }

static void init(void) {
  char err[256];
  mem.base = malloc(MEM), mem.size = MEM;
  loop = vmm_loop_new();
  snprintf(path, sizeof path, "/tmp/fuzz-vsock-%d.sock", (int)getpid());
  vmm_irq irq = {irq_fn, NULL, 5};
  if (vmm_virtio_vsock_create(loop, &mem, irq, CID, path, &dev, err, sizeof err) != 0) abort();
  atexit(unlink_path);
}

static int host_client(unsigned port) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) abort();
  char line[32];
  int n = snprintf(line, sizeof line, "CONNECT %u\nxyz", port);
  if (write(fd, line, (size_t)n) != n) abort();
  return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (dev == NULL) init();
  setup_device();
  post_rx(32);
  int cfd = -1;
  uint32_t host_port = 0;
  if (size > 0 && (data[0] & 1)) {
    cfd = host_client(data[0] >> 1);
    for (int i = 0; i < 3; i++)
      vmm_loop_run_once(loop, 0);
    host_port = drain_rx();
  }
  size_t off = 1;
  for (int rec = 0; rec < 64 && off + 4 + HDR <= size; rec++) {
    uint8_t flags = data[off], piece = data[off + 1];
    uint16_t plen;
    memcpy(&plen, data + off + 2, 2);
    off += 4;
    size_t avail = size - off - HDR;
    plen = (uint16_t)(plen < avail ? plen : avail);
    uint8_t *tx = mem.base + TXBUF;
    memcpy(tx, data + off, HDR + plen);
    off += HDR + plen;
    vmm_vsock_hdr h;
    memcpy(&h, tx, HDR);
    if (flags & 1) h.src_cid = CID, h.dst_cid = 2, h.type = 1;
    if ((flags & 2) && host_port) h.dst_port = host_port, h.src_port = data[0] >> 1;
    if (flags & 8) h.len = plen;
    memcpy(tx, &h, HDR);
    uint64_t gpa[32];
    uint32_t len[32], total = HDR + plen, step = piece ? piece : total, n = 0;
    for (uint32_t o = 0; o < total && n < 32; o += step, n++) {
      gpa[n] = TXBUF + o;
      len[n] = total - o < step || n == 31 ? total - o : step;
    }
    add(1, gpa, len, n, false);
    wr(0x50, 1);
    if (flags & 4) {
      vmm_loop_run_once(loop, 0);
      if (cfd >= 0 && (flags & 16)) {
        char b[256];
        ssize_t r = recv(cfd, b, sizeof b, MSG_DONTWAIT);
        (void)r;
      }
    }
    uint32_t p = drain_rx();
    if (p && !host_port) host_port = p;
    post_rx(flags & 32 ? 1 : 8);
  }
  if (cfd >= 0) close(cfd);
  wr(0x70, 0); /* reset: every connection closed */
  for (int i = 0; i < 4; i++)
    vmm_loop_run_once(loop, 0);
  return 0;
}
