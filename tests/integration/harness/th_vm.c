/*
 * tests/integration/harness/th_vm.c - see th_vm.h.
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

#include "th_vm.h"

static int regular(const char *dir, const char *file) {
  char p[700];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", dir, file);
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

void th_vm_image_dir(const char *kernel, char *dir, size_t cap) {
  const char *test = getenv("VBX_TEST_IMAGE_CACHE"), *env = getenv("VOIDBOX_CACHE_DIR"),
             *home = getenv("HOME");
  if (test && test[0])
    snprintf(dir, cap, "%s", test);
  else if (env && env[0])
    snprintf(dir, cap, "%s", env);
  else if (home && home[0])
    snprintf(dir, cap, "%s/.cache/voidbox/images", home);
  else {
    printf(
        "SKIP: no image directory (none of VBX_TEST_IMAGE_CACHE, VOIDBOX_CACHE_DIR, HOME "
        "is set)\n");
    exit(77);
  }
  if (!regular(dir, kernel) || !regular(dir, "initramfs.cpio")) {
    printf(
        "SKIP: no guest image (%s + initramfs.cpio) in %s; build it with "
        "`voidbox image build`\n",
        kernel, dir);
    exit(77);
  }
  if (strchr(dir, '"') || strchr(dir, '\\')) {
    printf("SKIP: image directory %s has a quote or backslash\n", dir);
    exit(77);
  }
}

void th_vm_load(const char *plugin_file, const char *backend, const char *image_dir,
                char *work_root) {
  assert_non_null(mkdtemp(work_root));
  char opts[800];
  snprintf(opts, sizeof opts, "\"image_dir\":\"%s\",\"work_root\":\"%s\"", image_dir, work_root);
  th_load(plugin_file, backend, opts);
}

void th_vm_unload(const char *comm, const char *who, const char *work_root) {
  /* Measure, then clean up whatever a failed test left (so no process or
   * directory outlives the test), then assert. */
  int pids[16];
  int kids = th_children(comm, pids, 16);
  int left = th_dir_entries(work_root);
  for (int i = 0; i < kids && i < 16; i++) {
    kill(pids[i], SIGKILL);
    waitpid(pids[i], NULL, 0);
  }
  th_unload();
  th_rmtree(work_root);
  if (kids || left)
    printf("left behind: %d %s children, %d entries in %s\n", kids, who, left, work_root);
  assert_int_equal(kids, 0);
  assert_int_equal(left, 0);
}

int th_children(const char *comm, int *pids, int cap) {
  DIR *d = opendir("/proc");
  assert_non_null(d);
  int n = 0;
  pid_t me = getpid();
  size_t comm_len = strlen(comm);
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
    if (strncmp(open_p + 1, comm, comm_len) != 0) continue;
    if (pids && n < cap) pids[n] = atoi(e->d_name);
    n++;
  }
  closedir(d);
  return n;
}

int th_dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return n;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

void th_rmtree(const char *path) { nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

void th_assert_console_tail(const char *msg) {
  static const char hdr[] = "guest console (last lines):\n";
  const char *tail = strstr(msg, hdr);
  assert_non_null(tail);
  assert_int_equal(tail[sizeof hdr - 1], '[');
}

int th_vm_reboot(void *box, vbx_call *call) {
  const char *reboot[] = {"reboot", "-f", NULL};
  vbx_exec_result r;
  vbx__call_init(call, NULL, NULL, 0);
  int rc = th_exec(box, reboot, NULL, 0, 60000, &r, call);
  printf("reboot -f: rc %d, %s\n", rc, rc ? call->message : "(exec returned)");
  if (rc == 0) th_res_free(&r);
  return rc;
}

int th_vm_next_exec(void *box, vbx_call *call, double *secs) {
  const char *echo[] = {"echo", "still there?", NULL};
  vbx_exec_result r;
  vbx__call_init(call, NULL, NULL, 0);
  double t0 = th_now();
  int rc = th_exec(box, echo, NULL, 0, 60000, &r, call);
  *secs = th_now() - t0;
  printf("next exec after %.2f s: rc %d, %s\n", *secs, rc, call->message);
  if (rc == 0) th_res_free(&r);
  return rc;
}
