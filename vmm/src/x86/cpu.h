/*
 * vmm/x86/cpu.h - the pure part of vCPU setup: the per-vCPU CPUID filter
 * and the register images of both entry paths, separate from the ioctls
 * so the unit tests check them without KVM.
 */
#ifndef VMM_X86_CPU_H
#define VMM_X86_CPU_H

#include <linux/kvm.h>

#include "boot.h"

/* Rewrite the `n` entries of KVM_GET_SUPPORTED_CPUID (`e`, in place) for
 * vCPU `index` of `vcpus`: leaf 1 APIC id, logical count and HTT, the
 * hypervisor bit; leaves 0xb/0x1f x2APIC topology (one thread per core,
 * all cores in one package) and id; leaf 4 core count; AMD 0x80000008 core
 * count and 0x8000001e ids; VMX/SVM hidden (no nested virtualization).
 * Leaves KVM does not report are not added (so no PMU leaf 0xa unless KVM
 * supports one). Pure; any thread. */
void vmm_x86_cpuid_filter(struct kvm_cpuid_entry2 *e, unsigned n, unsigned index, unsigned vcpus);

/* The BSP's special registers for `boot` over `sregs` as KVM_GET_SREGS
 * returned them: GDT/IDT of layout.h, flat segments, TR a 32-bit TSS; PVH:
 * 32-bit protected mode, paging off; else long mode with the identity page
 * tables (CR0.PG, CR4.PAE, EFER.LME|LMA). Pure; any thread. */
void vmm_x86_boot_sregs(struct kvm_sregs *sregs, const vmm_boot *boot);

/* The BSP's general registers for `boot`: RIP entry, RFLAGS 0x2, EBX the
 * start info (PVH) or RSI the zero page (64-bit). Pure; any thread. */
void vmm_x86_boot_regs(struct kvm_regs *regs, const vmm_boot *boot);

#endif
