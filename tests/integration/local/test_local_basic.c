/*
 * tests/integration/local/test_local_basic.c - sandbox-local end to end:
 * exit codes, signals, stdout/stderr, stdin streaming (wc -c on 10 MB),
 * files (50 MB put/get with equal sha256), path escapes, the allowlist
 * from the very first exec, isolation (pid/net namespaces, uid),
 * destroy leaving nothing behind, and an idle box's destroy not waiting
 * out the agent's SHUTDOWN grace (the grace itself: test_local_agent_proto).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lt.h"
#include "voidbox/protocol/crypto.h"

static void test_exit_codes(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  vbx_exec_result r;
  assert_int_equal(th_sh(b, "exit 0", &r), 0);
  th_res_free(&r);
  assert_int_equal(th_sh(b, "exit 42", &r), 42);
  assert_int_equal(r.term_signal, 0);
  th_res_free(&r);
  th_sh(b, "kill -TERM $$", &r);
  assert_int_equal(r.term_signal, 15);
  assert_int_equal(r.timed_out, 0);
  th_res_free(&r);
  th_sh(b, "kill -KILL $$", &r);
  assert_int_equal(r.term_signal, 9);
  th_res_free(&r);
  assert_int_equal(th_sh(b, "echo out; echo err >&2; exit 3", &r), 3);
  assert_string_equal(r.stdout_data, "out\n");
  assert_string_equal(r.stderr_data, "err\n");
  th_res_free(&r);
  /* a program that does not exist is an error, not exit 127 */
  const char *argv[] = {"no-such-program-xyz", NULL};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(th_exec(b, argv, NULL, 0, 0, &r, &call), VBX_E_NOTFOUND);
  TH.vt->destroy(b);
}

static void test_isolation(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  vbx_exec_result r;
  assert_int_equal(th_sh(b, "id -u; id -g; pwd; hostname; echo $$", &r), 0);
  char pid1[32];
  snprintf(pid1, sizeof pid1, "%d", (int)getpid());
  /* the box's own uid and gid (equal) from the default range
   * 2000000000 .. 2000065535, never the host's nobody */
  unsigned long uid = 0, gid = 0;
  char rest[64] = "";
  assert_int_equal(sscanf(r.stdout_data, "%lu\n%lu\n%63[^$]", &uid, &gid, rest), 3);
  assert_true(uid >= 2000000000ul && uid <= 2000065535ul);
  assert_int_equal(gid, uid);
  assert_non_null(strstr(r.stdout_data, "\n/workspace\nvoidbox\n"));
  th_res_free(&r);
  /* only loopback in the net namespace */
  assert_int_equal(
      th_sh(b, "ls /sys/class/net 2>/dev/null || cat /proc/net/dev | tail -n +3 | cut -d: -f1", &r),
      0);
  assert_null(strstr(r.stdout_data, "eth"));
  th_res_free(&r);
  /* read-only system directories, private /tmp, no host /root */
  assert_int_not_equal(th_sh(b, "touch /usr/x 2>/dev/null", &r), 0);
  th_res_free(&r);
  assert_int_equal(th_sh(b, "echo hi > /tmp/t && cat /tmp/t && test ! -e /root/.bashrc", &r), 0);
  th_res_free(&r);
  /* seccomp: mount and unshare refused even if a command had the caps */
  assert_int_not_equal(th_sh(b, "unshare -n true 2>/dev/null", &r), 0);
  th_res_free(&r);
  TH.vt->destroy(b);
}

static void test_stdin_10mb(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  size_t n = 10u * 1024 * 1024;
  char *in = malloc(n);
  assert_non_null(in);
  for (size_t i = 0; i < n; i++)
    in[i] = (char)('a' + i % 26);
  const char *argv[] = {"wc", "-c", NULL};
  vbx_exec_result r;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(th_exec(b, argv, in, n, 60000, &r, &call), 0);
  assert_int_equal(r.exit_code, 0);
  assert_int_equal(strtoul(r.stdout_data, NULL, 10), n);
  th_res_free(&r);
  /* stdin content arrives intact */
  const char *argv2[] = {"sha256sum", NULL};
  assert_int_equal(th_exec(b, argv2, in, n, 60000, &r, &call), 0);
  uint8_t d[32];
  vbx_proto_sha256(in, n, d);
  char hex[65];
  for (int i = 0; i < 32; i++)
    sprintf(hex + 2 * i, "%02x", d[i]);
  assert_memory_equal(r.stdout_data, hex, 64);
  th_res_free(&r);
  free(in);
  TH.vt->destroy(b);
}

