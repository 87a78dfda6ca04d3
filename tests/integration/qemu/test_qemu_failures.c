/*
 * tests/integration/qemu/test_qemu_failures.c - how a qemu box fails:
 *   - the guest cannot start its init (an initramfs whose /init is
 *     garbage) or init exits at boot (a /init script over the real image,
 *     the shape of an agent crash): the kernel panics, QEMU exits, and
 *     create fails with VBX_E_SANDBOX in seconds (not at the 60 s boot
 *     timeout) with the panic from the guest console in the message;
 *   - init hangs (the agent never answers): VBX_E_TIMEOUT at the box's
 *     boot_timeout_ms, with the console's last lines;
 *   - the guest dies mid-session (`reboot -f` as uid 0): the exec fails
 *     with VBX_E_SANDBOX_LOST naming QEMU's exit and the console tail, and
 *     the next one fails at once the same way;
 *   - QEMU is killed (SIGKILL, SIGTERM) under a running command: the exec
 *     and later file calls fail with VBX_E_SANDBOX_LOST naming the signal
 *     or QEMU's own message, with the console tail;
 *   - a missing kernel or initramfs path: VBX_E_NOTFOUND naming it.
 * Nothing is left behind in any case: no QEMU child, no box directory.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "qt.h"

static char tmpdir[64], initrd[128];

static void drop_initrd(void) {
  if (tmpdir[0] == '\0') return;
  unlink(initrd);
  rmdir(tmpdir);
  tmpdir[0] = '\0';
}

/* A private initramfs at `initrd`: optionally the image's own archive
 * first, then one with `init` (mode 0755) holding data. */
static void make_initrd(int with_image, const char *data, size_t len) {
  drop_initrd();
  snprintf(tmpdir, sizeof tmpdir, "/tmp/vbx-qt-initrd-XXXXXX");
  assert_non_null(mkdtemp(tmpdir));
  snprintf(initrd, sizeof initrd, "%s/initrd.cpio", tmpdir);
  qt_write_initrd(initrd, with_image, data, len);
}

/* Create a box with the private initramfs; it must fail fast with the
 * panic in the message. */
static void expect_boot_panic(const char *needle) {
  char opts[300];
  snprintf(opts, sizeof opts, "\"initramfs\":\"%s\"", initrd);
  th_box_cfg c = {.name = "bootfail", .opts_json = opts};
  vbx_call call;
  void *b = NULL;
  double t0 = th_now();
  int rc = th_box_try(&c, &call, &b);
  double secs = th_now() - t0;
  printf("create failed after %.2f s: rc %d, message:\n%s\n", secs, rc, call.message);
  assert_null(b);
  assert_int_equal(rc, VBX_E_SANDBOX);
  assert_non_null(strstr(call.message, "QEMU exited"));
  assert_non_null(strstr(call.message, "Kernel panic"));
  assert_non_null(strstr(call.message, needle));
  assert_true(secs < 30.0); /* the boot timeout is 60 s */
  assert_int_equal(qt_qemu_children(NULL, 0), 0);
  assert_int_equal(th_dir_entries(QT_WORK_ROOT), 0);
}

static void test_init_not_executable(void **s) {
  (void)s;
  static const char garbage[] =
      "\x7f"
      "ELF? not really; qtest garbage init\x01\x02\x03";
  make_initrd(0, garbage, sizeof garbage - 1);
  expect_boot_panic("No working init found");
  drop_initrd();
}

static void test_init_exits(void **s) {
  (void)s;
  static const char script[] = "#!/bin/sh\necho qtest: init exits with 3\nexit 3\n";
  make_initrd(1, script, sizeof script - 1);
  expect_boot_panic("Attempted to kill init");
  drop_initrd();
}

/* A guest that boots but whose agent never answers: the boot timeout
 * (boot_timeout_ms) ends it with VBX_E_TIMEOUT, QEMU killed and reaped. */
static void test_init_hangs(void **s) {
  (void)s;
  static const char script[] = "#!/bin/sh\necho qtest: init hangs\nexec sleep 100000\n";
  make_initrd(1, script, sizeof script - 1);
  char opts[300];
  /* 10 s: the kernel must reach the init's echo first, which takes over 4 s
   * under TCG when the suite runs other VMs beside it */
  snprintf(opts, sizeof opts, "\"initramfs\":\"%s\",\"boot_timeout_ms\":10000", initrd);
  th_box_cfg c = {.name = "hang", .opts_json = opts};
  vbx_call call;
  void *b = NULL;
  double t0 = th_now();
  int rc = th_box_try(&c, &call, &b);
  double secs = th_now() - t0;
  printf("create failed after %.2f s: rc %d, message:\n%s\n", secs, rc, call.message);
  assert_null(b);
  assert_int_equal(rc, VBX_E_TIMEOUT);
  assert_non_null(strstr(call.message, "qtest: init hangs")); /* the console tail */
  assert_true(secs >= 9.9 && secs < 40.0);
  assert_int_equal(qt_qemu_children(NULL, 0), 0);
  assert_int_equal(th_dir_entries(QT_WORK_ROOT), 0);
  drop_initrd();
}

