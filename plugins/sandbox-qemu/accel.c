/*
 * sandbox-qemu/accel.c - KVM or TCG. KVM only when /dev/kvm is a hardware
 * KVM (guest-session's gs_vm_kvm_probe: it opens read-write and the CPU
 * shows vmx or svm; a /dev/kvm without them - PVM and other paravirtual
 * KVMs - cannot run a full Linux guest). why gets the reason for the
 * choice (or refusal).
 */
#include <stdio.h>

#include "gs_vm.h"
#include "qemu.h"

int qemu_accel_resolve(int wanted, char *why, size_t cap) {
  if (wanted == QEMU_ACCEL_TCG) {
    snprintf(why, cap, "accel: tcg requested");
    return QEMU_ACCEL_TCG;
  }
  int err;
  int state = gs_vm_kvm_probe(&err);
  if (state == GS_KVM_OK) {
    snprintf(why, cap, "/dev/kvm and hardware virtualization present");
    return QEMU_ACCEL_KVM;
  }
  snprintf(why, cap, "%s",
           state != GS_KVM_NO_HW ? "/dev/kvm cannot be opened"
                                 : "the CPU shows no vmx/svm (not hardware KVM)");
  return wanted == QEMU_ACCEL_KVM ? -1 : QEMU_ACCEL_TCG;
}
