/*
 * vmm/virtio/queue.h - split virtqueues (virtio 1.x, 2.6) as a device sees
 * them. The guest owns the rings; everything read from them is bounded
 * here: the queue size (a power of two, 1..max), the ring addresses
 * (aligned, inside guest memory), every descriptor index and buffer
 * (vmm_gpa), the chain length (at most `size` descriptors, so a loop ends),
 * the chain's total bytes (VMM_VQ_MAX_CHAIN_BYTES) and the avail index
 * (a jump past `size` means a broken driver). A queue found broken stays
 * broken until reset: vmm_vq_pop() returns an error and the transport sets
 * DEVICE_NEEDS_RESET. No indirect descriptors, no event index.
 *
 * Not locked: the transport's device mutex guards a vmm_vq.
 */
#ifndef VMM_VIRTIO_QUEUE_H
#define VMM_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"

#define VMM_VQ_MAX_SIZE 256u
#define VMM_VQ_MAX_CHAIN_BYTES (1u << 20)

/* One guest buffer of a chain, already turned into a host pointer. */
typedef struct vmm_vq_buf {
  uint8_t *p;
  uint32_t len;
} vmm_vq_buf;

/* A popped descriptor chain: n_out device-readable buffers, then n_in
 * device-writable ones (the spec's order; a chain that mixes them is
 * refused). Pointers stay valid while guest memory is mapped. */
typedef struct vmm_vq_chain {
  uint16_t head;
  uint16_t n_out, n_in;
  uint32_t out_len, in_len; /* totals, each <= VMM_VQ_MAX_CHAIN_BYTES */
  vmm_vq_buf out[VMM_VQ_MAX_SIZE];
  vmm_vq_buf in[VMM_VQ_MAX_SIZE];
} vmm_vq_chain;

typedef struct vmm_vq {
  /* set by the driver through the transport */
  uint16_t size;
  bool ready;
  uint64_t desc_gpa, avail_gpa, used_gpa;
  /* device state */
  bool broken;
  uint16_t last_avail, used_idx;
  uint8_t *desc, *avail, *used; /* resolved by vmm_vq_activate */
} vmm_vq;

/* Reset q to the state after device reset (size = max, not ready). */
void vmm_vq_reset(vmm_vq *q, uint16_t max);

/* Validate the driver's size and ring addresses against `max` and guest
 * memory and make q ready. Returns 0, or -EINVAL (size 0, not a power of
 * two, above max, a ring misaligned or outside memory): q stays not ready. */
int vmm_vq_activate(vmm_vq *q, const vmm_guest_mem *mem, uint16_t max);

/* True when q is ready, not broken and the driver has made a chain
 * available (acquire read of avail->idx). */
bool vmm_vq_has_avail(vmm_vq *q);

/* Pop the next available chain into *c. Returns 1 with *c filled, 0 when
 * none is available, or -EIO when the ring or the chain is malformed (then
 * q->broken is set and q pops nothing more until reset). */
int vmm_vq_pop(vmm_vq *q, const vmm_guest_mem *mem, vmm_vq_chain *c);

/* Return chain `head` to the driver with `len` bytes written (release
 * store of used->idx after the element). */
void vmm_vq_push(vmm_vq *q, uint16_t head, uint32_t len);

/* Copy up to `len` bytes of the chain's readable side, starting `off`
 * bytes into it, to dst. Returns the bytes copied. */
uint32_t vmm_vq_read(const vmm_vq_chain *c, uint32_t off, void *dst, uint32_t len);

/* Copy up to `len` bytes from src into the chain's writable side, starting
 * `off` bytes into it. Returns the bytes copied. */
uint32_t vmm_vq_write(const vmm_vq_chain *c, uint32_t off, const void *src, uint32_t len);

/* Fill iov (at most max entries) with the readable (out) or writable side
 * of c from byte `off`, at most `len` bytes. Returns the entries used. */
struct iovec;
int vmm_vq_iov(const vmm_vq_chain *c, bool writable, uint32_t off, uint32_t len, struct iovec *iov,
               int max);

#endif
