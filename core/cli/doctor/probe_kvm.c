/*
 * doctor/probe_kvm.c - can the kvm sandbox backend run here: directly (a
 * hardware KVM and voidbox-vmm), or else under emulation through
 * scripts/nested-kvm.sh (root, and a QEMU whose -cpu max emulates SVM).
 * Runs after the virt and host probes: it reads kvm_hardware and qemu.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor/doctor.h"
#include "image/proc.h"

/* voidbox-vmm beside the running voidbox (BUILD/bin and PREFIX/bin alike:
 * vmm/CMakeLists.txt) into out ("" when unknown); 0 when it is
 * executable there. */
static int find_vmm(char *out, size_t size) {
  char exe[PATH_MAX];
  out[0] = '\0';
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return -1;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (!slash) return -1;
  *slash = '\0';
  if ((size_t)snprintf(out, size, "%s/voidbox-vmm", exe) >= size) return -1;
  return access(out, X_OK) == 0 ? 0 : -1;
}

/* Why scripts/nested-kvm.sh cannot run here into why ("" when it can). */
static void nested_blocker(json_t *caps, char *why, size_t size) {
  json_t *q = json_object_get(caps, "qemu");
  const char *qemu = json_string_value(json_object_get(q, "path"));
  why[0] = '\0';
  if (!json_is_true(json_object_get(q, "available")) || !qemu) {
    snprintf(why, size, "qemu-system-x86_64 is not available");
    return;
  }
  const char *argv[] = {qemu, "-cpu", "help", NULL};
  char *out = NULL;
  int has_max = vbx__img_capture(argv, 1u << 20, &out) == 0 && out && strstr(out, " max ");
  free(out);
  if (!has_max)
    snprintf(why, size, "%s has no -cpu max (the CPU model that emulates SVM)", qemu);
  else if (geteuid() != 0)
    snprintf(why, size, "scripts/nested-kvm.sh needs root");
}

void vbx__doctor_probe_kvm_backend(json_t *caps) {
  char vmm[PATH_MAX], detail[PATH_MAX + 300], reason[PATH_MAX + 900], nested[256];
  json_t *kh = json_object_get(caps, "kvm_hardware");
  int hw = json_is_true(json_object_get(kh, "available"));
  const char *hw_reason = json_string_value(json_object_get(kh, "reason"));
  int have_vmm = find_vmm(vmm, sizeof(vmm)) == 0;
  nested_blocker(caps, nested, sizeof(nested));
  reason[0] = '\0';
  if (hw && have_vmm) {
    snprintf(detail, sizeof(detail), "hardware KVM: the kvm backend runs directly (%s)", vmm);
  } else if (hw) {
    snprintf(detail, sizeof(detail), "hardware KVM, but voidbox-vmm is not beside voidbox");
  } else if (!nested[0]) {
    snprintf(detail, sizeof(detail),
             "no hardware KVM; scripts/nested-kvm.sh can run the kvm backend under emulation "
             "(QEMU -cpu max: a real KVM inside an emulated L1 guest)");
  } else {
    snprintf(detail, sizeof(detail), "no hardware KVM; scripts/nested-kvm.sh cannot run here");
  }
  size_t n = 0;
  if (!hw)
    n += (size_t)snprintf(reason, sizeof(reason), "%s; ",
                          hw_reason && *hw_reason ? hw_reason : "no hardware KVM");
  if (!have_vmm && n < sizeof(reason))
    n += (size_t)snprintf(reason + n, sizeof(reason) - n,
                          "voidbox-vmm is not beside voidbox (%s: build the voidbox-vmm target); ",
                          vmm[0] ? vmm : "the running binary's directory is unknown");
  if (!hw && n < sizeof(reason))
    n += (size_t)snprintf(reason + n, sizeof(reason) - n, "%s%s",
                          nested[0] ? "scripts/nested-kvm.sh cannot run it either: "
                                    : "run the kvm backend under emulation with "
                                      "scripts/nested-kvm.sh (docs/nested-kvm.md)",
                          nested);
  else if (n >= 2 && n < sizeof(reason))
    reason[n - 2] = '\0'; /* the trailing "; " */
  json_t *o = vbx__doctor_cap(caps, "kvm_backend", hw && have_vmm, detail, reason);
  if (o) {
    json_object_set_new(o, "nested_runner", json_boolean(nested[0] == '\0'));
    json_object_set_new(o, "vmm", json_string(have_vmm ? vmm : ""));
  }
}
