/*
 * vmm/x86/layout.h - the fixed guest-physical layout of an x86-64 voidbox
 * VM (docs/vmm-boot.md). Guest RAM is one slot at GPA 0 of `mem` bytes
 * (at most VMM_X86_MEM_MAX, so it ends below the 32-bit MMIO hole). Every
 * table the boot code writes lives below 1 MiB at the addresses here; the
 * kernel is loaded at or above VMM_X86_KERNEL_MIN and the initrd at the top
 * of RAM.
 *
 *   0x00000000  real-mode IVT/BDA area, left zero
 *   0x00000500  GDT (VMM_X86_GDT_ENTRIES descriptors)
 *   0x00000540  IDT (empty: limit 0, interrupts stay off until the kernel's)
 *   0x00006000  PVH hvm_start_info, its module list and its memory map
 *   0x00007000  zero page (struct boot_params, 4 KiB)
 *   0x00009000  PML4, 0x0000a000 PDPT, 0x0000b000..0x0000efff four page
 *               directories: identity map of the first 4 GiB, 2 MiB pages
 *   0x00020000  kernel command line (up to VMM_X86_CMDLINE_MAX bytes + NUL)
 *   0x0009fc00  MP floating pointer + configuration table (reserved in e820
 *               together with the legacy hole up to 1 MiB)
 *   0x00100000  lowest address a kernel segment may use
 *   0x01000000  bzImage protected-mode kernel (and the Linux vmlinux)
 *   top of RAM  initrd, page aligned, below min(mem, initrd_addr_max + 1)
 *   0xd0000000  virtio-mmio devices (not RAM; declared by the core)
 *   0xfec00000  IOAPIC, 0xfee00000 LAPIC (in-kernel irqchip)
 */
#ifndef VMM_X86_LAYOUT_H
#define VMM_X86_LAYOUT_H

#define VMM_X86_MEM_MAX 0xc0000000ull /* 3 GiB: RAM ends below the MMIO hole */
#define VMM_X86_MEM_MIN 0x2000000ull  /* 32 MiB: tables, a kernel at 16 MiB */

#define VMM_X86_GDT_GPA 0x500ull
#define VMM_X86_GDT_ENTRIES 5 /* null, code32, code64, data, TSS */
#define VMM_X86_IDT_GPA 0x540ull

/* GDT selectors. 0x10/0x18 are the boot protocol's __BOOT_CS/__BOOT_DS. */
#define VMM_X86_SEL_CODE32 0x08
#define VMM_X86_SEL_CODE64 0x10
#define VMM_X86_SEL_DATA 0x18
#define VMM_X86_SEL_TSS 0x20

#define VMM_X86_START_INFO_GPA 0x6000ull /* struct hvm_start_info */
#define VMM_X86_MODLIST_GPA 0x6040ull    /* one hvm_modlist_entry (initrd) */
#define VMM_X86_MEMMAP_GPA 0x6080ull     /* hvm_memmap_table_entry[] */
#define VMM_X86_START_INFO_SIZE 0x1000ull

#define VMM_X86_ZERO_PAGE_GPA 0x7000ull /* struct boot_params */

#define VMM_X86_PML4_GPA 0x9000ull
#define VMM_X86_PDPT_GPA 0xa000ull
#define VMM_X86_PD_GPA 0xb000ull /* four pages: 0xb000..0xefff */
#define VMM_X86_PD_PAGES 4

#define VMM_X86_CMDLINE_GPA 0x20000ull
#define VMM_X86_CMDLINE_MAX 4095ull /* bytes, without the NUL */

#define VMM_X86_LOW_RAM_END 0x9fc00ull /* e820: RAM [0, here) */
#define VMM_X86_MPTABLE_GPA 0x9fc00ull /* the last KiB of base memory */
#define VMM_X86_MPTABLE_SIZE 0x400ull
#define VMM_X86_HIGH_RAM_START 0x100000ull /* e820: reserved [LOW_RAM_END, here) */

#define VMM_X86_KERNEL_MIN 0x100000ull  /* no kernel byte below 1 MiB */
#define VMM_X86_KERNEL_GPA 0x1000000ull /* bzImage default load address */
#define VMM_X86_PAGE 0x1000ull

#define VMM_X86_MAX_VCPUS 32u /* the MP table must fit VMM_X86_MPTABLE_SIZE */
#define VMM_X86_IOAPIC_GPA 0xfec00000ull
#define VMM_X86_LAPIC_GPA 0xfee00000ull
#define VMM_X86_IOAPIC_PINS 24u /* GSIs 0..23 */

#endif
