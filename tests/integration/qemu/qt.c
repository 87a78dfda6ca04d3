/*
 * tests/integration/qemu/qt.c - see qt.h.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/newc.h"
#include "qt.h"

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

static int regular(const char *dir, const char *file) {
  char p[700];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", dir, file);
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void qt_require(void) {
  if (!on_path("qemu-system-x86_64")) {
    printf("SKIP: qemu-system-x86_64 is not on PATH (install qemu-system-x86)\n");
    exit(77);
  }
  const char *test = getenv("VBX_TEST_IMAGE_CACHE"), *env = getenv("VOIDBOX_CACHE_DIR"),
             *home = getenv("HOME");
  if (test && test[0])
    snprintf(QT_IMAGE_DIR, sizeof QT_IMAGE_DIR, "%s", test);
  else if (env && env[0])
    snprintf(QT_IMAGE_DIR, sizeof QT_IMAGE_DIR, "%s", env);
  else if (home && home[0])
    snprintf(QT_IMAGE_DIR, sizeof QT_IMAGE_DIR, "%s/.cache/voidbox/images", home);
  else {
    printf(
        "SKIP: no image directory (none of VBX_TEST_IMAGE_CACHE, VOIDBOX_CACHE_DIR, HOME "
        "is set)\n");
    exit(77);
  }
  if (!regular(QT_IMAGE_DIR, "bzImage") || !regular(QT_IMAGE_DIR, "initramfs.cpio")) {
    printf(
        "SKIP: no guest image (bzImage + initramfs.cpio) in %s; build it with "
        "`voidbox image build`\n",
        QT_IMAGE_DIR);
    exit(77);
  }
  if (strchr(QT_IMAGE_DIR, '"') || strchr(QT_IMAGE_DIR, '\\')) {
    printf("SKIP: image directory %s has a quote or backslash\n", QT_IMAGE_DIR);
    exit(77);
  }
}

void qt_load(void) {
  snprintf(QT_WORK_ROOT, sizeof QT_WORK_ROOT, "/tmp/vbx-qt-XXXXXX");
  assert_non_null(mkdtemp(QT_WORK_ROOT));
  char opts[800];
  snprintf(opts, sizeof opts, "\"image_dir\":\"%s\",\"work_root\":\"%s\"", QT_IMAGE_DIR,
           QT_WORK_ROOT);
  th_load("sandbox-qemu.so", "qemu", opts);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

void qt_unload(void) {
  /* Measure, then clean up whatever a failed test left (so no process or
   * directory outlives the test), then assert. */
  int pids[16];
  int kids = qt_qemu_children(pids, 16);
  int left = qt_dir_entries(QT_WORK_ROOT);
  for (int i = 0; i < kids && i < 16; i++) {
    kill(pids[i], SIGKILL);
    waitpid(pids[i], NULL, 0);
  }
  th_unload();
  nftw(QT_WORK_ROOT, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  if (kids || left)
    printf("left behind: %d QEMU children, %d entries in %s\n", kids, left, QT_WORK_ROOT);
  assert_int_equal(kids, 0);
  assert_int_equal(left, 0);
}

int qt_qemu_children(int *pids, int cap) {
  DIR *d = opendir("/proc");
  assert_non_null(d);
  int n = 0;
  pid_t me = getpid();
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    char p[300], buf[600];
    snprintf(p, sizeof p, "/proc/%s/stat", e->d_name);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue; /* gone meanwhile */
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0) continue;
    buf[len] = '\0';
    /* "pid (comm) state ppid ..."; comm may hold spaces and parentheses */
    char *open_p = strchr(buf, '('), *close_p = strrchr(buf, ')');
    if (open_p == NULL || close_p == NULL || close_p < open_p) continue;
    char state;
    int ppid;
    if (sscanf(close_p + 1, " %c %d", &state, &ppid) != 2 || ppid != me) continue;
    if (strncmp(open_p + 1, "qemu-system", 11) != 0) continue;
    if (pids && n < cap) pids[n] = atoi(e->d_name);
    n++;
  }
  closedir(d);
  return n;
}

int qt_dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

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

double qt_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int qt_create(const th_box_cfg *c, uint32_t disk_mb, vbx_call *call, void **out) {
  vbx_sandbox_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.struct_size = sizeof cfg;
  cfg.box_name = c->name ? c->name : "test";
  cfg.memory_mb = c->memory_mb ? c->memory_mb : 512;
  cfg.vcpus = c->vcpus ? c->vcpus : 1;
  cfg.network = c->network;
  cfg.env = c->env;
  cfg.timeout_secs = c->timeout_secs;
  cfg.disk_mb = disk_mb;
  const char *own = c->opts_json ? c->opts_json : "";
  char text[2048];
  int n = snprintf(text, sizeof text, "{%s%s%s}", TH.default_opts,
                   TH.default_opts[0] && own[0] ? "," : "", own);
  assert_true(n > 0 && (size_t)n < sizeof text);
  vbx_json *o = TH.h->json_parse(text, (size_t)n, NULL);
  if (o == NULL) fail_msg("bad options JSON: %s", text);
  cfg.options = o;
  *out = NULL;
  int rc = TH.vt->create(TH.state, &cfg, call, out);
  TH.h->json_decref(o);
  return rc;
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
