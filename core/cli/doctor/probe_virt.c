/*
 * doctor/probe_virt.c - /dev/kvm, vmx/svm, /dev/vhost-vsock, /dev/net/tun.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor/doctor.h"
#include "image/fsutil.h"

/* Try to open a device read-write; fill detail/reason. */
static int probe_dev(const char *path, char *detail, size_t dsize, char *reason, size_t rsize) {
  if (access(path, F_OK)) {
    snprintf(detail, dsize, "%s absent", path);
    snprintf(reason, rsize, "%s does not exist", path);
    return 0;
  }
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    snprintf(detail, dsize, "%s present but cannot be opened", path);
    snprintf(reason, rsize, "%s present but open(O_RDWR) failed: %s", path, strerror(errno));
    return 0;
  }
  close(fd);
  snprintf(detail, dsize, "%s present and opened read-write", path);
  reason[0] = '\0';
  return 1;
}

/* 1 when some "flags" line of /proc/cpuinfo has the word vmx or svm; which
 * one goes to *which. -1 when /proc/cpuinfo is unreadable. */
static int cpu_virt_flag(const char **which) {
  char *text = NULL;
  if (vbx__img_read_file("/proc/cpuinfo", 64u << 20, &text, NULL)) {
    /* /proc files report size 0: read_file handles that as an empty file */
    return -1;
  }
  int found = 0;
  for (char *line = strtok(text, "\n"); line && !found; line = strtok(NULL, "\n")) {
    if (strncmp(line, "flags", 5)) continue;
    for (char *w = strtok(strchr(line, ':') ? strchr(line, ':') + 1 : line, " \t"); w;
         w = strtok(NULL, " \t")) {
      if (!strcmp(w, "vmx") || !strcmp(w, "svm")) {
        *which = !strcmp(w, "vmx") ? "vmx" : "svm";
        found = 1;
        break;
      }
    }
    break; /* the first CPU's flags are enough */
  }
  free(text);
  return found;
}

void vbx__doctor_probe_virt(json_t *caps) {
  char detail[512], reason[512];
  int kvm = probe_dev("/dev/kvm", detail, sizeof(detail), reason, sizeof(reason));
  vbx__doctor_cap(caps, "kvm_device", kvm, detail, reason);

  const char *which = NULL;
  int hw = cpu_virt_flag(&which);
  if (hw > 0) {
    snprintf(detail, sizeof(detail), "CPU flag %s present", which);
  } else if (hw == 0) {
    snprintf(detail, sizeof(detail), "no vmx/svm flag in /proc/cpuinfo");
  } else {
    snprintf(detail, sizeof(detail), "/proc/cpuinfo unreadable");
  }
  vbx__doctor_cap(caps, "hardware_virtualization", hw > 0, detail,
                  hw < 0 ? "cannot read /proc/cpuinfo"
                         : "the CPU does not advertise vmx or svm (no hardware virtualization)");

  if (kvm && hw > 0) {
    snprintf(detail, sizeof(detail), "/dev/kvm backed by hardware virtualization (%s)", which);
    reason[0] = '\0';
  } else if (kvm) {
    snprintf(detail, sizeof(detail), "/dev/kvm present, CPU has no vmx/svm");
    snprintf(reason, sizeof(reason),
             "KVM device present but no vmx/svm: not hardware virtualization (a software KVM "
             "module such as PVM provides /dev/kvm; unmodified Linux guests do not boot on it)");
  } else {
    snprintf(detail, sizeof(detail), "no usable /dev/kvm");
    snprintf(reason, sizeof(reason), "no usable /dev/kvm");
  }
  vbx__doctor_cap(caps, "kvm_hardware", kvm && hw > 0, detail, reason);

  int vs = probe_dev("/dev/vhost-vsock", detail, sizeof(detail), reason, sizeof(reason));
  vbx__doctor_cap(caps, "vhost_vsock", vs, detail, reason);
  int tun = probe_dev("/dev/net/tun", detail, sizeof(detail), reason, sizeof(reason));
  vbx__doctor_cap(caps, "net_tun", tun, detail, reason);
}
