/*
 * tests/integration/kvm/kt.h - what the sandbox-kvm tests add to the shared
 * harness (tests/integration/harness: harness.h, th_vm.h): the skip check
 * (hardware KVM, the voidbox-vmm of this build tree, the guest image),
 * loading sandbox-kvm.so with the image directory and a fresh per-process
 * work_root as default options (the monitor is found by the plugin's own
 * lookup: BUILD/bin/voidbox-vmm), and the leftover check.
 *
 * Threads: kt_require / kt_load / kt_unload on the main thread.
 */
#ifndef VBX_TEST_KVM_KT_H
#define VBX_TEST_KVM_KT_H

#include <stddef.h>

#include "harness.h"
#include "th_vm.h"

/* The image directory and work root of this process (valid after
 * kt_require / kt_load). */
extern char KT_IMAGE_DIR[512];
extern char KT_WORK_ROOT[128];

/* kt_hw_kvm - 1 when /dev/kvm opens read-write and /proc/cpuinfo shows
 * vmx or svm; else 0 with the reason in why. */
int kt_hw_kvm(char *why, size_t cap);
/* Skip (exit 77, "SKIP: reason") unless kt_hw_kvm, VBX_TEST_VMM is an
 * executable and the image directory (th_vm_image_dir) holds vmlinux and
 * initramfs.cpio. The reason of the first names
 * tests/integration/kvm/kvm_nested.sh, which runs these tests under
 * scripts/nested-kvm.sh. */
void kt_require(void);
/* Make KT_WORK_ROOT (a fresh directory under /tmp) and th_load
 * sandbox-kvm.so / "kvm" with image_dir and work_root (th_vm_load). */
void kt_load(void);
/* Assert that no voidbox-vmm child of ours is left and KT_WORK_ROOT is
 * empty, then remove it and th_unload (th_vm_unload). */
void kt_unload(void);
/* kt_vmm_children - processes whose parent is this process and whose
 * command is voidbox-vmm (th_children: zombies included). */
int kt_vmm_children(int *pids, int cap);

#endif
