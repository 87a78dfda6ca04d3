/*
 * guest-session/gs_vm_kvm.c - is /dev/kvm a hardware KVM? It must open
 * read-write, and the CPU must show vmx or svm: a /dev/kvm without them
 * (PVM and other software KVMs) cannot boot an unmodified Linux guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gs_vm.h"

/* 1 when the first "flags" line of /proc/cpuinfo has the word vmx or svm. */
static int cpu_has_hw_virt(void) {
  FILE *f = fopen("/proc/cpuinfo", "re");
  if (f == NULL) return 0;
  char line[8192];
  int found = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "flags", 5) != 0) continue;
    for (char *save = NULL, *w = strtok_r(line, " \t\n", &save); w;
         w = strtok_r(NULL, " \t\n", &save))
      if (strcmp(w, "vmx") == 0 || strcmp(w, "svm") == 0) found = 1;
    break;
  }
  fclose(f);
  return found;
}

int gs_vm_kvm_probe(int *err) {
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  *err = fd < 0 ? errno : 0;
  if (fd < 0) return *err == ENOENT ? GS_KVM_ABSENT : GS_KVM_NO_ACCESS;
  close(fd);
  return cpu_has_hw_virt() ? GS_KVM_OK : GS_KVM_NO_HW;
}
