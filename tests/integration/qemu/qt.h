/*
 * tests/integration/qemu/qt.h - what the sandbox-qemu tests add to the
 * shared harness (tests/integration/harness: harness.h, th_vm.h): the skip
 * check (QEMU and the guest image), loading sandbox-qemu.so with the image
 * directory and a fresh per-process work_root as default options, and
 * host-side checks - QEMU children of this process, the kernel release of
 * the image, a newc archive writer, the box directory.
 *
 * Threads: qt_require / qt_load / qt_unload on the main thread; the
 * counting helpers from any thread.
 */
#ifndef VBX_TEST_QEMU_QT_H
#define VBX_TEST_QEMU_QT_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "th_vm.h"

/* The image directory and work root of this process (valid after
 * qt_require / qt_load). */
extern char QT_IMAGE_DIR[512];
extern char QT_WORK_ROOT[128];

/* Skip (exit 77, "SKIP: reason") unless qemu-system-x86_64 is on PATH and
 * the image directory (th_vm_image_dir: VBX_TEST_IMAGE_CACHE, else
 * VOIDBOX_CACHE_DIR, else ~/.cache/voidbox/images) holds bzImage and
 * initramfs.cpio. Main thread, before cmocka runs. */
void qt_require(void);
/* Make QT_WORK_ROOT (a fresh directory under /tmp) and th_load
 * sandbox-qemu.so / "qemu" with image_dir and work_root (th_vm_load). */
void qt_load(void);
/* Assert that no QEMU child of ours is left and QT_WORK_ROOT is empty,
 * then remove it and th_unload (th_vm_unload). */
void qt_unload(void);
/* qt_qemu_children - processes whose parent is this process and whose
 * command is qemu-system-* (th_children: zombies included, a child not
 * reaped counts). pids (may be NULL) gets up to cap of them. */
int qt_qemu_children(int *pids, int cap);
/* qt_kernel_release - the release ("6.1.192") from the version string in
 * the setup header of IMAGE_DIR/bzImage. 0, or -1 when unreadable. */
int qt_kernel_release(char *out, size_t cap);
/* qt_kernel_json_release - "release" of the kernel.json beside the file
 * IMAGE_DIR/bzImage resolves to (`voidbox image build` layout). 0, or -1
 * when there is none. */
int qt_kernel_json_release(char *out, size_t cap);
/* qt_newc_init_file - append a whole newc archive holding one file, /init
 * (mode 0755) with data, to fd (the image builder's writer). Asserts. */
void qt_newc_init_file(int fd, const void *data, size_t len);
/* qt_proc_start - field 22 (start time) of /proc/PID/stat; 0 when the
 * process does not exist. */
unsigned long long qt_proc_start(int pid);
/* qt_box_dir - the path of the one box directory in QT_WORK_ROOT (a
 * "vbx-qemu-*" entry) into out; 0, or -1 when there is none. */
int qt_box_dir(char *out, size_t cap);
/* qt_write_initrd - a private initramfs at path: the image's own archive
 * (when with_image) followed by one holding /init = data. Asserts. */
void qt_write_initrd(const char *path, int with_image, const char *data, size_t len);

/* cmocka group fixtures: qt_load / qt_unload. */
int qt_group_setup(void **state);
int qt_group_teardown(void **state);

#endif
