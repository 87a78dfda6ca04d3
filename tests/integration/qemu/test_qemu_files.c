/*
 * tests/integration/qemu/test_qemu_files.c - files across the virtio-serial
 * link: 1 MiB of random bytes written with file_write come back byte for
 * byte through file_read, `sha256sum` in the guest prints the host's
 * digest, commands see the file's size and mode, and an absolute path
 * outside the workspace round-trips too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <cmocka.h>

#include "qt.h"
#include "voidbox/protocol/crypto.h"

#define LEN (1024u * 1024u + 37u) /* not a multiple of any chunk size */

static void fill_random(uint8_t *p, size_t n) {
  for (size_t off = 0; off < n;) {
    ssize_t got = getrandom(p + off, n - off, 0);
    assert_true(got > 0);
    off += (size_t)got;
  }
}

static void test_round_trip(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  uint8_t *data = malloc(LEN);
  assert_non_null(data);
  fill_random(data, LEN);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  double t0 = th_now();
  int rc = TH.vt->file_write(b, "sub/random.bin", data, LEN, 0640, &call);
  if (rc != 0) fail_msg("file_write: %d %s", rc, call.message);
  double t1 = th_now();
  char *back = NULL;
  size_t back_len = 0;
  rc = TH.vt->file_read(b, "/workspace/sub/random.bin", LEN, &back, &back_len, &call);
  if (rc != 0) fail_msg("file_read: %d %s", rc, call.message);
  printf("1 MiB: write %.2f s, read %.2f s\n", t1 - t0, th_now() - t1);
  assert_int_equal(back_len, LEN);
  assert_memory_equal(back, data, LEN);
  TH.h->free(back);

  /* the guest's own view of the bytes */
  uint8_t d[32];
  vbx_proto_sha256(data, LEN, d);
  char want[100];
  for (int i = 0; i < 32; i++)
    sprintf(want + 2 * i, "%02x", d[i]);
  strcat(want, "  sub/random.bin\n");
  vbx_exec_result r;
  assert_int_equal(th_sh(b, "sha256sum sub/random.bin", &r), 0);
  assert_string_equal(r.stdout_data, want);
  th_res_free(&r);
  char stat_want[64];
  snprintf(stat_want, sizeof stat_want, "640 65534 %u\n", LEN);
  assert_int_equal(th_sh(b, "stat -c '%a %u %s' sub/random.bin", &r), 0);
  assert_string_equal(r.stdout_data, stat_want);
  th_res_free(&r);

  /* a file a command made, read back; and a path outside the workspace */
  assert_int_equal(th_sh(b, "head -c 300000 sub/random.bin | tail -c 1000 > made.bin", &r), 0);
  th_res_free(&r);
  assert_int_equal(TH.vt->file_read(b, "made.bin", 4096, &back, &back_len, &call), 0);
  assert_int_equal(back_len, 1000);
  assert_memory_equal(back, data + 299000, 1000);
  TH.h->free(back);
  assert_int_equal(TH.vt->file_write(b, "/tmp/abs.bin", data, 4096, 0600, &call), 0);
  assert_int_equal(TH.vt->file_read(b, "/tmp/abs.bin", 4096, &back, &back_len, &call), 0);
  assert_int_equal(back_len, 4096);
  assert_memory_equal(back, data, 4096);
  TH.h->free(back);
  /* max_len is enforced */
  assert_int_equal(TH.vt->file_read(b, "sub/random.bin", 1000, &back, &back_len, &call),
                   VBX_E_TOOBIG);
  free(data);
  TH.vt->destroy(b);
}

int main(void) {
  qt_require();
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_round_trip)};
  return cmocka_run_group_tests(tests, qt_group_setup, qt_group_teardown);
}
