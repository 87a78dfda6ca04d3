/*
 * tests/integration/conformance/cases.c - the sandbox conformance cases.
 * `test_conformance BACKEND` runs every case of the table against one
 * backend (conformance.h); ctest runs it once per backend
 * (conformance_mock, conformance_local, conformance_qemu, conformance_kvm). Most cases
 * share one box (made by the group setup, with env CONF_A=alpha); jail,
 * box lifetime and teardown make their own.
 */
#include <errno.h>
#include <pthread.h>
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

#include "conformance.h"
#include "gs_box.h"

#define BIG (10u * 1024u * 1024u)

static void *BOX; /* the shared box */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define APPLIES(case_)                                                  \
  do {                                                                  \
    const char *na_ = cf_not_applicable(case_);                         \
    if (na_ != NULL) {                                                  \
      printf("# %s: not applicable to %s: %s\n", case_, CF->name, na_); \
      skip();                                                           \
    }                                                                   \
  } while (0)

/* Run argv in box with optional stdin; asserts the exec rc is 0. */
static void run(void *box, const char *const *argv, const char *in, size_t in_len,
                vbx_exec_result *res) {
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  int rc = th_exec(box, argv, in, in_len, 30000, res, &call);
  if (rc != 0) fail_msg("exec %s: %d %s", argv[0], rc, call.message);
}

static void test_exec(void **s) {
  (void)s;
  APPLIES("exec");
  const char *argv[] = {"echo", "hello", "conformance", NULL};
  vbx_exec_result r;
  run(BOX, argv, NULL, 0, &r);
  assert_int_equal(r.exit_code, 0);
  assert_int_equal(r.term_signal, 0);
  assert_string_equal(r.stdout_data, "hello conformance\n");
  assert_int_equal(r.stderr_len, 0);
  th_res_free(&r);
}

static void test_exit_codes(void **s) {
  (void)s;
  APPLIES("exit_codes");
  const char *t[] = {"true", NULL}, *f[] = {"false", NULL}, *e[] = {"sh", "-c", "exit 42", NULL};
  const char *const *cmds[] = {t, f, e};
  int want[] = {0, 1, 42};
  for (int i = 0; i < 3; i++) {
    vbx_exec_result r;
    run(BOX, cmds[i], NULL, 0, &r);
    assert_int_equal(r.exit_code, want[i]);
    assert_int_equal(r.term_signal, 0);
    assert_int_equal(r.timed_out, 0);
    th_res_free(&r);
  }
}

static void test_signals(void **s) {
  (void)s;
  APPLIES("signals");
  const char *k9[] = {"sh", "-c", "kill -9 $$", NULL}, *k15[] = {"sh", "-c", "kill -TERM $$", NULL};
  vbx_exec_result r;
  run(BOX, k9, NULL, 0, &r);
  assert_int_equal(r.term_signal, 9);
  assert_int_equal(r.timed_out, 0);
  th_res_free(&r);
  run(BOX, k15, NULL, 0, &r);
  assert_int_equal(r.term_signal, 15);
  th_res_free(&r);
}

static void test_env(void **s) {
  (void)s;
  APPLIES("env");
  const char *argv[] = {"sh", "-c", "echo $CONF_A-$CONF_B-$HOME", NULL};
  const char *env[] = {"CONF_B=beta", NULL};
  vbx_exec_request req = {.struct_size = sizeof req, .argv = argv, .env = env, .timeout_ms = 30000};
  vbx_exec_result r = {.struct_size = sizeof r};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(TH.vt->exec(BOX, &req, &r, &call), 0);
  assert_string_equal(r.stdout_data, "alpha-beta-/workspace\n");
  th_res_free(&r);
}

static void test_cwd(void **s) {
  (void)s;
  APPLIES("cwd");
  const char *argv[] = {"pwd", NULL};
  vbx_exec_result r;
  run(BOX, argv, NULL, 0, &r);
  assert_string_equal(r.stdout_data, "/workspace\n");
  th_res_free(&r);
  vbx_exec_request req = {
      .struct_size = sizeof req, .argv = argv, .cwd = "/tmp", .timeout_ms = 30000};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  assert_int_equal(TH.vt->exec(BOX, &req, &r, &call), 0);
  assert_string_equal(r.stdout_data, "/tmp\n");
  th_res_free(&r);
}

