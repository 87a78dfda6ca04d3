/*
 * vmm/bus.c - port I/O and MMIO dispatch (bus.h): a short table per space,
 * searched linearly (a micro-VM has a handful of devices).
 */
#include "bus.h"

#include <errno.h>
#include <string.h>

int vmm_bus_add(vmm_bus *bus, vmm_bus_space space, uint64_t base, uint64_t size, vmm_bus_fn fn,
                void *ctx) {
  if (size == 0 || base + size < base || fn == NULL) return -EINVAL;
  for (unsigned i = 0; i < bus->n[space]; i++) {
    const vmm_bus_range *r = &bus->r[space][i];
    if (base < r->base + r->size && r->base < base + size) return -EEXIST;
  }
  if (bus->n[space] == VMM_BUS_MAX_RANGES) return -ENOSPC;
  bus->r[space][bus->n[space]++] = (vmm_bus_range){base, size, fn, ctx};
  return 0;
}

bool vmm_bus_access(const vmm_bus *bus, vmm_bus_space space, uint64_t addr, uint8_t *data,
                    uint32_t len, bool is_write) {
  for (unsigned i = 0; i < bus->n[space]; i++) {
    const vmm_bus_range *r = &bus->r[space][i];
    if (addr >= r->base && addr - r->base < r->size) {
      r->fn(r->ctx, addr - r->base, data, len, is_write);
      return true;
    }
  }
  if (!is_write) memset(data, 0, len);
  return false;
}
