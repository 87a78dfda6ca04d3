/*
 * vmm/x86/pvh.h - the PVH boot ABI's structures (xen public header
 * arch-x86/hvm/start_info.h), written here from its documented layout.
 */
#ifndef VMM_X86_PVH_H
#define VMM_X86_PVH_H

#include <stdint.h>

#define VMM_HVM_START_MAGIC 0x336ec578u /* "xEn3" with 0x80 on the E */
#define VMM_XEN_ELFNOTE_PHYS32_ENTRY 18 /* ELF note type, name "Xen" */

typedef struct vmm_hvm_start_info {
  uint32_t magic, version, flags, nr_modules;
  uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
  uint64_t memmap_paddr; /* version 1 from here */
  uint32_t memmap_entries, reserved;
} vmm_hvm_start_info;

typedef struct vmm_hvm_modlist_entry {
  uint64_t paddr, size, cmdline_paddr, reserved;
} vmm_hvm_modlist_entry;

typedef struct vmm_hvm_memmap_entry {
  uint64_t addr, size;
  uint32_t type, reserved;
} vmm_hvm_memmap_entry;

#endif