static void test_files_50mb(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  size_t n = 50u * 1024 * 1024;
  uint8_t *data = malloc(n);
  assert_non_null(data);
  uint32_t x = 12345;
  for (size_t i = 0; i < n; i++)
    x = x * 1103515245u + 12345u, data[i] = (uint8_t)(x >> 16);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  int rc = TH.vt->file_write(b, "/workspace/sub/dir/big.bin", data, n, 0640, &call);
  if (rc != 0) fail_msg("file_write: %s", call.message);
  char *back = NULL;
  size_t back_len = 0;
  rc = TH.vt->file_read(b, "sub/dir/big.bin", n, &back, &back_len, &call);
  if (rc != 0) fail_msg("file_read: %s", call.message);
  uint8_t d1[32], d2[32];
  vbx_proto_sha256(data, n, d1);
  vbx_proto_sha256(back, back_len, d2);
  assert_int_equal(back_len, n);
  assert_memory_equal(d1, d2, 32);
  TH.h->free(back);
  /* commands see the file with its mode and owner */
  vbx_exec_result r;
  assert_int_equal(th_sh(b, "stat -c '%a %u %s' /workspace/sub/dir/big.bin; id -u", &r), 0);
  unsigned long owner = 0, self = 1;
  assert_int_equal(sscanf(r.stdout_data, "640 %lu 52428800\n%lu\n", &owner, &self), 2);
  assert_int_equal(owner, self); /* owned by the commands' uid */
  th_res_free(&r);
  /* max_len is enforced */
  assert_int_equal(TH.vt->file_read(b, "sub/dir/big.bin", 1000, &back, &back_len, &call),
                   VBX_E_TOOBIG);
  free(data);
  TH.vt->destroy(b);
}

static void test_path_escapes(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  char *out = NULL;
  size_t len = 0;
  /* `..` past the root */
  assert_int_equal(TH.vt->file_read(b, "/../../../etc/hostname", 4096, &out, &len, &call),
                   VBX_E_PERM);
  assert_int_equal(TH.vt->file_read(b, "../../../../etc/passwd", 4096, &out, &len, &call),
                   VBX_E_PERM);
  assert_int_equal(TH.vt->file_write(b, "../../escape.txt", "x", 1, 0644, &call), VBX_E_PERM);
  /* symlinks, planted by a command, are never followed */
  vbx_exec_result r;
  assert_int_equal(th_sh(b, "ln -s / /workspace/l && ln -s /etc/passwd /workspace/p", &r), 0);
  th_res_free(&r);
  assert_int_equal(TH.vt->file_read(b, "l/etc/passwd", 4096, &out, &len, &call), VBX_E_PERM);
  assert_int_equal(TH.vt->file_read(b, "p", 4096, &out, &len, &call), VBX_E_PERM);
  assert_int_equal(TH.vt->file_write(b, "l/tmp/x", "x", 1, 0644, &call), VBX_E_PERM);
  /* the host's files stay out of reach: absolute paths are the box's */
  int rc = TH.vt->file_read(b, "/etc/hostname", 4096, &out, &len, &call);
  assert_true(rc == VBX_E_NOTFOUND || rc == VBX_E_PERM);
  TH.vt->destroy(b);
}

