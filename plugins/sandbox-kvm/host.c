/*
 * sandbox-kvm/host.c - what the kvm backend needs of the host: a hardware
 * KVM (a /dev/kvm that opens, on a CPU with vmx or svm: a /dev/kvm without
 * them - PVM and other software KVMs - cannot boot an unmodified Linux
 * guest; guest-session's gs_vm_kvm_probe), and the voidbox-vmm binary.
 */
#include <stdio.h>
#include <string.h>

#include "kvm.h"
#include "layout.h"

#define NESTED_HINT                                                                          \
  "; the kvm backend needs hardware KVM: run it under emulation with scripts/nested-kvm.sh " \
  "(docs/nested-kvm.md), or use backend qemu"

int kvm_host_check(char *msg, size_t cap) {
  int err;
  switch (gs_vm_kvm_probe(&err)) {
  case GS_KVM_OK: return 0;
  case GS_KVM_ABSENT:
    snprintf(msg, cap, "/dev/kvm does not exist (no KVM on this host)" NESTED_HINT);
    break;
  case GS_KVM_NO_ACCESS:
    snprintf(msg, cap, "/dev/kvm cannot be opened read-write: %s" NESTED_HINT, strerror(err));
    break;
  default:
    snprintf(msg, cap,
             "/dev/kvm is present but the CPU shows no vmx/svm flag: a software KVM (such as "
             "PVM) that cannot boot a Linux guest" NESTED_HINT);
  }
  return VBX_E_UNSUPPORTED;
}

int kvm_vmm_find(const char *opt, char *out, size_t cap, char *msg, size_t mcap) {
  static const gs_vm_helper vmm = {.name = KVM_VMM_NAME,
                                   .what = "the monitor",
                                   .option = "vmm",
                                   .installed = VBX_LAYOUT_VMM,
                                   .built = VBX_LAYOUT_BUILD_VMM,
                                   .source_dir = "vmm/"};
  return gs_vm_helper_find(&vmm, opt, out, cap, msg, mcap);
}
