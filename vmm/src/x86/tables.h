/*
 * vmm/x86/tables.h - the pure builders of the boot tables: each writes into
 * a caller's buffer (guest memory or a test's array), touches nothing else
 * and calls no KVM, so the unit tests check them field by field.
 */
#ifndef VMM_X86_TABLES_H
#define VMM_X86_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* e820 / PVH memory map types (the same numbers in both). */
#define VMM_X86_E820_RAM 1u
#define VMM_X86_E820_RESERVED 2u
#define VMM_X86_E820_MAX 8u /* entries any builder here produces, at most */

typedef struct vmm_x86_e820_entry {
  uint64_t addr, size;
  uint32_t type;
} vmm_x86_e820_entry;

/* What the zero page and the start info describe. */
typedef struct vmm_x86_boot_info {
  uint64_t mem_size;    /* RAM at GPA 0, bytes */
  uint64_t cmdline_gpa; /* NUL-terminated command line */
  uint32_t cmdline_len; /* bytes without the NUL */
  uint64_t initrd_gpa;  /* 0 with initrd_size 0: none */
  uint64_t initrd_size;
} vmm_x86_boot_info;

/* The memory map of a VM with `mem_size` bytes of RAM at GPA 0: RAM
 * [0, VMM_X86_LOW_RAM_END), reserved [VMM_X86_LOW_RAM_END, 1 MiB) (MP table
 * and legacy hole), RAM [1 MiB, mem_size). Writes at most `cap` entries to
 * `out`; returns the count (3), or 0 when `cap` is too small or mem_size is
 * not above 1 MiB. */
unsigned vmm_x86_e820_build(uint64_t mem_size, vmm_x86_e820_entry *out, unsigned cap);

/* Fill the 4096-byte zero page `zp` (struct boot_params) for the 64-bit
 * boot protocol: zeroes it, copies `hdr_len` bytes of the bzImage's setup
 * header (`hdr`, from file offset 0x1f1; NULL: fill a minimal header as for
 * an uncompressed kernel), then sets type_of_loader 0xff, cmd_line_ptr,
 * cmdline_size, ramdisk_image/size and the e820 table. Returns 0, or
 * -EINVAL when hdr_len exceeds the setup header or an address is above
 * 4 GiB. */
int vmm_x86_zero_page_build(void *zp, const uint8_t *hdr, size_t hdr_len,
                            const vmm_x86_boot_info *info);

/* Fill `buf` (`cap` bytes, at guest physical `buf_gpa`, which must be
 * VMM_X86_START_INFO_GPA) with the PVH hvm_start_info (magic 0x336ec578,
 * version 1, rsdp 0), one module entry for the initrd (when any) and the
 * memory map (the same entries as vmm_x86_e820_build). Returns 0 or
 * -EINVAL / -ENOSPC. */
int vmm_x86_start_info_build(uint8_t *buf, size_t cap, uint64_t buf_gpa,
                             const vmm_x86_boot_info *info);

/* Fill `buf` (`cap` bytes, at guest physical `buf_gpa`) with an Intel MP
 * spec 1.4 floating pointer followed by its configuration table: one
 * processor per vCPU (APIC ids 0..vcpus-1, BSP 0), bus 0 ISA, the IOAPIC
 * (id `vcpus`, 0xfec00000), IO interrupt entries ISA IRQ i -> IOAPIC pin i
 * for i in 0..23 (flags 0: conforms to the bus, i.e. edge, active high),
 * LINT0 ExtINT and LINT1 NMI to every LAPIC. Returns the bytes written, or
 * -EINVAL (vcpus 0 or above VMM_X86_MAX_VCPUS) / -ENOSPC. */
int vmm_x86_mptable_build(uint8_t *buf, size_t cap, uint64_t buf_gpa, unsigned vcpus);

/* The GDT (VMM_X86_GDT_ENTRIES descriptors): null, flat 32-bit code (0x08),
 * flat 64-bit code (0x10), flat data (0x18), a 32-bit TSS with base 0 and
 * limit 0x67 (0x20). */
void vmm_x86_gdt_build(uint64_t gdt[]);

/* Identity page tables for the first 4 GiB with 2 MiB pages: `buf` holds
 * the PML4, the PDPT and VMM_X86_PD_PAGES page directories, contiguous from
 * VMM_X86_PML4_GPA (6 pages of 4 KiB). */
void vmm_x86_page_tables_build(uint8_t *buf);

#endif
