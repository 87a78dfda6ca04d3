/*
 * tests/integration/qemu/test_qemu_cancel.c - cancelling a box while its
 * guest still boots (Ctrl-C during a fan-out's boot): once QEMU has joined
 * the control socket, create waits for the guest agent's first frame; a
 * cancellation must end that wait within a short bound - not at the end of
 * boot_timeout_ms - with VBX_E_CANCELLED, QEMU killed and reaped and the
 * box directory removed.
 *   - a guest whose /init hangs (the agent never answers): cancelled 300 ms
 *     after QEMU connected, with a 20 s boot timeout;
 *   - the real image, cancelled as soon as QEMU connected (the guest
 *     kernel is still booting).
 * "QEMU connected" is seen from the outside: the backend removes ctl.sock
 * from the box directory once it accepted QEMU's connection.
 */
#include <pthread.h>
#include <setjmp.h>
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

#define CANCEL_BOUND_S 1.0

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Wait (up to 60 s) until the box directory exists and its ctl.sock is
 * gone: QEMU has connected and the backend waits for the guest agent. */
static int wait_qemu_connected(double *at) {
  for (int i = 0; i < 12000; i++) {
    char dir[600], sock[700], con[700];
    struct stat st;
    if (qt_box_dir(dir, sizeof dir) == 0) {
      snprintf(sock, sizeof sock, "%s/ctl.sock", dir);
      snprintf(con, sizeof con, "%s/console.log", dir);
      if (stat(con, &st) == 0 && stat(sock, &st) != 0) {
        *at = th_now();
        return 0;
      }
    }
    sleep_ms(5);
  }
  return -1;
}

static void cancel_during_boot(const char *opts, long delay_ms) {
  th_creator c = {.cfg = {.name = "cancelme", .opts_json = opts}};
  pthread_t t;
  double t0 = th_now(), connected = 0;
  assert_int_equal(pthread_create(&t, NULL, th_create_thread, &c), 0);
  int seen = wait_qemu_connected(&connected);
  if (seen == 0 && delay_ms) sleep_ms(delay_ms);
  double cancelled = th_now();
  vbx__cancel_set(&c.cancel);
  pthread_join(t, NULL);
  double after = c.done - cancelled;
  printf(
      "QEMU connected at %.3f s, cancelled at %.3f s, create returned %.3f s after the "
      "cancel: rc %d, %s\n",
      connected - t0, cancelled - t0, after, c.rc, c.msg);
  assert_int_equal(seen, 0);
  assert_int_equal(c.rc, VBX_E_CANCELLED);
  assert_non_null(strstr(c.msg, "cancelled"));
  assert_true(after < CANCEL_BOUND_S);
  assert_int_equal(qt_qemu_children(NULL, 0), 0);
  assert_int_equal(th_dir_entries(QT_WORK_ROOT), 0);
}

static char tmpdir[64], initrd[128];

static void test_cancel_hung_agent(void **s) {
  (void)s;
  static const char script[] = "#!/bin/sh\necho qtest: init hangs\nexec sleep 100000\n";
  snprintf(tmpdir, sizeof tmpdir, "/tmp/vbx-qt-initrd-XXXXXX");
  assert_non_null(mkdtemp(tmpdir));
  snprintf(initrd, sizeof initrd, "%s/initrd.cpio", tmpdir);
  qt_write_initrd(initrd, 1, script, sizeof script - 1);
  char opts[300];
  snprintf(opts, sizeof opts, "\"initramfs\":\"%s\",\"boot_timeout_ms\":20000", initrd);
  cancel_during_boot(opts, 300);
}

static void test_cancel_real_boot(void **s) {
  (void)s;
  cancel_during_boot(NULL, 0);
}

static int drop_initrd(void **s) {
  (void)s;
  if (tmpdir[0]) {
    unlink(initrd);
    rmdir(tmpdir);
    tmpdir[0] = '\0';
  }
  return 0;
}

int main(void) {
  qt_require();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_cancel_hung_agent, drop_initrd),
      cmocka_unit_test(test_cancel_real_boot),
  };
  return cmocka_run_group_tests(tests, qt_group_setup, qt_group_teardown);
}
