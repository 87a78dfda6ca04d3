/*
 * tests/unit/guest/test_guest_telem.c - the guest agent's telemetry
 * figures that take text or a process list: /proc/net/dev parsing on
 * fixture text (loopback left out, cut lines, odd spacing, saturation) and
 * the open descriptor count over /proc/PID/fd of this process (its own
 * listing left out, bounds, a process that is gone), plus one whole sample
 * in both forms.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"
#include "voidbox/errors.h"

/* /proc/net/dev of a VM with a virtio NIC (kernel 6.1's layout). */
static const char netdev_vm[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo:   52000     600    0    0    0     0          0         0    52000     600    0  "
    "  0    0     0       0          0\n"
    "  eth0: 1234567    1000    0    0    0     0          0         0   765432     900    0  "
    "  0    0     0       0          0\n";

static void test_netdev_vm(void **s) {
  (void)s;
  uint64_t rx = 1, tx = 1;
  assert_int_equal(vbx__telem_parse_netdev(netdev_vm, &rx, &tx), 0);
  assert_int_equal(rx, 1234567);
  assert_int_equal(tx, 765432);
}

static void test_netdev_sums_and_skips_lo(void **s) {
  (void)s;
  /* several interfaces; a name glued to its first number (long counters
   * fill the column); a name that merely starts with "lo" counts */
  static const char t[] =
      "Inter-|   Receive |  Transmit\n"
      " face |bytes packets|bytes packets\n"
      "    lo: 999 1 0 0 0 0 0 0 999 1 0 0 0 0 0 0\n"
      "  eth0:100 1 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n"
      " eth1:  200 1 0 0 0 0 0 0 20 1 0 0 0 0 0 0\n"
      "lo2: 300 1 0 0 0 0 0 0 30 1 0 0 0 0 0 0\n"
      "\tveth-a: 400 1 0 0 0 0 0 0 40 1 0 0 0 0 0 0\n";
  uint64_t rx, tx;
  assert_int_equal(vbx__telem_parse_netdev(t, &rx, &tx), 0);
  assert_int_equal(rx, 100 + 200 + 300 + 400);
  assert_int_equal(tx, 10 + 20 + 30 + 40);
}

static void test_netdev_only_lo(void **s) {
  (void)s;
  /* a local box without network: its own namespace has only loopback */
  static const char t[] =
      "Inter-|   Receive |  Transmit\n"
      " face |bytes packets|bytes packets\n"
      "    lo: 5000 50 0 0 0 0 0 0 5000 50 0 0 0 0 0 0\n";
  uint64_t rx = 7, tx = 7;
  assert_int_equal(vbx__telem_parse_netdev(t, &rx, &tx), 0);
  assert_int_equal(rx, 0);
  assert_int_equal(tx, 0);
}

static void test_netdev_malformed(void **s) {
  (void)s;
  uint64_t rx = 7, tx = 7;
  /* headers only, empty, nonsense */
  assert_int_equal(vbx__telem_parse_netdev("Inter-|\n face |\n", &rx, &tx), VBX_E_PROTOCOL);
  assert_true(rx == 0 && tx == 0);
  assert_int_equal(vbx__telem_parse_netdev("", &rx, &tx), VBX_E_PROTOCOL);
  assert_int_equal(vbx__telem_parse_netdev("eth0: x y z\n", &rx, &tx), VBX_E_PROTOCOL);
  /* too few numbers (no transmit bytes); a negative number */
  assert_int_equal(vbx__telem_parse_netdev("eth0: 1 2 3 4 5 6 7 8\n", &rx, &tx), VBX_E_PROTOCOL);
  assert_int_equal(vbx__telem_parse_netdev("eth0: -1 2 3 4 5 6 7 8 9\n", &rx, &tx), VBX_E_PROTOCOL);
  /* a line cut by the read bound (no newline) does not count */
  static const char cut[] =
      "eth0: 100 1 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n"
      "eth1: 200 1 0 0 0 0 0 0 2";
  assert_int_equal(vbx__telem_parse_netdev(cut, &rx, &tx), 0);
  assert_int_equal(rx, 100);
  assert_int_equal(tx, 10);
  /* a number past u64 refuses its line; sums saturate */
  assert_int_equal(
      vbx__telem_parse_netdev("eth0: 99999999999999999999 1 0 0 0 0 0 0 1 0\n", &rx, &tx),
      VBX_E_PROTOCOL);
  static const char big[] =
      "a: 18446744073709551615 0 0 0 0 0 0 0 1 0\n"
      "b: 18446744073709551615 0 0 0 0 0 0 0 2 0\n";
  assert_int_equal(vbx__telem_parse_netdev(big, &rx, &tx), 0);
  assert_true(rx == UINT64_MAX);
  assert_int_equal(tx, 3);
}

static void test_count_fds_self(void **s) {
  (void)s;
  int self = getpid();
  uint32_t base = vbx__telem_count_fds(&self, 1);
  assert_true(base >= 3); /* stdin, stdout, stderr at least */
  int fds[10];
  for (int i = 0; i < 10; i++)
    assert_true((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
  /* exact: the listing's own directory descriptor is not counted */
  assert_int_equal(vbx__telem_count_fds(&self, 1), base + 10);
  /* the same process twice counts twice; none; a pid that is no process */
  assert_int_equal(vbx__telem_count_fds((int[]){self, self}, 2), 2 * (base + 10));
  assert_int_equal(vbx__telem_count_fds(NULL, 0), 0);
  assert_int_equal(vbx__telem_count_fds((int[]){0x3ffffff0, self}, 2), base + 10);
  for (int i = 0; i < 10; i++)
    close(fds[i]);
  assert_int_equal(vbx__telem_count_fds(&self, 1), base);
}

static void test_count_fds_bounds(void **s) {
  (void)s;
  /* more pids than the bound: only the first VBX__TELEM_MAX_FD_PROCS are
   * listed */
  static int many[VBX__TELEM_MAX_FD_PROCS + 100];
  int self = getpid();
  uint32_t one = vbx__telem_count_fds(&self, 1);
  for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
    many[i] = i < 3 ? self : 0x3ffffff0; /* the rest: no such process */
  assert_int_equal(vbx__telem_count_fds(many, sizeof many / sizeof many[0]), 3 * one);
  for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
    many[i] = i >= VBX__TELEM_MAX_FD_PROCS ? self : 0x3ffffff0;
  assert_int_equal(vbx__telem_count_fds(many, sizeof many / sizeof many[0]), 0);
}

/* A whole sample of this test process's tree in both forms. */
static void test_sample_forms(void **s) {
  (void)s;
  struct vbx_proto_telemetry_sample v1, ext;
  vbx__telem_sample(0, 0, &v1);
  assert_int_equal(v1.ext, 0);
  assert_true(v1.procs >= 1 && v1.mem_total_kib > 0 && v1.uptime_ns > 0);
  assert_true(v1.open_fds == 0 && v1.net_rx_bytes == 0 && v1.net_tx_bytes == 0);
  vbx__telem_sample(0, 1, &ext);
  assert_int_equal(ext.ext, 1);
  assert_true(ext.procs >= 1);
  assert_true(ext.open_fds >= 3);
  /* both encode in their own form */
  uint8_t mem[128];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  assert_int_equal(vbx_proto_encode_telemetry_sample(&b, 1, &v1), 0);
  assert_int_equal(b.len, VBX_PROTO_HEADER_SIZE + VBX_PROTO_TELEMETRY_SAMPLE_SIZE);
  vbx_proto_buf_reset(&b);
  assert_int_equal(vbx_proto_encode_telemetry_sample(&b, 1, &ext), 0);
  assert_int_equal(b.len, VBX_PROTO_HEADER_SIZE + VBX_PROTO_TELEMETRY_SAMPLE_EXT_SIZE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_netdev_vm),      cmocka_unit_test(test_netdev_sums_and_skips_lo),
      cmocka_unit_test(test_netdev_only_lo), cmocka_unit_test(test_netdev_malformed),
      cmocka_unit_test(test_count_fds_self), cmocka_unit_test(test_count_fds_bounds),
      cmocka_unit_test(test_sample_forms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
