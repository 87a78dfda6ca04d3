/*
 * tests/integration/qemu/test_qemu_boot.c - a qemu box boots the guest
 * image and its agent answers: `uname -r` is the release of the image's
 * slim kernel, exit codes, signals, stdout and stderr come back, a missing
 * program is an error, the sandbox env is visible, and memory_mb and vcpus
 * reach the guest (MemTotal - memory_mb plus the default disk_mb -, nproc;
 * both differ from the defaults), also in the backend's telemetry - with
 * the guest's open descriptors and QEMU's own figures on the host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qt.h"

#define MEM_MB 384u
#define DISK_MB 256u /* the backend's default disk_mb: the VM gets MEM_MB + DISK_MB */
#define VCPUS 2u

static void test_boot_exec(void **s) {
  (void)s;
  static const char *const env[] = {"QTEST_VAR=hello qemu box", "QTEST_OTHER=2", NULL};
  th_box_cfg c = {.name = "boot", .memory_mb = MEM_MB, .vcpus = VCPUS, .env = env};
  double t0 = th_now();
  void *b = th_box_cfg_box(&c);
  printf("boot to authenticated agent: %.2f s\n", th_now() - t0);
  vbx_exec_result r;

  /* the slim kernel of the image, by its own header and by kernel.json */
  char want[128], json[128];
  assert_int_equal(qt_kernel_release(want, sizeof want), 0);
  if (qt_kernel_json_release(json, sizeof json) == 0)
    assert_string_equal(json, want);
  else
    printf("note: no kernel.json beside %s/bzImage; release from its header only\n", QT_IMAGE_DIR);
  const char *uname[] = {"uname", "-r", NULL};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(th_exec(b, uname, NULL, 0, 30000, &r, &call), 0);
  assert_int_equal(r.exit_code, 0);
  char expect[140];
  snprintf(expect, sizeof expect, "%s\n", want);
  assert_string_equal(r.stdout_data, expect);
  th_res_free(&r);

  /* exit codes, signals, both streams */
  assert_int_equal(th_sh(b, "exit 0", &r), 0);
  th_res_free(&r);
  assert_int_equal(th_sh(b, "exit 42", &r), 42);
  assert_int_equal(r.term_signal, 0);
  th_res_free(&r);
  th_sh(b, "kill -KILL $$", &r);
  assert_int_equal(r.term_signal, 9);
  th_res_free(&r);
  assert_int_equal(th_sh(b, "echo out; echo err >&2; exit 3", &r), 3);
  assert_string_equal(r.stdout_data, "out\n");
  assert_string_equal(r.stderr_data, "err\n");
  th_res_free(&r);
  const char *missing[] = {"no-such-program-xyz", NULL};
  assert_int_equal(th_exec(b, missing, NULL, 0, 0, &r, &call), VBX_E_NOTFOUND);

  /* the sandbox env, next to the defaults; commands run in the workspace
   * as the default identity */
  assert_int_equal(th_sh(b, "echo \"$QTEST_VAR|$QTEST_OTHER|$HOME\"; pwd; id -u", &r), 0);
  assert_string_equal(r.stdout_data, "hello qemu box|2|/workspace\n/workspace\n65534\n");
  th_res_free(&r);

  /* memory_mb: MemTotal is what the guest kernel has left of the RAM,
   * which holds the disk's tmpfs too (docs/sandbox-qemu.md) */
  assert_int_equal(th_sh(b, "sed -n 's/^MemTotal: *\\([0-9]*\\) kB$/\\1/p' /proc/meminfo", &r), 0);
  long kib = strtol(r.stdout_data, NULL, 10);
  th_res_free(&r);
  printf("MemTotal %ld KiB for memory_mb %u + disk_mb %u\n", kib, MEM_MB, DISK_MB);
  assert_true(kib > (long)(MEM_MB + DISK_MB) * 1024 * 3 / 4);
  assert_true(kib <= (long)(MEM_MB + DISK_MB) * 1024);

  /* vcpus */
  assert_int_equal(th_sh(b, "nproc; grep -c ^processor /proc/cpuinfo", &r), 0);
  char cpus[32];
  snprintf(cpus, sizeof cpus, "%u\n%u\n", VCPUS, VCPUS);
  assert_string_equal(r.stdout_data, cpus);
  th_res_free(&r);

  /* the backend's telemetry sees the same machine */
  vbx_sandbox_telemetry t;
  memset(&t, 0, sizeof t);
  t.struct_size = sizeof t;
  assert_int_equal(TH.vt->telemetry(b, &t, &call), 0);
  assert_int_equal(t.mem_total_kib, (uint64_t)kib);
  assert_true(t.mem_used_kib > 0 && t.mem_used_kib < t.mem_total_kib);
  assert_true(t.procs >= 1);
  /* the guest's descriptors (an agent without TELEMETRY_EXT reports 0: the
   * image must carry this build's agent), no NIC without network: only lo,
   * which is not counted */
  if (t.open_fds == 0)
    fail_msg("open_fds 0: does %s/initramfs.cpio carry this build's agent (voidbox image build)?",
             QT_IMAGE_DIR);
  assert_true(t.net_rx_bytes == 0 && t.net_tx_bytes == 0);
  /* and QEMU on the host: its resident memory, the CPU it spent booting */
  assert_non_null(t.host_process);
  assert_string_equal(t.host_process, "qemu");
  assert_true(t.host_rss_kib > 0);
  assert_true(t.host_cpu_usec > 0);
  printf("telemetry: guest %u procs %u fds, host %s rss %llu KiB cpu %.2f s\n", t.procs, t.open_fds,
         t.host_process, (unsigned long long)t.host_rss_kib, t.host_cpu_usec / 1e6);
  TH.vt->destroy(b);
}

int main(void) {
  qt_require();
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_boot_exec)};
  return cmocka_run_group_tests(tests, qt_group_setup, qt_group_teardown);
}
