/*
 * vmm/x86/cpu.c - vmm_x86_vcpu_init: a vCPU's state through the KVM API
 * (Documentation/virt/kvm/api.rst): CPUID, MSRs, FPU, LAPIC LVT, and for
 * the BSP the entry registers. Each ioctl failure names the ioctl.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cpu.h"
#include "layout.h"
#include "loader.h"

#define CPUID_MAX_ENTRIES 1024
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_DM_NMI 0x4u
#define LAPIC_DM_EXTINT 0x7u

static int ioctl_fail(char *err, size_t errcap, const char *what, unsigned index) {
  int e = errno ? errno : EIO;
  return vmm_x86_fail(err, errcap, -e, "vCPU %u: %s: %s", index, what, strerror(e));
}

/* KVM emulates the TSC-deadline timer of its in-kernel LAPIC but leaves it
 * out of KVM_GET_SUPPORTED_CPUID for the VMM to offer. Without it the
 * guest calibrates the LAPIC timer against other clocks, which a busy host
 * makes fail ("APIC timer disabled due to verification failure"). */
static void offer_tsc_deadline(int kvm_fd, struct kvm_cpuid2 *c) {
  if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) <= 0) return;
  for (unsigned i = 0; i < c->nent; i++)
    if (c->entries[i].function == 1) c->entries[i].ecx |= 1u << 24; /* TSC_DEADLINE_TIMER */
}

static int set_cpuid(int kvm_fd, int vcpu_fd, unsigned index, unsigned vcpus, char *err,
                     size_t errcap) {
  int rc = 0;
  struct kvm_cpuid2 *c = NULL;
  for (unsigned cap = 128; cap <= CPUID_MAX_ENTRIES; cap *= 2) {
    free(c);
    c = calloc(1, sizeof(*c) + cap * sizeof(c->entries[0]));
    if (!c) return vmm_x86_fail(err, errcap, -ENOMEM, "vCPU %u: no memory for CPUID", index);
    c->nent = cap;
    if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) break;
    if (errno != E2BIG || cap == CPUID_MAX_ENTRIES) {
      rc = ioctl_fail(err, errcap, "KVM_GET_SUPPORTED_CPUID", index);
      goto out;
    }
  }
  vmm_x86_cpuid_filter(c->entries, c->nent, index, vcpus);
  offer_tsc_deadline(kvm_fd, c);
  if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) != 0) rc = ioctl_fail(err, errcap, "KVM_SET_CPUID2", index);
out:
  free(c);
  return rc;
}

static int set_msrs(int vcpu_fd, unsigned index, char *err, size_t errcap) {
  static const struct {
    uint32_t index;
    uint64_t data;
  } init[] = {
      {0x174, 0},
      {0x175, 0},
      {0x176, 0},              /* SYSENTER_CS/ESP/EIP */
      {0xc0000081, 0},         /* STAR */
      {0xc0000082, 0},         /* LSTAR */
      {0xc0000083, 0},         /* CSTAR */
      {0xc0000084, 0},         /* SYSCALL_MASK */
      {0xc0000102, 0},         /* KERNEL_GS_BASE */
      {0x10, 0},               /* TSC */
      {0x1a0, 1},              /* MISC_ENABLE: fast strings */
      {0x2ff, (1u << 11) | 6}, /* MTRR default: enabled, write-back */
  };
  enum { N = sizeof(init) / sizeof(init[0]) };
  /* struct kvm_msrs ends in a flexible array: header and entries in one
   * suitably aligned buffer. */
  union {
    struct kvm_msrs hdr;
    unsigned char bytes[sizeof(struct kvm_msrs) + N * sizeof(struct kvm_msr_entry)];
  } m;
  memset(&m, 0, sizeof(m));
  m.hdr.nmsrs = N;
  for (unsigned i = 0; i < N; i++) {
    m.hdr.entries[i].index = init[i].index;
    m.hdr.entries[i].data = init[i].data;
  }
  int n = ioctl(vcpu_fd, KVM_SET_MSRS, &m);
  if (n < 0) return ioctl_fail(err, errcap, "KVM_SET_MSRS", index);
  if (n != N)
    return vmm_x86_fail(err, errcap, -EINVAL, "vCPU %u: KVM_SET_MSRS refused MSR 0x%x", index,
                        init[n].index);
  return 0;
}

