/*
 * vmm/x86/regs.c - the BSP's registers at the kernel entry. PVH (xen
 * docs/misc/pvh.pandoc): 32-bit protected mode, paging off, CS a flat
 * 32-bit read/execute segment, DS/ES/SS flat read/write, TR a 32-bit TSS
 * with base 0 and limit 0x67, EBX the hvm_start_info address. 64-bit boot
 * protocol (boot.rst): long mode, identity paging covering the kernel, zero
 * page and command line, CS __BOOT_CS (0x10) and DS/ES/SS __BOOT_DS (0x18)
 * flat, interrupts off, RSI the zero page.
 */
#include <string.h>

#include "cpu.h"
#include "layout.h"

#define CR0_PE 0x1ull
#define CR0_MP 0x2ull
#define CR0_ET 0x10ull
#define CR0_NE 0x20ull
#define CR0_WP 0x10000ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull

static struct kvm_segment flat(uint16_t sel, uint8_t type, int long_mode) {
  return (struct kvm_segment){.base = 0,
                              .limit = 0xffffffff,
                              .selector = sel,
                              .type = type,
                              .present = 1,
                              .dpl = 0,
                              .db = long_mode ? 0 : 1,
                              .s = 1,
                              .l = (uint8_t)long_mode,
                              .g = 1};
}

void vmm_x86_boot_sregs(struct kvm_sregs *s, const vmm_boot *boot) {
  int lm = !boot->pvh;
  s->cs = flat(lm ? VMM_X86_SEL_CODE64 : VMM_X86_SEL_CODE32, 0xb, lm);    /* exec/read, accessed */
  s->ds = s->es = s->fs = s->gs = s->ss = flat(VMM_X86_SEL_DATA, 0x3, 0); /* read/write, accessed */
  s->tr = (struct kvm_segment){
      .base = 0, .limit = 0x67, .selector = VMM_X86_SEL_TSS, .type = 0xb, .present = 1};
  s->ldt = (struct kvm_segment){.type = 0x2, .present = 1, .unusable = 1};
  s->gdt.base = VMM_X86_GDT_GPA;
  s->gdt.limit = VMM_X86_GDT_ENTRIES * 8 - 1;
  s->idt.base = VMM_X86_IDT_GPA;
  s->idt.limit = 0;
  s->cr2 = 0;
  if (lm) {
    s->cr3 = VMM_X86_PML4_GPA;
    s->cr4 = CR4_PAE;
    s->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    s->efer = EFER_LME | EFER_LMA;
  } else {
    s->cr3 = 0;
    s->cr4 = 0;
    s->cr0 = CR0_PE | CR0_ET;
    s->efer = 0;
  }
}

void vmm_x86_boot_regs(struct kvm_regs *r, const vmm_boot *boot) {
  memset(r, 0, sizeof(*r));
  r->rflags = 0x2; /* reserved bit 1; IF, TF, VM clear */
  r->rip = boot->entry;
  if (boot->pvh)
    r->rbx = boot->params_gpa;
  else
    r->rsi = boot->params_gpa;
}
