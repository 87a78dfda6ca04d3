/*
 * tests/integration/kvm/test_kvm_guest.c - kvm boxes on a real KVM (skips
 * elsewhere; ctest kvm_nested runs it under scripts/nested-kvm.sh):
 *   - `vcpus: 2` and memory_mb reach the guest (nproc, MemTotal =
 *     memory_mb + the default 256 MiB disk, within the kernel's share),
 *     and the backend's telemetry reports the same MemTotal;
 *   - the option `vmm` naming no executable: VBX_E_NOTFOUND, field vmm;
 *   - a monitor that exits at once (`vmm: /bin/false`): create fails with
 *     "voidbox-vmm exited with status 1" well before boot_timeout_ms, and
 *     nothing is left;
 *   - a create cancelled while the guest boots returns VBX_E_CANCELLED
 *     within 1 s of the cancel, the monitor reaped;
 *   - the guest dies mid-session (`reboot -f` as uid 0: the monitor exits
 *     on the reset) and the monitor is SIGKILLed under a running command:
 *     the call and every later one fail with VBX_E_SANDBOX_LOST naming the
 *     monitor's exit and the guest console's last lines, within 5 s.
 */
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "gs_box.h"
#include "kt.h"

static void test_vcpus_memory(void **s) {
  (void)s;
  th_box_cfg c = {.name = "cpus", .memory_mb = 384, .vcpus = 2};
  double t0 = th_now();
  void *b = th_box_cfg_box(&c);
  printf("boot to authenticated agent: %.2f s\n", th_now() - t0);
  vbx_exec_result r;
  assert_int_equal(th_sh(b, "nproc", &r), 0);
  assert_string_equal(r.stdout_data, "2\n");
  th_res_free(&r);
  assert_int_equal(th_sh(b, "awk '/MemTotal/ {print $2}' /proc/meminfo", &r), 0);
  long kib = atol(r.stdout_data);
  printf("MemTotal %ld KiB for 384 + 256 MiB\n", kib);
  assert_true(kib > (384 + 256 - 96) * 1024L && kib <= (384 + 256) * 1024L);
  th_res_free(&r);
  /* the backend's telemetry sees the same machine */
  vbx_sandbox_telemetry t;
  memset(&t, 0, sizeof t);
  t.struct_size = sizeof t;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(TH.vt->telemetry(b, &t, &call), 0);
  assert_int_equal(t.mem_total_kib, (uint64_t)kib);
  assert_true(t.mem_used_kib > 0 && t.mem_used_kib < t.mem_total_kib);
  assert_true(t.procs >= 1);
  TH.vt->destroy(b);
}

static void test_vmm_missing(void **s) {
  (void)s;
  vbx_call call;
  void *b = NULL;
  th_box_cfg c = {.name = "novmm", .opts_json = "\"vmm\":\"/nonexistent/voidbox-vmm\""};
  int rc = th_box_try(&c, &call, &b);
  printf("rc %d field '%s': %s\n", rc, call.field, call.message);
  assert_null(b);
  assert_int_equal(rc, VBX_E_NOTFOUND);
  assert_string_equal(call.field, "vmm");
  assert_non_null(strstr(call.message, "/nonexistent/voidbox-vmm is not an executable file"));
}

static void test_vmm_exits(void **s) {
  (void)s;
  vbx_call call;
  void *b = NULL;
  th_box_cfg c = {.name = "vmmexit",
                  .opts_json = "\"vmm\":\"/bin/false\",\"boot_timeout_ms\":20000"};
  double t0 = th_now();
  int rc = th_box_try(&c, &call, &b);
  double took = th_now() - t0;
  printf("rc %d after %.2f s: %s\n", rc, took, call.message);
  assert_null(b);
  assert_int_equal(rc, VBX_E_SANDBOX);
  assert_non_null(strstr(call.message, "voidbox-vmm exited with status 1"));
  assert_true(took < 5.0);
}

static void test_cancel_during_boot(void **s) {
  (void)s;
  th_creator c = {.cfg = {.name = "cancelme", .memory_mb = 256}};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, th_create_thread, &c), 0);
  struct timespec d = {0, 150 * 1000000L}; /* the monitor runs, the guest boots */
  nanosleep(&d, NULL);
  double cancelled = th_now();
  vbx__cancel_set(&c.cancel);
  pthread_join(t, NULL);
  printf("create returned %.3f s after the cancel: rc %d, %s\n", c.done - cancelled, c.rc, c.msg);
  if (c.rc == 0) {
    printf("# the guest was up within 150 ms: nothing to cancel\n");
    skip();
  }
  assert_int_equal(c.rc, VBX_E_CANCELLED);
  assert_true(c.done - cancelled < 1.0);
  assert_int_equal(kt_vmm_children(NULL, 0), 0);
}

static void test_guest_reboots(void **s) {
  (void)s;
  void *b = th_box("\"uid\":0,\"gid\":0", 0);
  vbx_call call;
  int rc = th_vm_reboot(b, &call);
  assert_int_equal(rc, VBX_E_SANDBOX_LOST);
  assert_non_null(strstr(call.message, "voidbox-vmm exited with status 0"));
  assert_non_null(strstr(call.message, "guest console (last lines):"));
  double secs;
  rc = th_vm_next_exec(b, &call, &secs);
  assert_int_equal(rc, VBX_E_SANDBOX_LOST);
  assert_true(secs < 5.0);
  TH.vt->destroy(b);
  assert_int_equal(kt_vmm_children(NULL, 0), 0);
}

static void test_vmm_killed(void **s) {
  (void)s;
  th_running r = {.box = th_box(NULL, 0)};
  pid_t vmm = ((gs_box *)r.box)->pid;
  assert_true(vmm > 0);
  double secs = th_kill_mid_exec(&r, vmm, SIGKILL);
  printf("SIGKILL to voidbox-vmm: exec returned after %.2f s: rc %d, %s\n", secs, r.rc, r.msg);
  assert_int_equal(r.rc, VBX_E_SANDBOX_LOST);
  assert_non_null(strstr(r.msg, "voidbox-vmm was killed by signal 9"));
  th_assert_console_tail(r.msg);
  assert_true(secs < 5.0);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(TH.vt->file_write(r.box, "x", "x", 1, 0644, &call), VBX_E_SANDBOX_LOST);
  assert_non_null(strstr(call.message, "voidbox-vmm was killed by signal 9"));
  TH.vt->destroy(r.box);
  assert_int_equal(kt_vmm_children(NULL, 0), 0);
}

static int setup(void **s) {
  (void)s;
  kt_load();
  return 0;
}

static int teardown(void **s) {
  (void)s;
  kt_unload();
  return 0;
}

int main(void) {
  kt_require();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vcpus_memory),  cmocka_unit_test(test_vmm_missing),
      cmocka_unit_test(test_vmm_exits),     cmocka_unit_test(test_cancel_during_boot),
      cmocka_unit_test(test_guest_reboots), cmocka_unit_test(test_vmm_killed),
  };
  return cmocka_run_group_tests_name("kvm_guest", tests, setup, teardown);
}
