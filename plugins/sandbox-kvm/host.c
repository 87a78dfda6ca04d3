/*
 * sandbox-kvm/host.c - what the kvm backend needs of the host: a hardware
 * KVM (a /dev/kvm that opens, on a CPU with vmx or svm: a /dev/kvm without
 * them - PVM and other software KVMs - cannot boot an unmodified Linux
 * guest; guest-session's gs_vm_kvm_probe), and the voidbox-vmm binary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static int executable(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* The voidbox-vmm of this plugin's tree (BUILD/bin, PREFIX/bin). */
static int tree_vmm(char *out, size_t cap) {
  static const char *const dirs[] = {VBX_LAYOUT_PLUGINDIR, NULL};
  vbx_layout l;
  if (vbx_layout_find((const void *)tree_vmm, dirs, &l) != 0) return -1;
  return vbx_layout_path(&l, VBX_LAYOUT_VMM, VBX_LAYOUT_BUILD_VMM, out, cap) == 0 ? 0 : -1;
}

/* The voidbox-vmm beside the running executable (bin/voidbox). */
static int exe_vmm(char *out, size_t cap) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return -1;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (slash == NULL) return -1;
  *slash = '\0';
  int w = snprintf(out, cap, "%s/" KVM_VMM_NAME, exe);
  return w > 0 && (size_t)w < cap ? 0 : -1;
}

static int path_vmm(char *out, size_t cap) {
  const char *path = getenv("PATH");
  if (path == NULL) path = "/usr/local/bin:/usr/bin:/bin";
  while (*path) {
    size_t n = strcspn(path, ":");
    int w = snprintf(out, cap, "%.*s/" KVM_VMM_NAME, (int)n, path);
    if (n > 0 && w > 0 && (size_t)w < cap && executable(out)) return 0;
    path += n + (path[n] == ':');
  }
  return -1;
}

int kvm_vmm_find(const char *opt, char *out, size_t cap, char *msg, size_t mcap) {
  if (opt != NULL) {
    if ((size_t)snprintf(out, cap, "%s", opt) < cap && executable(out)) return 0;
    snprintf(msg, mcap, "sandbox option 'vmm': %s is not an executable file", opt);
    return VBX_E_NOTFOUND;
  }
  char tree[PATH_MAX] = "", beside[PATH_MAX] = "";
  if (tree_vmm(tree, sizeof tree) == 0 && executable(tree))
    return (size_t)snprintf(out, cap, "%s", tree) < cap ? 0 : VBX_E_TOOBIG;
  if (exe_vmm(beside, sizeof beside) == 0 && executable(beside))
    return (size_t)snprintf(out, cap, "%s", beside) < cap ? 0 : VBX_E_TOOBIG;
  if (path_vmm(out, cap) == 0) return 0;
  snprintf(msg, mcap,
           "the monitor " KVM_VMM_NAME
           " was not found (not at %s, not at %s, not in PATH): "
           "build the voidbox-vmm target (vmm/) or set the sandbox option 'vmm'",
           tree[0] ? tree : "(this plugin is in no build or install tree)",
           beside[0] ? beside : "(the running executable's directory is unknown)");
  return VBX_E_NOTFOUND;
}
