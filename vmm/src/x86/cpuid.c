/*
 * vmm/x86/cpuid.c - what each vCPU sees in CPUID (Intel SDM vol. 2A
 * "CPUID", AMD APM vol. 3 appendix E): KVM's supported set, with the
 * per-vCPU APIC ids and a topology of `vcpus` single-thread cores in one
 * package.
 */
#include "cpu.h"

#define LEAF1_ECX_VMX (1u << 5)
#define LEAF1_ECX_HYPERVISOR (1u << 31)
#define LEAF1_EDX_HTT (1u << 28)
#define EXT1_ECX_SVM (1u << 2)
#define VENDOR_AMD_EBX 0x68747541u /* "Auth" */

/* Bits needed to number `vcpus` APIC ids (0 for one vCPU). */
static unsigned id_bits(unsigned vcpus) {
  unsigned b = 0;
  while ((1u << b) < vcpus)
    b++;
  return b;
}

static void topology_leaf(struct kvm_cpuid_entry2 *e, unsigned index, unsigned vcpus) {
  unsigned level = e->index;
  e->edx = index; /* x2APIC id */
  if (level == 0) {
    e->eax = 0; /* SMT: one thread per core, no id bits */
    e->ebx = 1;
    e->ecx = 0 | (1u << 8);
  } else if (level == 1) {
    e->eax = id_bits(vcpus); /* core: all vCPUs in the package */
    e->ebx = vcpus;
    e->ecx = 1 | (2u << 8);
  } else {
    e->eax = 0;
    e->ebx = 0;
    e->ecx = level & 0xff; /* type 0: invalid level, the end */
  }
}

void vmm_x86_cpuid_filter(struct kvm_cpuid_entry2 *e, unsigned n, unsigned index, unsigned vcpus) {
  unsigned bits = id_bits(vcpus);
  int amd = 0;
  for (unsigned i = 0; i < n; i++)
    if (e[i].function == 0 && e[i].ebx == VENDOR_AMD_EBX) amd = 1;
  for (unsigned i = 0; i < n; i++) {
    switch (e[i].function) {
    case 1:
      e[i].ebx = (e[i].ebx & 0xffffu) | ((1u << bits) << 16 & 0xff0000u) | (index << 24);
      e[i].ecx = (e[i].ecx & ~LEAF1_ECX_VMX) | LEAF1_ECX_HYPERVISOR;
      e[i].edx = vcpus > 1 ? (e[i].edx | LEAF1_EDX_HTT) : (e[i].edx & ~LEAF1_EDX_HTT);
      break;
    case 4:
      if (e[i].eax & 0x1f) /* a cache level: cores per package - 1, no shared threads */
        e[i].eax = (e[i].eax & 0x3fffu) | (((1u << bits) - 1) << 26);
      break;
    case 0xb:
    case 0x1f: topology_leaf(&e[i], index, vcpus); break;
    case 0x80000001: e[i].ecx &= ~EXT1_ECX_SVM; break;
    case 0x80000008:
      if (amd) e[i].ecx = (e[i].ecx & ~0xf0ffu) | (bits << 12) | ((vcpus - 1) & 0xff);
      break;
    case 0x8000001e:
      if (amd) {
        e[i].eax = index;
        e[i].ebx = (e[i].ebx & ~0xffffu) | (index & 0xff); /* core id; 1 thread per core */
        e[i].ecx = 0;                                      /* node 0 */
      }
      break;
    default: break;
    }
  }
}
