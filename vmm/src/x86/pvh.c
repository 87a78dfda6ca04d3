/*
 * vmm/x86/pvh.c - the PVH start of day structure (xen public header
 * arch-x86/hvm/start_info.h, version 1): the guest finds it through EBX at
 * its 32-bit entry. Layout, in bytes: magic@0, version@4, flags@8,
 * nr_modules@12, modlist_paddr@16, cmdline_paddr@24, rsdp_paddr@32,
 * memmap_paddr@40, memmap_entries@48, reserved@52 (56 in all); a module is
 * paddr@0 size@8 cmdline_paddr@16 reserved@24 (32); a memory map entry is
 * addr@0 size@8 type@16 reserved@20 (24).
 */
#include <errno.h>
#include <string.h>

#include "layout.h"
#include "pvh.h"
#include "tables.h"

_Static_assert(sizeof(vmm_hvm_start_info) == 56, "hvm_start_info is 56 bytes");
_Static_assert(sizeof(vmm_hvm_modlist_entry) == 32, "hvm_modlist_entry is 32 bytes");
_Static_assert(sizeof(vmm_hvm_memmap_entry) == 24, "hvm_memmap_table_entry is 24 bytes");

int vmm_x86_start_info_build(uint8_t *buf, size_t cap, uint64_t buf_gpa,
                             const vmm_x86_boot_info *info) {
  const size_t mod_off = VMM_X86_MODLIST_GPA - VMM_X86_START_INFO_GPA;
  const size_t map_off = VMM_X86_MEMMAP_GPA - VMM_X86_START_INFO_GPA;
  if (buf_gpa != VMM_X86_START_INFO_GPA) return -EINVAL;
  if (cap < map_off + VMM_X86_E820_MAX * sizeof(vmm_hvm_memmap_entry)) return -ENOSPC;

  vmm_x86_e820_entry map[VMM_X86_E820_MAX];
  unsigned n = vmm_x86_e820_build(info->mem_size, map, VMM_X86_E820_MAX);
  if (n == 0) return -EINVAL;
  memset(buf, 0, map_off + n * sizeof(vmm_hvm_memmap_entry));

  vmm_hvm_start_info si = {
      .magic = VMM_HVM_START_MAGIC,
      .version = 1,
      .cmdline_paddr = info->cmdline_gpa,
      .rsdp_paddr = 0,
      .memmap_paddr = VMM_X86_MEMMAP_GPA,
      .memmap_entries = n,
  };
  if (info->initrd_size) {
    vmm_hvm_modlist_entry mod = {.paddr = info->initrd_gpa, .size = info->initrd_size};
    memcpy(buf + mod_off, &mod, sizeof(mod));
    si.nr_modules = 1;
    si.modlist_paddr = VMM_X86_MODLIST_GPA;
  }
  memcpy(buf, &si, sizeof(si));
  for (unsigned i = 0; i < n; i++) {
    vmm_hvm_memmap_entry e = {.addr = map[i].addr, .size = map[i].size, .type = map[i].type};
    memcpy(buf + map_off + i * sizeof(e), &e, sizeof(e));
  }
  return 0;
}
