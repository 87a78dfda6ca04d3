/*
 * vmm/bus.h - the two address spaces a vCPU exit can touch: port I/O and
 * MMIO. A device registers a handler for a range; the vCPU thread that took
 * the exit calls it with the offset into that range. Handlers run on vCPU
 * threads (several at once with vcpus > 1): a device that keeps state takes
 * its own lock.
 */
#ifndef VMM_BUS_H
#define VMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

/* One access: `len` is 1, 2, 4 or 8 bytes at `data` (little-endian, as
 * the guest wrote it or as the handler fills it for a read). `offset` is
 * relative to the registered base. A read the device does not implement
 * fills zeros; a write it does not implement is ignored. */
typedef void (*vmm_bus_fn)(void *ctx, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

typedef enum { VMM_BUS_PIO = 0, VMM_BUS_MMIO = 1 } vmm_bus_space;

#define VMM_BUS_MAX_RANGES 32

typedef struct vmm_bus_range {
  uint64_t base, size;
  vmm_bus_fn fn;
  void *ctx;
} vmm_bus_range;

typedef struct vmm_bus {
  vmm_bus_range r[2][VMM_BUS_MAX_RANGES];
  unsigned n[2];
} vmm_bus;

/* Register [base, base + size) in `space`. Returns 0, -EEXIST when it
 * overlaps a registered range, -ENOSPC when the table is full, -EINVAL for
 * size 0 or a range that wraps. Call before any vCPU runs (not locked). */
int vmm_bus_add(vmm_bus *bus, vmm_bus_space space, uint64_t base, uint64_t size, vmm_bus_fn fn,
                void *ctx);

/* Dispatch one access. Returns true when a range took it; false leaves a
 * read's data zero-filled (the caller logs the stray access at most once).
 * Thread-safe once registration is over (read-only table). */
bool vmm_bus_access(const vmm_bus *bus, vmm_bus_space space, uint64_t addr, uint8_t *data,
                    uint32_t len, bool is_write);

#endif
