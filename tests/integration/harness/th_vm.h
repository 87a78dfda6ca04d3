/*
 * tests/integration/harness/th_vm.h - what the tests of the VM sandbox
 * backends (tests/integration/qemu: qt.h, tests/integration/kvm: kt.h)
 * share on top of harness.h: the guest image directory (or a skip),
 * loading the plugin with a fresh per-process work root, the leftover
 * check at unload (monitor children of ours, box directories), and the
 * checks of a guest that died under its box.
 *
 * Failures are cmocka assertions. Threads: th_vm_image_dir, th_vm_load and
 * th_vm_unload on the main thread; the rest from any thread.
 */
#ifndef VBX_TEST_HARNESS_TH_VM_H
#define VBX_TEST_HARNESS_TH_VM_H

#include <stddef.h>

#include "harness.h"

/* th_vm_image_dir - the guest image directory (VBX_TEST_IMAGE_CACHE, else
 * VOIDBOX_CACHE_DIR, else ~/.cache/voidbox/images) into dir; skip (exit
 * 77, "SKIP: reason") when none is set, when it lacks kernel (a file name:
 * "vmlinux", "bzImage") or initramfs.cpio, or when its path has a quote or
 * backslash (it goes into JSON options unescaped). Before cmocka runs. */
void th_vm_image_dir(const char *kernel, char *dir, size_t cap);
/* th_vm_load - mkdtemp(work_root) (a template such as
 * "/tmp/vbx-qt-XXXXXX" on entry, the directory on return) and th_load
 * plugin_file / backend with image_dir and work_root as default options.
 * Asserts. */
void th_vm_load(const char *plugin_file, const char *backend, const char *image_dir,
                char *work_root);
/* th_vm_unload - count our children whose command starts with comm and
 * the entries of work_root, SIGKILL and reap those children, th_unload,
 * remove work_root, then assert both counts were 0 ("left behind: N <who>
 * children, M entries in ..." printed first). */
void th_vm_unload(const char *comm, const char *who, const char *work_root);
/* th_children - processes whose parent is this process and whose command
 * (/proc/PID/stat's comm) starts with comm, zombies included (a child not
 * reaped counts); pids (may be NULL) gets up to cap of them. */
int th_children(const char *comm, int *pids, int cap);
/* th_dir_entries - entries of dir other than . and .., -1 when it cannot
 * be opened. */
int th_dir_entries(const char *dir);
/* th_rmtree - remove path and everything below it (no symlink followed),
 * best effort. */
void th_rmtree(const char *path);
/* th_assert_console_tail - msg (a dead box's error) has "guest console
 * (last lines):\n" followed by a kernel line ('['). */
void th_assert_console_tail(const char *msg);
/* th_vm_reboot - `reboot -f` in box (its commands must run as uid 0: the
 * guest resets and the monitor exits); prints and returns the exec's rc
 * with its error in call (initialised here). */
int th_vm_reboot(void *box, vbx_call *call);
/* th_vm_next_exec - `echo still there?` in box; prints and returns the
 * exec's rc with its error in call (initialised here), the seconds it took
 * in *secs. */
int th_vm_next_exec(void *box, vbx_call *call, double *secs);

#endif
