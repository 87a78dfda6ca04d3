/*
 * vmm/x86/gdt.c - the descriptor table and the identity page tables both
 * entry paths use (Intel SDM vol. 3, 3.4.5 segment descriptors and 4.5
 * 4-level paging).
 */
#include <string.h>

#include "layout.h"
#include "tables.h"

/* A segment descriptor: base 0, `limit` in the descriptor's units, and
 * the access byte and the flags nibble (G, D/B, L, AVL). */
static uint64_t seg(uint8_t access, uint8_t flags, uint32_t limit) {
  return (uint64_t)(limit & 0xffff) | ((uint64_t)access << 40) |
         ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)(flags & 0xf) << 52);
}

void vmm_x86_gdt_build(uint64_t gdt[]) {
  gdt[0] = 0;
  gdt[VMM_X86_SEL_CODE32 / 8] = seg(0x9b, 0xc, 0xfffff); /* present, exec/read, G, D */
  gdt[VMM_X86_SEL_CODE64 / 8] = seg(0x9b, 0xa, 0xfffff); /* present, exec/read, G, L */
  gdt[VMM_X86_SEL_DATA / 8] = seg(0x93, 0xc, 0xfffff);   /* present, read/write, G, B */
  gdt[VMM_X86_SEL_TSS / 8] = seg(0x8b, 0x0, 0x67);       /* present, 32-bit TSS (busy) */
}

void vmm_x86_page_tables_build(uint8_t *buf) {
  uint64_t *pml4 = (uint64_t *)buf;
  uint64_t *pdpt = (uint64_t *)(buf + (VMM_X86_PDPT_GPA - VMM_X86_PML4_GPA));
  uint64_t *pd = (uint64_t *)(buf + (VMM_X86_PD_GPA - VMM_X86_PML4_GPA));
  memset(buf, 0, (VMM_X86_PD_GPA - VMM_X86_PML4_GPA) + VMM_X86_PD_PAGES * VMM_X86_PAGE);
  pml4[0] = VMM_X86_PDPT_GPA | 0x3; /* present, writable */
  for (unsigned i = 0; i < VMM_X86_PD_PAGES; i++)
    pdpt[i] = (VMM_X86_PD_GPA + i * VMM_X86_PAGE) | 0x3;
  for (uint64_t i = 0; i < VMM_X86_PD_PAGES * 512ull; i++)
    pd[i] = (i << 21) | 0x83; /* present, writable, 2 MiB page */
}