static void test_allowlist_first_exec(void **s) {
  (void)s;
  void *b = th_box("\"allow\":[\"echo\",\"/bin/true\"]", 0);
  vbx_exec_result r;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  const char *sh[] = {"/bin/sh", "-c", "echo pwned > /workspace/p", NULL};
  assert_int_equal(th_exec(b, sh, NULL, 0, 0, &r, &call), VBX_E_PERM); /* the very first exec */
  assert_non_null(strstr(call.message, "allowlist"));
  const char *echo[] = {"echo", "ok", NULL};
  assert_int_equal(th_exec(b, echo, NULL, 0, 0, &r, &call), 0);
  assert_string_equal(r.stdout_data, "ok\n");
  th_res_free(&r);
  const char *t1[] = {"/bin/true", NULL}, *t2[] = {"true", NULL},
             *e2[] = {"/usr/bin/echo", "x", NULL};
  assert_int_equal(th_exec(b, t1, NULL, 0, 0, &r, &call), 0);
  th_res_free(&r);
  assert_int_equal(th_exec(b, t2, NULL, 0, 0, &r, &call), VBX_E_PERM);
  assert_int_equal(th_exec(b, e2, NULL, 0, 0, &r, &call), VBX_E_PERM);
  char *out;
  size_t len;
  assert_int_equal(TH.vt->file_read(b, "p", 100, &out, &len, &call), VBX_E_NOTFOUND);
  TH.vt->destroy(b);
}

static int count_boxes(void) {
  DIR *d = opendir("/tmp");
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL)
    if (strncmp(e->d_name, "voidbox-local-test-", 19) == 0 && strstr(e->d_name, "-") != NULL) {
      char pfx[64];
      snprintf(pfx, sizeof pfx, "voidbox-local-test-%d-", (int)getpid());
      n += strncmp(e->d_name, pfx, strlen(pfx)) == 0;
    }
  if (d) closedir(d);
  return n;
}

static void test_destroy_leaves_nothing(void **s) {
  (void)s;
  int before = count_boxes();
  void *b = th_box(NULL, 0);
  vbx_exec_result r;
  /* a duration unique to this test process ("100.<pid>" seconds), so the
   * check below sees only our sleep, never one of a test running beside */
  char cmd[200], pat[128];
  snprintf(cmd, sizeof cmd,
           "sleep 100.%d & p=$!; until [ \"$(cat /proc/$p/comm)\" = sleep ]; do sleep 0.01; done; "
           "echo started",
           (int)getpid());
  snprintf(pat, sizeof pat, "pgrep -f '^sleep 100\\.%d$' >/dev/null", (int)getpid());
  assert_int_equal(th_sh(b, cmd, &r), 0);
  th_res_free(&r);
  assert_int_equal(count_boxes(), before + 1);
  assert_int_equal(system(pat), 0); /* the check can see it while the box lives */
  TH.vt->destroy(b);
  assert_int_equal(count_boxes(), before);
  /* no process of ours is left in that sleep */
  assert_int_not_equal(system(pat), 0);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void test_destroy_grace(void **s) {
  (void)s;
  /* Nothing running: the agent's 200 ms grace ends at once (it used to be
   * slept out on every destroy). The median of 5 is far below it. */
  double took[5];
  for (int i = 0; i < 5; i++) {
    void *b = th_box(NULL, 0);
    vbx_exec_result r;
    assert_int_equal(th_sh(b, "true", &r), 0);
    th_res_free(&r);
    double t0 = th_now();
    TH.vt->destroy(b);
    took[i] = th_now() - t0;
  }
  qsort(took, 5, sizeof took[0], cmp_double);
  printf("destroy of an idle box: median %.1f ms\n", took[2] * 1e3);
  assert_true(took[2] < 0.15);
}

static int setup(void **s) {
  (void)s;
  lt_load();
  return 0;
}
static int teardown(void **s) {
  (void)s;
  th_unload();
  return 0;
}

int main(void) {
  lt_require();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exit_codes),
      cmocka_unit_test(test_isolation),
      cmocka_unit_test(test_stdin_10mb),
      cmocka_unit_test(test_files_50mb),
      cmocka_unit_test(test_path_escapes),
      cmocka_unit_test(test_allowlist_first_exec),
      cmocka_unit_test(test_destroy_leaves_nothing),
      cmocka_unit_test(test_destroy_grace),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
