/*
 * tests/unit/vmm_virtio/fake_driver.h - a virtio driver in the test
 * process: guest memory is a malloc'ed buffer, the device is reached only
 * through its MMIO register handler, rings are laid out and read the way a
 * guest kernel would. Interrupts are counted.
 */
#ifndef FAKE_DRIVER_H
#define FAKE_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio.h"

#define FAKE_MEM (4u << 20)
#define FAKE_HEAP 0x100000u

typedef struct fake_q {
  uint16_t size;
  uint64_t desc, avail, used;
  uint16_t avail_idx, used_seen, next_desc;
} fake_q;

typedef struct fake_seg {
  uint64_t gpa;
  uint32_t len;
  bool write;
} fake_seg;

typedef struct fake {
  vmm_guest_mem mem;
  vmm_virtio_mmio *dev;
  int irqs;
  fake_q q[8];
  uint64_t heap;
} fake;

/* Guest memory and the irq for a device; the device is created by the
 * caller into f->dev. */
void fake_init(fake *f);
vmm_irq fake_irq(fake *f);
void fake_fini(fake *f); /* destroys f->dev and frees memory */

/* A 32-bit register read / write through vmm_virtio_mmio_access. */
uint32_t fake_rd(fake *f, uint64_t off);
void fake_wr(fake *f, uint64_t off, uint32_t v);

/* Negotiate (VERSION_1 | extra features), set up nq queues of qsize and set
 * DRIVER_OK. Returns the final status register. */
uint32_t fake_setup(fake *f, uint64_t features, unsigned nq, uint16_t qsize);
/* Program queue q's registers (size and ring addresses) and write Ready. */
void fake_queue(fake *f, unsigned q, uint16_t size);

/* Bump-allocate guest memory (zeroed); returns its gpa. fake_ptr is the
 * host pointer of a gpa (no bounds check: the test chose it). */
uint64_t fake_alloc(fake *f, uint32_t len);
void *fake_ptr(fake *f, uint64_t gpa);

/* Make a chain of segments available on q (no notify). Returns the head. */
uint16_t fake_add(fake *f, unsigned q, const fake_seg *s, unsigned n);
/* Publish a raw head index in the avail ring (for malformed tests). */
void fake_add_head(fake *f, unsigned q, uint16_t head);
/* Write descriptor i of q directly. */
void fake_desc(fake *f, unsigned q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
               uint16_t next);
/* Write QueueNotify for q (the device runs its handler on this thread). */
void fake_kick(fake *f, unsigned q);
/* Next used element of q: true with id/len filled, false when none. */
bool fake_used(fake *f, unsigned q, uint32_t *id, uint32_t *len);

#endif
