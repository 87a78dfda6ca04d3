/*
 * vmm/x86/e820.c - the one memory map both boot paths describe.
 */
#include "layout.h"
#include "tables.h"

unsigned vmm_x86_e820_build(uint64_t mem_size, vmm_x86_e820_entry *out, unsigned cap) {
  if (cap < 3 || mem_size <= VMM_X86_HIGH_RAM_START) return 0;
  out[0] = (vmm_x86_e820_entry){0, VMM_X86_LOW_RAM_END, VMM_X86_E820_RAM};
  out[1] = (vmm_x86_e820_entry){VMM_X86_LOW_RAM_END, VMM_X86_HIGH_RAM_START - VMM_X86_LOW_RAM_END,
                                VMM_X86_E820_RESERVED};
  out[2] = (vmm_x86_e820_entry){VMM_X86_HIGH_RAM_START, mem_size - VMM_X86_HIGH_RAM_START,
                                VMM_X86_E820_RAM};
  return 3;
}