static void test_guest_dies_mid_session(void **s) {
  (void)s;
  void *b = th_box("\"uid\":0,\"gid\":0", 0);
  vbx_exec_result r;
  assert_int_equal(th_sh(b, "id -u", &r), 0);
  assert_string_equal(r.stdout_data, "0\n");
  th_res_free(&r);
  assert_int_equal(qt_qemu_children(NULL, 0), 1);
  vbx_call call;
  int rc = th_vm_reboot(b, &call);
  assert_int_equal(rc, VBX_E_SANDBOX_LOST);
  /* QEMU's exit and the guest console's last lines, the guest's reboot last */
  assert_non_null(strstr(call.message, "QEMU exited with status"));
  assert_non_null(strstr(call.message, "guest console (last lines):"));
  assert_non_null(strstr(call.message, "reboot: Restarting system"));
  double secs;
  rc = th_vm_next_exec(b, &call, &secs);
  assert_int_equal(rc, VBX_E_SANDBOX_LOST);
  assert_non_null(strstr(call.message, "QEMU exited with status"));
  assert_true(secs < 5.0);
  char *out = NULL;
  size_t len = 0;
  assert_int_equal(TH.vt->file_read(b, "x", 10, &out, &len, &call), VBX_E_SANDBOX_LOST);
  /* QEMU is gone (reaped by the failing calls or by destroy) */
  TH.vt->destroy(b);
  assert_int_equal(qt_qemu_children(NULL, 0), 0);
  assert_int_equal(th_dir_entries(QT_WORK_ROOT), 0);
}

/* QEMU killed under a running command: the exec, and every later call,
 * fail with VBX_E_SANDBOX_LOST at once, naming the signal, QEMU's own last
 * words (SIGTERM: "terminating on signal 15") and the console tail. */
static void qemu_killed(int sig, const char *status, const char *said) {
  th_running r = {.box = th_box(NULL, 0)};
  int q[2];
  assert_int_equal(qt_qemu_children(q, 2), 1);
  double secs = th_kill_mid_exec(&r, q[0], sig);
  printf("signal %d to QEMU: exec returned after %.2f s: rc %d, %s\n", sig, secs, r.rc, r.msg);
  assert_int_equal(r.rc, VBX_E_SANDBOX_LOST);
  assert_non_null(strstr(r.msg, status));
  if (said) assert_non_null(strstr(r.msg, said));
  /* the console's last lines follow (kernel lines; which ones depends on
   * what the guest printed last, e.g. clocksource warnings under load) */
  th_assert_console_tail(r.msg);
  assert_true(secs < 5.0);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(TH.vt->file_write(r.box, "x", "x", 1, 0644, &call), VBX_E_SANDBOX_LOST);
  assert_non_null(strstr(call.message, status));
  char *out = NULL;
  size_t len = 0;
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(TH.vt->file_read(r.box, "x", 10, &out, &len, &call), VBX_E_SANDBOX_LOST);
  assert_non_null(strstr(call.message, status));
  TH.vt->destroy(r.box);
  assert_int_equal(qt_qemu_children(NULL, 0), 0);
  assert_int_equal(th_dir_entries(QT_WORK_ROOT), 0);
}

static void test_qemu_sigkill_mid_exec(void **s) {
  (void)s;
  qemu_killed(SIGKILL, "QEMU was killed by signal 9", NULL);
}

static void test_qemu_sigterm_mid_exec(void **s) {
  (void)s;
  qemu_killed(SIGTERM, "QEMU exited with status",
              "QEMU said: qemu-system-x86_64: terminating on signal 15");
}

static void expect_notfound(const char *key) {
  char path[128], opts[300];
  snprintf(path, sizeof path, "/nonexistent-qtest-%d/guest-%s", (int)getpid(), key);
  snprintf(opts, sizeof opts, "\"%s\":\"%s\"", key, path);
  th_box_cfg c = {.name = "missing", .opts_json = opts};
  vbx_call call;
  void *b = NULL;
  int rc = th_box_try(&c, &call, &b);
  printf("%s: rc %d, field '%s', message: %s\n", key, rc, call.field, call.message);
  assert_null(b);
  assert_int_equal(rc, VBX_E_NOTFOUND);
  assert_non_null(strstr(call.message, path));
  assert_string_equal(call.field, key);
  assert_int_equal(qt_qemu_children(NULL, 0), 0);
  assert_int_equal(th_dir_entries(QT_WORK_ROOT), 0);
}

static void test_missing_kernel(void **s) {
  (void)s;
  expect_notfound("kernel");
  expect_notfound("initramfs");
}

static int drop_after(void **s) {
  (void)s;
  drop_initrd(); /* also when the test failed before it did */
  return 0;
}

int main(void) {
  qt_require();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_missing_kernel),
      cmocka_unit_test_teardown(test_init_not_executable, drop_after),
      cmocka_unit_test_teardown(test_init_exits, drop_after),
      cmocka_unit_test_teardown(test_init_hangs, drop_after),
      cmocka_unit_test(test_guest_dies_mid_session),
      cmocka_unit_test(test_qemu_sigkill_mid_exec),
      cmocka_unit_test(test_qemu_sigterm_mid_exec),
  };
  return cmocka_run_group_tests(tests, qt_group_setup, qt_group_teardown);
}
