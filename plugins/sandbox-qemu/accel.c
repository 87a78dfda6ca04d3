/*
 * sandbox-qemu/accel.c - KVM or TCG. KVM only when /dev/kvm opens read-write
 * and the CPU has hardware virtualization (vmx or svm in /proc/cpuinfo):
 * a /dev/kvm without it (PVM and other paravirtual KVMs) cannot
 * run a full Linux guest. why gets the reason for the choice (or refusal).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "qemu.h"

static int cpu_has_hw_virt(void) {
  FILE *f = fopen("/proc/cpuinfo", "re");
  if (f == NULL) return 0;
  char line[4096];
  int found = 0;
  while (!found && fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, "flags", 5) == 0)
      found = strstr(line, " vmx") != NULL || strstr(line, " svm") != NULL;
  fclose(f);
  return found;
}

int qemu_accel_resolve(int wanted, char *why, size_t cap) {
  if (wanted == QEMU_ACCEL_TCG) {
    snprintf(why, cap, "accel: tcg requested");
    return QEMU_ACCEL_TCG;
  }
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  int kvm_ok = fd >= 0;
  if (fd >= 0) close(fd);
  int hw = cpu_has_hw_virt();
  if (kvm_ok && hw) {
    snprintf(why, cap, "/dev/kvm and hardware virtualization present");
    return QEMU_ACCEL_KVM;
  }
  snprintf(why, cap, "%s",
           !kvm_ok ? "/dev/kvm cannot be opened" : "the CPU shows no vmx/svm (not hardware KVM)");
  return wanted == QEMU_ACCEL_KVM ? -1 : QEMU_ACCEL_TCG;
}
