/*
 * tests/integration/qemu/test_qemu_disk.c - the box's disk is bounded:
 * /tmp, /var/tmp and /workspace are one tmpfs of disk_mb MiB in the guest.
 *   - disk_mb 8: each shows 8 MiB; `dd` of 16 MiB to /tmp fails with "No
 *     space left on device" for the command, and the box goes on working;
 *     6 MiB in /tmp leave no room for 6 MiB in /workspace (one limit);
 *     /workspace keeps the commands' ownership; a file_write past the
 *     limit fails as a call error (not a lost sandbox);
 *   - no disk_mb: 256 MiB, and the VM's RAM is memory_mb + disk_mb (the
 *     tmpfs lives in RAM: its share is added so a full disk never takes
 *     the commands' memory);
 *   - a disk_mb over the maximum is a spec error naming disk_mb.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qt.h"

static void *disk_box(uint32_t memory_mb, uint32_t disk_mb) {
  th_box_cfg c = {.name = "disk", .memory_mb = memory_mb, .disk_mb = disk_mb};
  vbx_call call;
  void *b = NULL;
  int rc = th_box_try(&c, &call, &b);
  if (rc != 0) fail_msg("create with disk_mb %u: %d %s", disk_mb, rc, call.message);
  return b;
}

static void test_small_disk(void **s) {
  (void)s;
  void *b = disk_box(256, 8);
  vbx_exec_result r;
  /* one 8 MiB file system under all three */
  assert_int_equal(th_sh(b, "df -k /tmp /var/tmp /workspace | awk 'NR>1 {print $2}'", &r), 0);
  printf("df sizes (KiB):\n%s", r.stdout_data);
  assert_string_equal(r.stdout_data, "8192\n8192\n8192\n");
  th_res_free(&r);
  /* the commands' identity still owns the workspace */
  assert_int_equal(th_sh(b, "stat -c '%u %a' /workspace /tmp; id -u", &r), 0);
  assert_string_equal(r.stdout_data, "65534 755\n0 1777\n65534\n");
  th_res_free(&r);

  /* 16 MiB into 8: the command sees ENOSPC */
  int code = th_sh(b, "dd if=/dev/zero of=/tmp/big bs=1M count=16", &r);
  printf("dd 16 MiB to /tmp: exit %d, stderr: %s", code, r.stderr_data);
  assert_int_not_equal(code, 0);
  assert_non_null(strstr(r.stderr_data, "No space left on device"));
  th_res_free(&r);
  assert_int_equal(th_sh(b, "rm /tmp/big && echo still here", &r), 0);
  assert_string_equal(r.stdout_data, "still here\n");
  th_res_free(&r);

  /* /tmp and /workspace share the limit */
  code = th_sh(b,
               "dd if=/dev/zero of=/tmp/a bs=1M count=6 2>/dev/null || exit 9; "
               "dd if=/dev/zero of=/workspace/b bs=1M count=6",
               &r);
  printf("6 MiB to /tmp, then 6 MiB to /workspace: exit %d, stderr: %s", code, r.stderr_data);
  assert_int_not_equal(code, 0);
  assert_int_not_equal(code, 9);
  assert_non_null(strstr(r.stderr_data, "No space left on device"));
  th_res_free(&r);
  assert_int_equal(th_sh(b, "rm -f /tmp/a /workspace/b", &r), 0);
  th_res_free(&r);

  /* a file_write past the limit: that call fails, the box lives on */
  size_t len = 12u << 20;
  char *data = calloc(1, len);
  assert_non_null(data);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  int rc = TH.vt->file_write(b, "huge.bin", data, len, 0644, &call);
  free(data);
  printf("file_write of 12 MiB: rc %d, %s\n", rc, call.message);
  assert_true(rc < 0);
  assert_int_not_equal(rc, VBX_E_SANDBOX_LOST);
  assert_int_equal(th_sh(b, "rm -f /workspace/huge.bin; echo ok", &r), 0);
  assert_string_equal(r.stdout_data, "ok\n");
  th_res_free(&r);
  TH.vt->destroy(b);
}

static void test_default_disk(void **s) {
  (void)s;
  void *b = disk_box(192, 0);
  vbx_exec_result r;
  assert_int_equal(th_sh(b,
                         "df -k /workspace | awk 'NR>1 {print $2}'; "
                         "sed -n 's/^MemTotal: *\\([0-9]*\\) kB$/\\1/p' /proc/meminfo",
                         &r),
                   0);
  long disk = 0, mem = 0;
  assert_int_equal(sscanf(r.stdout_data, "%ld\n%ld", &disk, &mem), 2);
  th_res_free(&r);
  printf("default disk %ld KiB, MemTotal %ld KiB for memory_mb 192\n", disk, mem);
  assert_int_equal(disk, 256 * 1024);
  assert_true(mem > (192 + 256) * 1024 * 3 / 4 && mem <= (192 + 256) * 1024);
  TH.vt->destroy(b);
}

static void test_too_big(void **s) {
  (void)s;
  th_box_cfg c = {.name = "huge", .disk_mb = 2u << 20};
  vbx_call call;
  void *b = NULL;
  int rc = th_box_try(&c, &call, &b);
  printf("disk_mb %u: rc %d, field '%s', %s\n", 2u << 20, rc, call.field, call.message);
  assert_null(b);
  assert_int_equal(rc, VBX_E_SPEC);
  assert_string_equal(call.field, "disk_mb");
  assert_int_equal(th_dir_entries(QT_WORK_ROOT), 0);
}

int main(void) {
  qt_require();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_small_disk),
      cmocka_unit_test(test_default_disk),
      cmocka_unit_test(test_too_big),
  };
  return cmocka_run_group_tests(tests, qt_group_setup, qt_group_teardown);
}
