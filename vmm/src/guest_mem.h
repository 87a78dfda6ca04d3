/*
 * vmm/guest_mem.h - guest physical memory as device models see it: one
 * contiguous region mapped at guest physical address 0. Every device turns
 * a guest address into a host pointer through vmm_gpa(), which bounds the
 * whole range, so a guest-supplied address or length can never reach
 * outside the region. A test harness builds one over a malloc'ed buffer.
 */
#ifndef VMM_GUEST_MEM_H
#define VMM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

typedef struct vmm_guest_mem {
  uint8_t *base; /* host mapping of guest physical 0 (not owned here) */
  uint64_t size; /* bytes */
} vmm_guest_mem;

/* Host pointer for guest physical [gpa, gpa + len), or NULL when any byte of
 * it lies outside guest memory (overflow-safe; len 0 is valid inside). */
static inline void *vmm_gpa(const vmm_guest_mem *m, uint64_t gpa, uint64_t len) {
  if (gpa > m->size || len > m->size - gpa) return NULL;
  return m->base + gpa;
}

#endif
