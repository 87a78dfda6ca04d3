/*
 * fuzz_virtqueue.c - libFuzzer target for the split-virtqueue walker
 * (vmm/src/virtio/queue.c). The input is a queue configuration (size and
 * ring addresses), then the contents of a 64 KiB guest memory: descriptor
 * table, avail ring and buffers are whatever the fuzzer writes. The walker
 * pops and pushes until the queue is empty or broken; every chain it
 * returns must lie inside guest memory and within its bounds.
 * Invariants are checked with __builtin_trap so libFuzzer reports them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "queue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                \
  do {                          \
    if (!(c)) __builtin_trap(); \
  } while (0)

#define MEM (64u * 1024u)
#define CFG 14

static void check_bufs(const vmm_guest_mem *m, const vmm_vq_buf *b, unsigned n, uint32_t total) {
  uint64_t sum = 0;
  for (unsigned k = 0; k < n; k++) {
    CHECK(b[k].p >= m->base && b[k].p <= m->base + m->size);
    CHECK(b[k].len <= (uint64_t)(m->base + m->size - b[k].p));
    sum += b[k].len;
  }
  CHECK(sum == total && total <= VMM_VQ_MAX_CHAIN_BYTES);
}

static void exercise(const vmm_vq_chain *c) {
  static uint8_t tmp[4096];
  struct iovec iov[8];
  uint32_t off = c->out_len / 3;
  CHECK(vmm_vq_read(c, off, tmp, sizeof tmp) <= sizeof tmp);
  CHECK(vmm_vq_write(c, c->in_len / 2, tmp, 64) <= 64);
  CHECK(vmm_vq_iov(c, true, 1, c->in_len, iov, 8) <= 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t *mem_buf;
  if (mem_buf == NULL) mem_buf = malloc(MEM);
  if (size < CFG) return 0;
  vmm_guest_mem mem = {mem_buf, MEM};
  memset(mem_buf, 0, MEM);
  size_t body = size - CFG < MEM ? size - CFG : MEM;
  memcpy(mem_buf, data + CFG, body);

  vmm_vq q;
  uint16_t max = 1u << (data[0] % 9); /* 1..256 */
  vmm_vq_reset(&q, max);
  memcpy(&q.size, data + 1, 2);
  uint32_t d, a, u;
  memcpy(&d, data + 3, 4), memcpy(&a, data + 7, 4);
  u = (uint32_t)data[11] << 8 | data[12];
  q.desc_gpa = d % (MEM + 64), q.avail_gpa = a % (MEM + 64), q.used_gpa = (uint64_t)u * 4;
  if (vmm_vq_activate(&q, &mem, max) != 0) {
    CHECK(!q.ready);
    return 0;
  }
  CHECK(q.size >= 1 && q.size <= max && (q.size & (q.size - 1)) == 0);
  static vmm_vq_chain c;
  unsigned popped = 0;
  for (;;) {
    int rc = vmm_vq_pop(&q, &mem, &c);
    if (rc <= 0) {
      CHECK(rc == 0 || q.broken);
      break;
    }
    CHECK(++popped <= q.size); /* avail idx is at most size ahead */
    CHECK(c.head < q.size);
    CHECK((unsigned)c.n_out + c.n_in <= q.size);
    check_bufs(&mem, c.out, c.n_out, c.out_len);
    check_bufs(&mem, c.in, c.n_in, c.in_len);
    if (data[13] & 1) exercise(&c);
    vmm_vq_push(&q, c.head, c.in_len);
  }
  return 0;
}
