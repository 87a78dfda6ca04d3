/*
 * tests/integration/kvm/kt.c - see kt.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kt.h"

#define KVM_COMM "voidbox-vmm" /* the monitor's command in /proc/PID/stat */

char KT_IMAGE_DIR[512];
char KT_WORK_ROOT[128];

int kt_hw_kvm(char *why, size_t cap) {
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    snprintf(why, cap, "no usable /dev/kvm (%m)");
    return 0;
  }
  close(fd);
  FILE *f = fopen("/proc/cpuinfo", "re");
  char line[8192];
  int hw = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "flags", 5) == 0) {
      hw = strstr(line, " vmx") != NULL || strstr(line, " svm") != NULL;
      break;
    }
  if (f) fclose(f);
  if (!hw) snprintf(why, cap, "/dev/kvm present but the CPU shows no vmx/svm (not hardware KVM)");
  return hw;
}

void kt_require(void) {
  char why[200];
  if (!kt_hw_kvm(why, sizeof why)) {
    printf(
        "SKIP: %s; the kvm backend runs on hardware KVM only (ctest kvm_nested runs these tests "
        "under scripts/nested-kvm.sh)\n",
        why);
    exit(77);
  }
  if (access(VBX_TEST_VMM, X_OK) != 0) {
    printf("SKIP: %s is not built (the voidbox-vmm target, vmm/)\n", VBX_TEST_VMM);
    exit(77);
  }
  th_vm_image_dir("vmlinux", KT_IMAGE_DIR, sizeof KT_IMAGE_DIR);
}

void kt_load(void) {
  snprintf(KT_WORK_ROOT, sizeof KT_WORK_ROOT, "/tmp/vbx-kt-XXXXXX");
  th_vm_load("sandbox-kvm.so", "kvm", KT_IMAGE_DIR, KT_WORK_ROOT);
}

void kt_unload(void) { th_vm_unload(KVM_COMM, "voidbox-vmm", KT_WORK_ROOT); }

int kt_vmm_children(int *pids, int cap) { return th_children(KVM_COMM, pids, cap); }
