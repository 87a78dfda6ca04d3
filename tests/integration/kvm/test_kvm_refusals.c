/*
 * tests/integration/kvm/test_kvm_refusals.c - what the kvm backend refuses,
 * on any host (nothing here boots a guest): `network: true` with its
 * message (never ignored), an unknown option and too many vCPUs naming the
 * field, and - on a host without hardware KVM, as here - any box, with a
 * message naming the cause and scripts/nested-kvm.sh. Nothing is left in
 * the work root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static void test_network_refused(void **s) {
  (void)s;
  vbx_call call;
  th_box_cfg c = {.name = "net", .network = 1};
  assert_int_equal(try_box(&c, &call), VBX_E_UNSUPPORTED);
  assert_string_equal(call.field, "network");
  assert_string_equal(call.message,
                      "the kvm backend has no network until the netstack lands; use backend qemu");
}

static void test_unknown_option(void **s) {
  (void)s;
  vbx_call call;
  th_box_cfg c = {.name = "opt", .opts_json = "\"accel\":\"kvm\""};
  assert_int_equal(try_box(&c, &call), VBX_E_SPEC);
  assert_string_equal(call.field, "accel");
  assert_non_null(strstr(call.message, "unknown option 'accel' for sandbox backend 'kvm'"));
  assert_non_null(strstr(call.message, "vmm, image_dir, kernel, initramfs"));
}

static void test_too_many_vcpus(void **s) {
  (void)s;
  vbx_call call;
  th_box_cfg c = {.name = "cpus", .vcpus = 9};
  assert_int_equal(try_box(&c, &call), VBX_E_SPEC);
  assert_string_equal(call.field, "vcpus");
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
      cmocka_unit_test(test_network_refused),
      cmocka_unit_test(test_unknown_option),
      cmocka_unit_test(test_too_many_vcpus),
      cmocka_unit_test(test_no_hardware_kvm),
  };
  return cmocka_run_group_tests_name("kvm_refusals", tests, setup, teardown);
}
