/*
 * tests/unit/vmm_virtio/fake_driver.c - the in-process virtio driver
 * (fake_driver.h).
 */
#include "fake_driver.h"

#include <stdlib.h>
#include <string.h>

static void count_irq(void *ctx, unsigned gsi) {
  (void)gsi;
  __atomic_add_fetch(&((fake *)ctx)->irqs, 1, __ATOMIC_SEQ_CST);
}

void fake_init(fake *f) {
  memset(f, 0, sizeof *f);
  f->mem.base = calloc(1, FAKE_MEM);
  f->mem.size = FAKE_MEM;
  f->heap = FAKE_HEAP;
}

vmm_irq fake_irq(fake *f) { return (vmm_irq){.raise = count_irq, .ctx = f, .gsi = 5}; }

void fake_fini(fake *f) {
  vmm_virtio_mmio_destroy(f->dev);
  free(f->mem.base);
}

uint32_t fake_rd(fake *f, uint64_t off) {
  uint32_t v;
  vmm_virtio_mmio_access(f->dev, off, (uint8_t *)&v, 4, false);
  return v;
}

void fake_wr(fake *f, uint64_t off, uint32_t v) {
  vmm_virtio_mmio_access(f->dev, off, (uint8_t *)&v, 4, true);
}

void fake_queue(fake *f, unsigned q, uint16_t size) {
  fake_q *fq = &f->q[q];
  memset(fq, 0, sizeof *fq);
  fq->size = size;
  fq->desc = 0x1000 + (uint64_t)q * 0x4000;
  fq->avail = fq->desc + 0x1000;
  fq->used = fq->desc + 0x2000;
  fake_wr(f, 0x30, q);
  fake_wr(f, 0x38, size);
  fake_wr(f, 0x80, (uint32_t)fq->desc);
  fake_wr(f, 0x84, 0);
  fake_wr(f, 0x90, (uint32_t)fq->avail);
  fake_wr(f, 0x94, 0);
  fake_wr(f, 0xa0, (uint32_t)fq->used);
  fake_wr(f, 0xa4, 0);
  fake_wr(f, 0x44, 1);
}

uint32_t fake_setup(fake *f, uint64_t features, unsigned nq, uint16_t qsize) {
  fake_wr(f, 0x70, 0);
  fake_wr(f, 0x70, 1);
  fake_wr(f, 0x70, 1 | 2);
  features |= 1ull << 32;
  fake_wr(f, 0x24, 0);
  fake_wr(f, 0x20, (uint32_t)features);
  fake_wr(f, 0x24, 1);
  fake_wr(f, 0x20, (uint32_t)(features >> 32));
  fake_wr(f, 0x70, 1 | 2 | 8);
  if (!(fake_rd(f, 0x70) & 8)) return fake_rd(f, 0x70);
  for (unsigned q = 0; q < nq; q++)
    fake_queue(f, q, qsize);
  fake_wr(f, 0x70, 1 | 2 | 8 | 4);
  return fake_rd(f, 0x70);
}

uint64_t fake_alloc(fake *f, uint32_t len) {
  uint64_t g = f->heap;
  f->heap += (len + 15u) & ~15u;
  if (f->heap > FAKE_MEM) abort();
  memset(f->mem.base + g, 0, len);
  return g;
}

void *fake_ptr(fake *f, uint64_t gpa) { return f->mem.base + gpa; }

void fake_desc(fake *f, unsigned q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
               uint16_t next) {
  uint8_t *d = f->mem.base + f->q[q].desc + 16u * i;
  memcpy(d, &addr, 8);
  memcpy(d + 8, &len, 4);
  memcpy(d + 12, &flags, 2);
  memcpy(d + 14, &next, 2);
}

void fake_add_head(fake *f, unsigned q, uint16_t head) {
  fake_q *fq = &f->q[q];
  uint8_t *a = f->mem.base + fq->avail;
  memcpy(a + 4 + 2u * (fq->avail_idx % fq->size), &head, 2);
  fq->avail_idx++;
  __atomic_store_n((uint16_t *)(void *)(a + 2), fq->avail_idx, __ATOMIC_RELEASE);
}

uint16_t fake_add(fake *f, unsigned q, const fake_seg *s, unsigned n) {
  fake_q *fq = &f->q[q];
  uint16_t head = fq->next_desc % fq->size;
  for (unsigned k = 0; k < n; k++) {
    uint16_t i = (uint16_t)((fq->next_desc + k) % fq->size);
    uint16_t next = (uint16_t)((i + 1) % fq->size);
    uint16_t flags = (uint16_t)((s[k].write ? 2 : 0) | (k + 1 < n ? 1 : 0));
    fake_desc(f, q, i, s[k].gpa, s[k].len, flags, next);
  }
  fq->next_desc = (uint16_t)(fq->next_desc + n);
  fake_add_head(f, q, head);
  return head;
}

void fake_kick(fake *f, unsigned q) { fake_wr(f, 0x50, q); }

bool fake_used(fake *f, unsigned q, uint32_t *id, uint32_t *len) {
  fake_q *fq = &f->q[q];
  uint8_t *u = f->mem.base + fq->used;
  uint16_t idx = __atomic_load_n((uint16_t *)(void *)(u + 2), __ATOMIC_ACQUIRE);
  if (idx == fq->used_seen) return false;
  uint8_t *e = u + 4 + 8u * (fq->used_seen % fq->size);
  memcpy(id, e, 4);
  memcpy(len, e + 4, 4);
  fq->used_seen++;
  return true;
}