static void test_stdin(void **s) {
  (void)s;
  APPLIES("stdin");
  size_t n = 100 * 1024;
  char *in = malloc(n + 1);
  assert_non_null(in);
  for (size_t i = 0; i < n; i++)
    in[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
  in[n] = '\0';
  const char *argv[] = {"cat", NULL};
  vbx_exec_result r;
  run(BOX, argv, in, n, &r);
  assert_int_equal(r.exit_code, 0);
  assert_int_equal(r.stdout_len, n);
  assert_memory_equal(r.stdout_data, in, n);
  th_res_free(&r);
  free(in);
}

/* Streaming exec: a process that answers while its stdin stays open, on
 * both streams, with the box's env; its exit status after end of file; a
 * running one closed. */
static void test_procs(void **s) {
  (void)s;
  APPLIES("procs");
  assert_true(VBX_HAS_METHOD(TH.vt, vbx_sandbox_backend_vtable, proc_open));
  const char *argv[] = {"sh", "-c",
                        "read l; echo \"out:$l:$CONF_A\"; read l; echo \"err:$l\" >&2; cat; exit 7",
                        NULL};
  void *p = th_proc_open(BOX, argv, 0);
  th_proc_write(p, "one\n");
  th_proc_expect(p, VBX_STREAM_STDOUT, "out:one:alpha\n");
  th_proc_write(p, "two\n");
  th_proc_expect(p, VBX_STREAM_STDERR, "err:two\n");
  for (int i = 0; i < 3; i++) {
    th_proc_write(p, "again\n");
    th_proc_expect(p, VBX_STREAM_STDOUT, "again\n");
  }
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(TH.vt->proc_close_stdin(p, &call), 0);
  th_proc_expect_exit(p, 7);
  TH.vt->proc_close(p);
  const char *sl[] = {"sleep", "300", NULL};
  p = th_proc_open(BOX, sl, 0);
  double t0 = now_s();
  TH.vt->proc_close(p);
  assert_true(now_s() - t0 < 10);
}

/* on_output: one letter per chunk's stream, the chunks' text after it. */
typedef struct seen {
  char log[4096];
  size_t len;
  size_t bytes[3];
} seen;

static int record(void *user, vbx_stream st, const char *d, size_t n) {
  seen *sn = user;
  sn->bytes[st] += n;
  if (sn->len + n + 2 < sizeof sn->log) {
    sn->log[sn->len++] = st == VBX_STREAM_STDOUT ? 'O' : 'E';
    memcpy(sn->log + sn->len, d, n);
    sn->len += n;
    sn->log[sn->len] = '\0';
  }
  return 0;
}

static int exec_cb(void *box, const char *cmd, seen *sn, vbx_exec_result *r) {
  const char *argv[] = {"sh", "-c", cmd, NULL};
  vbx_exec_request req = {.struct_size = sizeof req,
                          .argv = argv,
                          .timeout_ms = 60000,
                          .on_output = record,
                          .user = sn};
  memset(r, 0, sizeof *r);
  r->struct_size = sizeof *r;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  int rc = TH.vt->exec(box, &req, r, &call);
  if (rc != 0) fail_msg("exec %s: %d %s", cmd, rc, call.message);
  return r->exit_code;
}

static void test_streaming_order(void **s) {
  (void)s;
  APPLIES("streaming_order");
  seen sn = {0};
  vbx_exec_result r;
  assert_int_equal(exec_cb(BOX,
                           "for i in 1 2 3 4 5; do echo out$i; sleep 0.1; echo err$i >&2; "
                           "sleep 0.1; done",
                           &sn, &r),
                   0);
  assert_string_equal(sn.log,
                      "Oout1\nEerr1\nOout2\nEerr2\nOout3\nEerr3\nOout4\nEerr4\n"
                      "Oout5\nEerr5\n");
  th_res_free(&r);
}

static void test_large_output(void **s) {
  (void)s;
  APPLIES("large_output");
  seen sn = {0};
  vbx_exec_result r;
  double t0 = now_s();
  assert_int_equal(exec_cb(BOX, "head -c 10485760 /dev/zero; echo done >&2", &sn, &r), 0);
  printf("# 10 MiB of stdout in %.2f s\n", now_s() - t0);
  assert_int_equal(sn.bytes[VBX_STREAM_STDOUT], BIG);
  assert_int_equal(sn.bytes[VBX_STREAM_STDERR], 5);
  assert_true(r.stdout_len <= BIG);
  assert_true(r.stdout_len == BIG || r.stdout_truncated); /* a capture cap is allowed */
  assert_string_equal(r.stderr_data, "done\n");
  th_res_free(&r);
}

/* sha256 of a host file by the host's sha256sum, hex into out[65]. */
static void host_sha256(const char *path, char out[65]) {
  char cmd[600];
  snprintf(cmd, sizeof cmd, "sha256sum %s", path);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  assert_non_null(fgets(out, 65, p));
  pclose(p);
}

static void test_file_roundtrip(void **s) {
  (void)s;
  APPLIES("file_roundtrip");
  char *data = malloc(BIG);
  assert_non_null(data);
  unsigned x = 12345u;
  for (size_t i = 0; i < BIG; i++)
    data[i] = (char)((x = x * 1103515245u + 12345u) >> 16);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  double t0 = now_s();
  int rc = TH.vt->file_write(BOX, "conf/big.bin", data, BIG, 0644, &call);
  if (rc != 0) fail_msg("file_write: %d %s", rc, call.message);
  char *back = NULL;
  size_t len = 0;
  rc = TH.vt->file_read(BOX, "conf/big.bin", BIG + 1, &back, &len, &call);
  if (rc != 0) fail_msg("file_read: %d %s", rc, call.message);
  printf("# 10 MiB put + get in %.2f s\n", now_s() - t0);
  assert_int_equal(len, BIG);
  assert_memory_equal(back, data, BIG);
  TH.h->free(back);
  if (!cf_not_applicable("signals")) { /* a real shell: the guest's own sha256 */
    char tmp[] = "/tmp/vbx-conf-sha-XXXXXX", want[65];
    int fd = mkstemp(tmp);
    assert_true(fd >= 0 && write(fd, data, BIG) == (ssize_t)BIG);
    close(fd);
    host_sha256(tmp, want);
    unlink(tmp);
    const char *argv[] = {"sha256sum", "/workspace/conf/big.bin", NULL};
    vbx_exec_result r;
    run(BOX, argv, NULL, 0, &r);
    assert_int_equal(r.exit_code, 0);
    assert_true(r.stdout_len >= 64);
    assert_memory_equal(r.stdout_data, want, 64);
    th_res_free(&r);
  }
  free(data);
}

static void test_jail_escape(void **s) {
  (void)s;
  APPLIES("jail_escape");
  char host[128], rel[200];
  snprintf(host, sizeof host, "/tmp/vbx-conf-escape-%d", (int)getpid());
  snprintf(rel, sizeof rel, "../../../../../..%s", host);
  void *b = th_box("\"writable\":[\"/workspace\"]", 0);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  /* traversal out of the writable tree is refused, and never reaches the host */
  assert_int_not_equal(TH.vt->file_write(b, rel, "x", 1, 0644, &call), 0);
  assert_int_not_equal(TH.vt->file_write(b, "/workspace/../etc/conf-evil", "x", 1, 0644, &call), 0);
  assert_int_not_equal(TH.vt->file_write(b, "../etc/conf-evil", "x", 1, 0644, &call), 0);
  struct stat st;
  assert_int_not_equal(lstat(host, &st), 0);
  const char *argv[] = {"sh", "-c", "test -e /etc/conf-evil", NULL};
  vbx_exec_result r;
  run(b, argv, NULL, 0, &r);
  assert_int_equal(r.exit_code, 1);
  th_res_free(&r);
  /* inside it, writes work */
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(TH.vt->file_write(b, "inside.txt", "ok", 2, 0644, &call), 0);
  TH.vt->destroy(b);
}

static void test_time_limit(void **s) {
  (void)s;
  APPLIES("time_limit");
  const char *argv[] = {"sleep", "30", NULL};
  vbx_exec_result r;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  double t0 = now_s();
  assert_int_equal(th_exec(BOX, argv, NULL, 0, 500, &r, &call), 0);
  double took = now_s() - t0;
  printf("# a 500 ms time limit ended the command after %.2f s\n", took);
  assert_true(r.timed_out);
  assert_true(took < 10.0);
  th_res_free(&r);
}

static void test_box_timeout(void **s) {
  (void)s;
  APPLIES("box_timeout");
  th_box_cfg c = {.name = "lifetime", .timeout_secs = 1};
  void *b = th_box_cfg_box(&c);
  struct timespec ts = {1, 500000000};
  nanosleep(&ts, NULL);
  const char *argv[] = {"true", NULL};
  vbx_exec_result r;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(th_exec(b, argv, NULL, 0, 5000, &r, &call), VBX_E_TIMEOUT);
  TH.vt->destroy(b);
}

static void *cancel_later(void *arg) {
  struct timespec ts = {0, 300000000};
  nanosleep(&ts, NULL);
  atomic_store(&((vbx__cancel *)arg)->cancelled, 1);
  return NULL;
}

static void test_cancel(void **s) {
  (void)s;
  APPLIES("cancel");
  vbx__cancel tok = {0};
  vbx_call call;
  vbx__call_init(&call, &tok, NULL, 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, cancel_later, &tok), 0);
  const char *argv[] = {"sleep", "30", NULL};
  vbx_exec_result r;
  double t0 = now_s();
  int rc = th_exec(BOX, argv, NULL, 0, 60000, &r, &call);
  double took = now_s() - t0;
  pthread_join(t, NULL);
  printf("# cancelled 0.3 s into the exec; it returned after %.2f s\n", took);
  assert_int_equal(rc, VBX_E_CANCELLED);
  assert_true(took < 5.0);
  /* the box still works */
  const char *e[] = {"echo", "after", NULL};
  run(BOX, e, NULL, 0, &r);
  assert_string_equal(r.stdout_data, "after\n");
  th_res_free(&r);
}

