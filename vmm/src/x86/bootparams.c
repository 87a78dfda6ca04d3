/*
 * vmm/x86/bootparams.c - the zero page (struct boot_params) of the Linux
 * x86 64-bit boot protocol (Documentation/x86/boot.rst, "64-bit BOOT
 * PROTOCOL"): a clean page, the kernel's own setup header copied in, and
 * the fields a boot loader must fill.
 */
#include <asm/bootparam.h>
#include <errno.h>
#include <string.h>

#include "layout.h"
#include "tables.h"

_Static_assert(sizeof(struct boot_params) == 4096, "zero page is one page");

/* The header an uncompressed kernel would carry (no bzImage to copy). */
static void minimal_header(struct setup_header *h) {
  h->boot_flag = 0xaa55;
  h->header = 0x53726448; /* "HdrS" */
  h->version = 0x020f;
  h->vid_mode = 0xffff; /* "normal" */
  h->loadflags = LOADED_HIGH;
  h->kernel_alignment = 0x1000000;
  h->cmdline_size = VMM_X86_CMDLINE_MAX;
  h->initrd_addr_max = 0x7fffffff;
}

int vmm_x86_zero_page_build(void *zp, const uint8_t *hdr, size_t hdr_len,
                            const vmm_x86_boot_info *info) {
  struct boot_params *bp = zp;
  if (hdr_len > sizeof(struct setup_header)) return -EINVAL;
  if (info->cmdline_gpa >> 32 || (info->initrd_gpa + info->initrd_size) >> 32) return -EINVAL;
  memset(bp, 0, sizeof(*bp));
  if (hdr)
    memcpy(&bp->hdr, hdr, hdr_len);
  else
    minimal_header(&bp->hdr);
  bp->hdr.type_of_loader = 0xff; /* undefined loader: no version to report */
  bp->hdr.cmd_line_ptr = (uint32_t)info->cmdline_gpa;
  bp->ext_cmd_line_ptr = 0;
  bp->hdr.ramdisk_image = (uint32_t)info->initrd_gpa;
  bp->hdr.ramdisk_size = (uint32_t)info->initrd_size;
  bp->ext_ramdisk_image = 0;
  bp->ext_ramdisk_size = 0;
  bp->acpi_rsdp_addr = 0; /* no ACPI: the kernel finds the MP table */

  vmm_x86_e820_entry map[VMM_X86_E820_MAX];
  unsigned n = vmm_x86_e820_build(info->mem_size, map, VMM_X86_E820_MAX);
  if (n == 0) return -EINVAL;
  for (unsigned i = 0; i < n; i++) {
    bp->e820_table[i].addr = map[i].addr;
    bp->e820_table[i].size = map[i].size;
    bp->e820_table[i].type = map[i].type;
  }
  bp->e820_entries = (uint8_t)n;
  return 0;
}