static int set_fpu_lapic(int vcpu_fd, unsigned index, char *err, size_t errcap) {
  struct kvm_fpu fpu;
  memset(&fpu, 0, sizeof(fpu));
  fpu.fcw = 0x37f;    /* all x87 exceptions masked, 64-bit precision */
  fpu.mxcsr = 0x1f80; /* all SSE exceptions masked */
  if (ioctl(vcpu_fd, KVM_SET_FPU, &fpu) != 0) return ioctl_fail(err, errcap, "KVM_SET_FPU", index);

  struct kvm_lapic_state la;
  if (ioctl(vcpu_fd, KVM_GET_LAPIC, &la) != 0)
    return ioctl_fail(err, errcap, "KVM_GET_LAPIC (no in-kernel irqchip?)", index);
  uint32_t v;
  memcpy(&v, la.regs + LAPIC_LVT_LINT0, 4);
  v = (v & ~0x700u) | (LAPIC_DM_EXTINT << 8); /* the PIC, as the MP table says */
  memcpy(la.regs + LAPIC_LVT_LINT0, &v, 4);
  memcpy(&v, la.regs + LAPIC_LVT_LINT1, 4);
  v = (v & ~0x700u) | (LAPIC_DM_NMI << 8);
  memcpy(la.regs + LAPIC_LVT_LINT1, &v, 4);
  if (ioctl(vcpu_fd, KVM_SET_LAPIC, &la) != 0)
    return ioctl_fail(err, errcap, "KVM_SET_LAPIC", index);
  return 0;
}

static int set_boot_regs(int vcpu_fd, const vmm_boot *boot, char *err, size_t errcap) {
  struct kvm_sregs s;
  struct kvm_regs r;
  if (ioctl(vcpu_fd, KVM_GET_SREGS, &s) != 0) return ioctl_fail(err, errcap, "KVM_GET_SREGS", 0);
  vmm_x86_boot_sregs(&s, boot);
  if (ioctl(vcpu_fd, KVM_SET_SREGS, &s) != 0) return ioctl_fail(err, errcap, "KVM_SET_SREGS", 0);
  vmm_x86_boot_regs(&r, boot);
  if (ioctl(vcpu_fd, KVM_SET_REGS, &r) != 0) return ioctl_fail(err, errcap, "KVM_SET_REGS", 0);
  return 0;
}

int vmm_x86_vcpu_init(int kvm_fd, int vcpu_fd, const vmm_guest_mem *mem, const vmm_boot *boot,
                      unsigned index, unsigned vcpus, char *err, size_t errcap) {
  if (errcap) err[0] = 0;
  if (vcpus == 0 || vcpus > VMM_X86_MAX_VCPUS || index >= vcpus || !boot || !mem)
    return vmm_x86_fail(err, errcap, -EINVAL, "vCPU %u of %u: invalid arguments", index, vcpus);
  if (!vmm_gpa(mem, boot->params_gpa, VMM_X86_PAGE) || boot->entry >= mem->size)
    return vmm_x86_fail(
        err, errcap, -EINVAL, "vCPU %u: entry 0x%llx / boot parameters 0x%llx outside guest memory",
        index, (unsigned long long)boot->entry, (unsigned long long)boot->params_gpa);
  int rc = set_cpuid(kvm_fd, vcpu_fd, index, vcpus, err, errcap);
  if (rc == 0) rc = set_msrs(vcpu_fd, index, err, errcap);
  if (rc == 0) rc = set_fpu_lapic(vcpu_fd, index, err, errcap);
  if (rc == 0 && index == 0) rc = set_boot_regs(vcpu_fd, boot, err, errcap);
  return rc;
}