/* Processes on the host whose command line is "sleep <secs>". */
static int host_sleeps(const char *secs) {
  FILE *p = popen("grep -lsaxz sleep /proc/[0-9]*/cmdline 2>/dev/null", "r");
  char line[128], path[160], buf[64];
  int n = 0;
  while (p && fgets(line, sizeof line, p)) {
    (void)path;
    line[strcspn(line, "\n")] = '\0';
    FILE *f = fopen(line, "r");
    size_t got = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[got] = '\0';
    if (got > 6 && strcmp(buf, "sleep") == 0 && strcmp(buf + 6, secs) == 0) n++;
  }
  if (p) pclose(p);
  return n;
}

static void test_teardown(void **s) {
  (void)s;
  APPLIES("teardown");
  assert_true(CF->agent);
  char secs[32], cmd[96], dir[512];
  snprintf(secs, sizeof secs, "%d", 5000 + (int)getpid() % 4000);
  snprintf(cmd, sizeof cmd, "sleep %s >/dev/null 2>&1 & echo started", secs);
  void *b = th_box(NULL, 0);
  vbx_exec_result r;
  assert_int_equal(th_sh(b, cmd, &r), 0);
  th_res_free(&r);
  gs_box *g = b;
  snprintf(dir, sizeof dir, "%s", g->dir);
  pid_t pid = g->pid;
  struct stat st;
  assert_int_equal(lstat(dir, &st), 0);
  assert_true(pid > 0);
  TH.vt->destroy(b);
  assert_int_not_equal(lstat(dir, &st), 0);         /* box directory gone */
  assert_true(kill(pid, 0) != 0 && errno == ESRCH); /* agent or VM reaped */
  assert_int_equal(host_sleeps(secs), 0);           /* no command left */
}

