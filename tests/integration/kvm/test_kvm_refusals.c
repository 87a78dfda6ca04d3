/*
 * tests/integration/kvm/test_kvm_refusals.c - what the kvm backend refuses,
 * on any host (nothing here boots a guest): an unknown option, host
 * mounts (voidbox-vmm has no virtio-9p) and too many vCPUs naming the
 * field, and - on a host without hardware KVM, as here - any box, with a
 * message naming the cause and scripts/nested-kvm.sh. The first create
 * in a work root - refused or not - sweeps it: a `vbx-kvm-*` box directory
 * whose owner has exited goes, a live owner's and another backend's stay.
 * Nothing else is left in the work root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kt.h"

static char ROOT[64];

static int try_box(const th_box_cfg *c, vbx_call *call) {
  void *b = NULL;
  int rc = th_box_try(c, call, &b);
  if (b != NULL) TH.vt->destroy(b);
  printf("rc %d field '%s': %s\n", rc, call->field, call->message);
  return rc;
}

static void test_unknown_option(void **s) {
  (void)s;
  vbx_call call;
  th_box_cfg c = {.name = "opt", .opts_json = "\"accel\":\"kvm\""};
  assert_int_equal(try_box(&c, &call), VBX_E_SPEC);
  assert_string_equal(call.field, "accel");
  assert_non_null(strstr(call.message, "unknown option 'accel' for sandbox backend 'kvm'"));
  assert_non_null(strstr(call.message, "vmm, netstack, image_dir, kernel, initramfs"));
}

static void test_mounts(void **s) {
  (void)s;
  vbx_call call;
  vbx_mount m = {
      .struct_size = sizeof m, .host_path = "/tmp", .guest_path = "/mnt", .read_only = 1};
  th_box_cfg c = {.name = "mnt", .mounts = &m, .n_mounts = 1};
  assert_int_equal(try_box(&c, &call), VBX_E_UNSUPPORTED);
  assert_string_equal(call.field, "mounts");
  assert_non_null(strstr(call.message, "no virtio-9p device (host mounts)"));
  assert_non_null(strstr(call.message, "use backend qemu"));
}

static void test_too_many_vcpus(void **s) {
  (void)s;
  vbx_call call;
  th_box_cfg c = {.name = "cpus", .vcpus = 9};
  assert_int_equal(try_box(&c, &call), VBX_E_SPEC);
  assert_string_equal(call.field, "vcpus");
}

static void test_too_much_memory(void **s) {
  (void)s;
  vbx_call call;
  /* with the default 256 MiB disk: 3072 + 256 MiB is past the monitor's bound */
  th_box_cfg c = {.name = "mem", .memory_mb = 3072};
  assert_int_equal(try_box(&c, &call), VBX_E_SPEC);
  assert_string_equal(call.field, "memory_mb");
  assert_non_null(strstr(call.message, "3328 MiB, more than the 3072 MiB"));
}

static void test_no_hardware_kvm(void **s) {
  (void)s;
  char why[200];
  if (kt_hw_kvm(why, sizeof why)) {
    printf("# this host has hardware KVM: the refusal cannot be seen here\n");
    skip();
  }
  vbx_call call;
  th_box_cfg c = {.name = "nokvm"};
  assert_int_equal(try_box(&c, &call), VBX_E_UNSUPPORTED);
  assert_non_null(strstr(call.message, "sandbox backend 'kvm': /dev/kvm"));
  assert_non_null(strstr(call.message, "scripts/nested-kvm.sh"));
  assert_non_null(strstr(call.message, "docs/nested-kvm.md"));
  if (access("/dev/kvm", F_OK) == 0)
    assert_non_null(strstr(call.message, "no vmx/svm"));
  else
    assert_non_null(strstr(call.message, "does not exist"));
}

/* ROOT/name (0700) with an owner record naming pid/start. */
static void fake_box(const char *name, int pid, unsigned long long start) {
  char p[300], text[128];
  snprintf(p, sizeof p, "%s/%s", ROOT, name);
  assert_int_equal(mkdir(p, 0700), 0);
  snprintf(p, sizeof p, "%s/%s/owner", ROOT, name);
  int n = snprintf(text, sizeof text, "pid=%d\nstart=%llu\n", pid, start);
  int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, (size_t)n), n);
  close(fd);
}

static int exists(const char *name) {
  char p[300];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", ROOT, name);
  return lstat(p, &st) == 0;
}

static void remove_box(const char *name) {
  char p[300];
  snprintf(p, sizeof p, "%s/%s/owner", ROOT, name);
  unlink(p);
  snprintf(p, sizeof p, "%s/%s", ROOT, name);
  rmdir(p);
}

/* Field 22 of /proc/self/stat: this process's start time. */
static unsigned long long my_start(void) {
  char buf[1024];
  FILE *f = fopen("/proc/self/stat", "re");
  assert_non_null(f);
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  for (int field = 2; p != NULL && field < 22; field++)
    p = strchr(p + 1, ' ');
  assert_non_null(p);
  return strtoull(p + 1, NULL, 10);
}

static void test_sweep(void **s) {
  (void)s;
  pid_t dead = fork();
  assert_true(dead >= 0);
  if (dead == 0) _exit(0);
  assert_int_equal(waitpid(dead, NULL, 0), dead);
  fake_box("vbx-kvm-stale-1-aaaaaa", dead, 12345);
  fake_box("vbx-kvm-live-2-bbbbbb", getpid(), my_start());
  fake_box("vbx-qemu-stale-3-cccccc", dead, 12345);
  /* any create sweeps its work root first; this one fails after that, on
   * any host (no hardware KVM, or no such monitor) */
  vbx_call call;
  th_box_cfg c = {.name = "sweeper", .opts_json = "\"vmm\":\"/nonexistent/voidbox-vmm\""};
  assert_true(try_box(&c, &call) < 0);
  int stale = exists("vbx-kvm-stale-1-aaaaaa"), live = exists("vbx-kvm-live-2-bbbbbb"),
      other = exists("vbx-qemu-stale-3-cccccc");
  remove_box("vbx-kvm-stale-1-aaaaaa");
  remove_box("vbx-kvm-live-2-bbbbbb");
  remove_box("vbx-qemu-stale-3-cccccc");
  assert_false(stale); /* its owner has exited */
  assert_true(live);   /* this process owns it */
  assert_true(other);  /* not the kvm backend's */
}

static int setup(void **s) {
  (void)s;
  snprintf(ROOT, sizeof ROOT, "/tmp/vbx-ktr-XXXXXX");
  assert_non_null(mkdtemp(ROOT));
  char opts[200];
  snprintf(opts, sizeof opts, "\"work_root\":\"%s\"", ROOT);
  th_load("sandbox-kvm.so", "kvm", opts);
  return 0;
}

static int teardown(void **s) {
  (void)s;
  th_unload();
  int left = rmdir(ROOT); /* fails unless empty: nothing was made */
  if (left != 0) printf("left in %s\n", ROOT);
  assert_int_equal(left, 0);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sweep), /* first: the first create sweeps */
      cmocka_unit_test(test_unknown_option),  cmocka_unit_test(test_mounts),
      cmocka_unit_test(test_too_many_vcpus),  cmocka_unit_test(test_too_much_memory),
      cmocka_unit_test(test_no_hardware_kvm),
  };
  return cmocka_run_group_tests_name("kvm_refusals", tests, setup, teardown);
}
