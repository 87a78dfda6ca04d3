/*
 * tests/integration/qemu/qt.c - see qt.h.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/newc.h"
#include "qt.h"

#define QEMU_COMM "qemu-system" /* QEMU's command in /proc/PID/stat: qemu-system-* */

char QT_IMAGE_DIR[512];
char QT_WORK_ROOT[128];

static int on_path(const char *prog) {
  const char *path = getenv("PATH");
  if (path == NULL) path = "/usr/bin:/bin";
  while (*path) {
    size_t n = strcspn(path, ":");
    char p[1024];
    snprintf(p, sizeof p, "%.*s/%s", (int)n, path, prog);
    if (n > 0 && access(p, X_OK) == 0) return 1;
    path += n + (path[n] == ':');
  }
  return 0;
}

void qt_require(void) {
  if (!on_path("qemu-system-x86_64")) {
    printf("SKIP: qemu-system-x86_64 is not on PATH (install qemu-system-x86)\n");
    exit(77);
  }
  th_vm_image_dir("bzImage", QT_IMAGE_DIR, sizeof QT_IMAGE_DIR);
}

void qt_load(void) {
  snprintf(QT_WORK_ROOT, sizeof QT_WORK_ROOT, "/tmp/vbx-qt-XXXXXX");
  th_vm_load("sandbox-qemu.so", "qemu", QT_IMAGE_DIR, QT_WORK_ROOT);
}

void qt_unload(void) { th_vm_unload(QEMU_COMM, "QEMU", QT_WORK_ROOT); }

int qt_qemu_children(int *pids, int cap) { return th_children(QEMU_COMM, pids, cap); }

int qt_kernel_release(char *out, size_t cap) {
  char p[600];
  snprintf(p, sizeof p, "%s/bzImage", QT_IMAGE_DIR);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  unsigned char hdr[0x210];
  char ver[128];
  int rc = -1;
  /* boot protocol: "HdrS" at 0x202, kernel_version at 0x20e points to a
   * NUL-terminated string at that offset + 0x200 */
  if (pread(fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr && memcmp(hdr + 0x202, "HdrS", 4) == 0) {
    unsigned off = (unsigned)hdr[0x20e] | (unsigned)hdr[0x20f] << 8;
    ssize_t n = off ? pread(fd, ver, sizeof ver - 1, (off_t)off + 0x200) : -1;
    if (n > 0) {
      ver[n] = '\0';
      size_t w = strcspn(ver, " ");
      if (w > 0 && w < cap && w < (size_t)n) {
        memcpy(out, ver, w);
        out[w] = '\0';
        rc = 0;
      }
    }
  }
  close(fd);
  return rc;
}

int qt_kernel_json_release(char *out, size_t cap) {
  char p[600], real[PATH_MAX];
  snprintf(p, sizeof p, "%s/bzImage", QT_IMAGE_DIR);
  if (realpath(p, real) == NULL) return -1;
  char *slash = strrchr(real, '/');
  if (slash == NULL) return -1;
  snprintf(slash, sizeof real - (size_t)(slash - real), "/kernel.json");
  FILE *f = fopen(real, "re");
  if (f == NULL) return -1;
  char buf[8192];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *k = strstr(buf, "\"release\"");
  char *q = k ? strchr(k + 9, '"') : NULL;
  char *end = q ? strchr(q + 1, '"') : NULL;
  if (end == NULL || (size_t)(end - q - 1) >= cap) return -1;
  memcpy(out, q + 1, (size_t)(end - q - 1));
  out[end - q - 1] = '\0';
  return 0;
}

void qt_newc_init_file(int fd, const void *data, size_t len) {
  vbx__newc w;
  vbx__newc_init(&w, fd, 0);
  const vbx__newc_entry e = {"init", S_IFREG | 0755, 0, 0, 0, 0, data, len};
  assert_int_equal(vbx__newc_add(&w, &e), 0);
  assert_int_equal(vbx__newc_finish(&w, NULL, NULL), 0);
}

unsigned long long qt_proc_start(int pid) {
  char p[64], buf[1024];
  snprintf(p, sizeof p, "/proc/%d/stat", pid);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char *s = strrchr(buf, ')');
  unsigned long long v = 0;
  /* after "comm)": fields 3 (state) .. 22 (starttime) */
  for (int f = 2; s != NULL && f < 22; f++)
    s = strchr(s + 1, ' ');
  if (s != NULL) v = strtoull(s + 1, NULL, 10);
  return v;
}

int qt_box_dir(char *out, size_t cap) {
  DIR *d = opendir(QT_WORK_ROOT);
  if (d == NULL) return -1;
  struct dirent *e;
  int rc = -1;
  while (rc != 0 && (e = readdir(d)) != NULL)
    if (strncmp(e->d_name, "vbx-qemu-", 9) == 0 &&
        (size_t)snprintf(out, cap, "%s/%s", QT_WORK_ROOT, e->d_name) < cap)
      rc = 0;
  closedir(d);
  return rc;
}

void qt_write_initrd(const char *path, int with_image, const char *data, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  assert_true(fd >= 0);
  if (with_image) {
    char p[700], buf[65536];
    snprintf(p, sizeof p, "%s/initramfs.cpio", QT_IMAGE_DIR);
    int in = open(p, O_RDONLY | O_CLOEXEC);
    assert_true(in >= 0);
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
      assert_int_equal(write(fd, buf, (size_t)n), n);
    assert_int_equal(n, 0);
    close(in);
    assert_int_equal(lseek(fd, 0, SEEK_CUR) % 4, 0);
  }
  qt_newc_init_file(fd, data, len);
  assert_int_equal(close(fd), 0);
}

int qt_group_setup(void **state) {
  (void)state;
  qt_load();
  return 0;
}

int qt_group_teardown(void **state) {
  (void)state;
  qt_unload();
  return 0;
}