static int group_setup(void **state) {
  (void)state;
  CF->load();
  static const char *const env[] = {"CONF_A=alpha", NULL};
  th_box_cfg c = {.name = "conformance", .env = env, .opts_json = CF->box_opts};
  BOX = th_box_cfg_box(&c);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  if (BOX) TH.vt->destroy(BOX);
  BOX = NULL;
  CF->unload();
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2 || (CF = cf_backend_find(argv[1])) == NULL) {
    fprintf(stderr, "usage: test_conformance mock|local|qemu|kvm\n");
    return 2;
  }
  CF->require();
  const struct CMUnitTest cases[] = {
      cmocka_unit_test(test_exec),
      cmocka_unit_test(test_exit_codes),
      cmocka_unit_test(test_signals),
      cmocka_unit_test(test_env),
      cmocka_unit_test(test_cwd),
      cmocka_unit_test(test_stdin),
      cmocka_unit_test(test_procs), /* streaming exec */
      cmocka_unit_test(test_streaming_order),
      cmocka_unit_test(test_large_output),
      cmocka_unit_test(test_file_roundtrip),
      cmocka_unit_test(test_jail_escape),
      cmocka_unit_test(test_time_limit),
      cmocka_unit_test(test_box_timeout),
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_teardown),
  };
  return cmocka_run_group_tests_name(argv[1], cases, group_setup, group_teardown);
}
