/*
 * tests/integration/qemu/qt.h - what the sandbox-qemu tests add to the
 * shared harness (tests/integration/harness/harness.h): the skip check
 * (QEMU and the guest image), loading sandbox-qemu.so with the image
 * directory and a fresh per-process work_root as default options, and
 * host-side checks - QEMU children of this process, entries of a
 * directory, the kernel release of the image, a newc archive writer.
 *
 * Threads: qt_require / qt_load / qt_unload on the main thread; the
 * counting helpers and qt_create from any thread.
 */
#ifndef VBX_TEST_QEMU_QT_H
#define VBX_TEST_QEMU_QT_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* The image directory and work root of this process (valid after
 * qt_require / qt_load). */
extern char QT_IMAGE_DIR[512];
extern char QT_WORK_ROOT[128];

/* Skip (exit 77, "SKIP: reason") unless qemu-system-x86_64 is on PATH and
 * the image directory ($VOIDBOX_CACHE_DIR, else ~/.cache/voidbox/images)
 * holds bzImage and initramfs.cpio. Main thread, before cmocka runs. */
void qt_require(void);
/* Make QT_WORK_ROOT (a fresh directory under /tmp) and th_load
 * sandbox-qemu.so / "qemu" with image_dir and work_root (asserts). */
void qt_load(void);
/* Assert that no QEMU child of ours is left and QT_WORK_ROOT is empty,
 * then remove it and th_unload. */
void qt_unload(void);
/* qt_qemu_children - processes whose parent is this process and whose
 * command is qemu-system-* (zombies included: a child not reaped counts).
 * pids (may be NULL) gets up to cap of them. */
int qt_qemu_children(int *pids, int cap);
/* qt_dir_entries - entries of dir other than . and .., -1 when it cannot
 * be opened. */
int qt_dir_entries(const char *dir);
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
/* qt_now - CLOCK_MONOTONIC in seconds. */
double qt_now(void);
/* qt_create - th_box_try with the parts the harness does not set: the
 * config's disk_mb (0: backend default) and a call the caller initialised
 * (its cancellation token, its deadline). Returns the create rc; the box in
 * *out (NULL on failure). Any thread. */
int qt_create(const th_box_cfg *c, uint32_t disk_mb, vbx_call *call, void **out);
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
