/*
 * tests/integration/kvm/kt.c - see kt.h.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kt.h"

char KT_IMAGE_DIR[512];
char KT_WORK_ROOT[128];

int kt_hw_kvm(char *why, size_t cap) {
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    snprintf(why, cap, "no usable /dev/kvm (%m)");
    return 0;
  }
  close(fd);
  FILE *f = fopen("/proc/cpuinfo", "re");
  char line[8192];
  int hw = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "flags", 5) == 0) {
      hw = strstr(line, " vmx") != NULL || strstr(line, " svm") != NULL;
      break;
    }
  if (f) fclose(f);
  if (!hw) snprintf(why, cap, "/dev/kvm present but the CPU shows no vmx/svm (not hardware KVM)");
  return hw;
}

static int regular(const char *dir, const char *file) {
  char p[700];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", dir, file);
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void kt_require(void) {
  char why[200];
  if (!kt_hw_kvm(why, sizeof why)) {
    printf(
        "SKIP: %s; the kvm backend runs on hardware KVM only (ctest kvm_nested runs these tests "
        "under scripts/nested-kvm.sh)\n",
        why);
    exit(77);
  }
  if (access(VBX_TEST_VMM, X_OK) != 0) {
    printf("SKIP: %s is not built (the voidbox-vmm target, vmm/)\n", VBX_TEST_VMM);
    exit(77);
  }
  const char *test = getenv("VBX_TEST_IMAGE_CACHE"), *env = getenv("VOIDBOX_CACHE_DIR"),
             *home = getenv("HOME");
  if (test && test[0])
    snprintf(KT_IMAGE_DIR, sizeof KT_IMAGE_DIR, "%s", test);
  else if (env && env[0])
    snprintf(KT_IMAGE_DIR, sizeof KT_IMAGE_DIR, "%s", env);
  else if (home && home[0])
    snprintf(KT_IMAGE_DIR, sizeof KT_IMAGE_DIR, "%s/.cache/voidbox/images", home);
  else {
    printf("SKIP: no image directory (none of VBX_TEST_IMAGE_CACHE, VOIDBOX_CACHE_DIR, HOME)\n");
    exit(77);
  }
  if (!regular(KT_IMAGE_DIR, "vmlinux") || !regular(KT_IMAGE_DIR, "initramfs.cpio") ||
      strchr(KT_IMAGE_DIR, '"') || strchr(KT_IMAGE_DIR, '\\')) {
    printf("SKIP: no usable guest image (vmlinux + initramfs.cpio) in %s; `voidbox image build`\n",
           KT_IMAGE_DIR);
    exit(77);
  }
}

void kt_load(void) {
  snprintf(KT_WORK_ROOT, sizeof KT_WORK_ROOT, "/tmp/vbx-kt-XXXXXX");
  assert_non_null(mkdtemp(KT_WORK_ROOT));
  char opts[800];
  snprintf(opts, sizeof opts, "\"image_dir\":\"%s\",\"work_root\":\"%s\"", KT_IMAGE_DIR,
           KT_WORK_ROOT);
  th_load("sandbox-kvm.so", "kvm", opts);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  remove(path);
  return 0;
}

static int entries(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

void kt_unload(void) {
  int pids[16];
  int kids = kt_vmm_children(pids, 16);
  int left = entries(KT_WORK_ROOT);
  for (int i = 0; i < kids && i < 16; i++) {
    kill(pids[i], SIGKILL);
    waitpid(pids[i], NULL, 0);
  }
  th_unload();
  nftw(KT_WORK_ROOT, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  if (kids || left)
    printf("left behind: %d voidbox-vmm children, %d entries in %s\n", kids, left, KT_WORK_ROOT);
  assert_int_equal(kids, 0);
  assert_int_equal(left, 0);
}

int kt_vmm_children(int *pids, int cap) {
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
    if (fd < 0) continue;
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0) continue;
    buf[len] = '\0';
    char *open_p = strchr(buf, '('), *close_p = strrchr(buf, ')');
    if (open_p == NULL || close_p == NULL || close_p < open_p) continue;
    char state;
    int ppid;
    if (sscanf(close_p + 1, " %c %d", &state, &ppid) != 2 || ppid != me) continue;
    if (strncmp(open_p + 1, "voidbox-vmm", 11) != 0) continue;
    if (pids && n < cap) pids[n] = atoi(e->d_name);
    n++;
  }
  closedir(d);
  return n;
}
