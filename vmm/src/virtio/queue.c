/*
 * vmm/virtio/queue.c - split virtqueues (queue.h). Ring layout (virtio
 * 1.x): descriptor table of 16-byte entries {addr u64, len u32, flags u16,
 * next u16}; avail ring {flags u16, idx u16, ring[size] u16}; used ring
 * {flags u16, idx u16, ring[size] {id u32, len u32}}. All little-endian
 * (x86 hosts only).
 */
#include "queue.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#define DESC_F_NEXT 1u
#define DESC_F_WRITE 2u
#define DESC_F_INDIRECT 4u

typedef struct {
  uint64_t addr;
  uint32_t len;
  uint16_t flags, next;
} vq_desc;

void vmm_vq_reset(vmm_vq *q, uint16_t max) {
  memset(q, 0, sizeof *q);
  q->size = max;
}

int vmm_vq_activate(vmm_vq *q, const vmm_guest_mem *mem, uint16_t max) {
  uint64_t n = q->size;
  if (n == 0 || n > max || (n & (n - 1)) != 0) return -EINVAL;
  if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3)) return -EINVAL;
  uint8_t *d = vmm_gpa(mem, q->desc_gpa, 16 * n);
  uint8_t *a = vmm_gpa(mem, q->avail_gpa, 6 + 2 * n);
  uint8_t *u = vmm_gpa(mem, q->used_gpa, 6 + 8 * n);
  if (d == NULL || a == NULL || u == NULL) return -EINVAL;
  q->desc = d, q->avail = a, q->used = u;
  q->last_avail = 0, q->used_idx = 0, q->broken = false;
  q->ready = true;
  return 0;
}

static uint16_t avail_idx(const vmm_vq *q) {
  return __atomic_load_n((uint16_t *)(void *)(q->avail + 2), __ATOMIC_ACQUIRE);
}

bool vmm_vq_has_avail(vmm_vq *q) {
  if (!q->ready || q->broken) return false;
  return avail_idx(q) != q->last_avail;
}

static int fail(vmm_vq *q) {
  q->broken = true;
  return -EIO;
}

/* One descriptor of a chain into c; -EIO when its buffer is bad. */
static int add_desc(const vmm_guest_mem *mem, const vq_desc *d, vmm_vq_chain *c) {
  uint8_t *p = vmm_gpa(mem, d->addr, d->len);
  if (p == NULL || (d->flags & DESC_F_INDIRECT)) return -EIO;
  if (d->flags & DESC_F_WRITE) {
    if (d->len > VMM_VQ_MAX_CHAIN_BYTES - c->in_len) return -EIO;
    c->in[c->n_in++] = (vmm_vq_buf){p, d->len};
    c->in_len += d->len;
  } else {
    if (c->n_in > 0) return -EIO; /* readable after writable */
    if (d->len > VMM_VQ_MAX_CHAIN_BYTES - c->out_len) return -EIO;
    c->out[c->n_out++] = (vmm_vq_buf){p, d->len};
    c->out_len += d->len;
  }
  return 0;
}

int vmm_vq_pop(vmm_vq *q, const vmm_guest_mem *mem, vmm_vq_chain *c) {
  if (!q->ready || q->broken) return q->broken ? -EIO : 0;
  uint16_t idx = avail_idx(q);
  uint16_t pending = (uint16_t)(idx - q->last_avail);
  if (pending == 0) return 0;
  if (pending > q->size) return fail(q);
  uint16_t slot = q->last_avail & (q->size - 1);
  uint16_t head;
  memcpy(&head, q->avail + 4 + 2 * slot, 2);
  if (head >= q->size) return fail(q);
  c->head = head, c->n_out = c->n_in = 0, c->out_len = c->in_len = 0;
  uint16_t i = head;
  for (unsigned n = 0;; n++) {
    if (n >= q->size) return fail(q); /* longer than the table: a loop */
    vq_desc d;
    memcpy(&d, q->desc + 16 * (size_t)i, sizeof d);
    if (add_desc(mem, &d, c) != 0) return fail(q);
    if (!(d.flags & DESC_F_NEXT)) break;
    if (d.next >= q->size) return fail(q);
    i = d.next;
  }
  q->last_avail++;
  return 1;
}

void vmm_vq_push(vmm_vq *q, uint16_t head, uint32_t len) {
  if (!q->ready) return;
  uint16_t slot = q->used_idx & (q->size - 1);
  uint32_t elem[2] = {head, len};
  memcpy(q->used + 4 + 8 * (size_t)slot, elem, sizeof elem);
  q->used_idx++;
  __atomic_store_n((uint16_t *)(void *)(q->used + 2), q->used_idx, __ATOMIC_RELEASE);
}

uint32_t vmm_vq_read(const vmm_vq_chain *c, uint32_t off, void *dst, uint32_t len) {
  uint32_t done = 0;
  for (unsigned k = 0; k < c->n_out && done < len; k++) {
    const vmm_vq_buf *b = &c->out[k];
    if (off >= b->len) {
      off -= b->len;
      continue;
    }
    uint32_t n = b->len - off < len - done ? b->len - off : len - done;
    memcpy((uint8_t *)dst + done, b->p + off, n);
    done += n, off = 0;
  }
  return done;
}

uint32_t vmm_vq_write(const vmm_vq_chain *c, uint32_t off, const void *src, uint32_t len) {
  uint32_t done = 0;
  for (unsigned k = 0; k < c->n_in && done < len; k++) {
    const vmm_vq_buf *b = &c->in[k];
    if (off >= b->len) {
      off -= b->len;
      continue;
    }
    uint32_t n = b->len - off < len - done ? b->len - off : len - done;
    memcpy(b->p + off, (const uint8_t *)src + done, n);
    done += n, off = 0;
  }
  return done;
}

int vmm_vq_iov(const vmm_vq_chain *c, bool writable, uint32_t off, uint32_t len, struct iovec *iov,
               int max) {
  const vmm_vq_buf *bufs = writable ? c->in : c->out;
  unsigned nb = writable ? c->n_in : c->n_out;
  int n = 0;
  for (unsigned k = 0; k < nb && len > 0 && n < max; k++) {
    if (off >= bufs[k].len) {
      off -= bufs[k].len;
      continue;
    }
    uint32_t take = bufs[k].len - off < len ? bufs[k].len - off : len;
    iov[n++] = (struct iovec){bufs[k].p + off, take};
    len -= take, off = 0;
  }
  return n;
}
