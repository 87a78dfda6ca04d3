/*
 * tests/integration/local/test_local_proc.c - streaming exec (the proc_*
 * methods, ABI 1.3) on sandbox-local: `cat` answering line by line while
 * its stdin stays open, stdout and stderr told apart, 10 MiB read through a
 * 100-byte then a 64 KiB buffer in order with bounded host memory, a
 * process ending while the host writes (VBX_E_STATE, no hang), reads that
 * time out (VBX_E_AGAIN, the call's deadline, cancellation), proc_kill from
 * another thread, the request's timeout, closing a running process, two
 * procs with an exec between, a program that does not exist, and the agent
 * dying under a blocked read.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gs_box.h"
#include "lt.h"

/* Under ASan the quarantine keeps freed chunks resident; turn it off so
 * VmHWM measures what the backend holds, not the sanitizer. */
const char *__asan_default_options(void);
__attribute__((visibility("default"), used)) const char *__asan_default_options(void) {
  return "quarantine_size_mb=0:thread_local_quarantine_size_kb=0";
}

#define BIG (10u * 1024u * 1024u)

static void *BOX; /* shared by the tests that leave it usable */

static void call0(vbx_call *call) { vbx__call_init(call, NULL, NULL, 0); }

/* One proc_read of at most cap bytes waiting up to timeout_ms. */
static int rd(void *p, uint32_t timeout_ms, vbx_stream *st, char *buf, size_t cap, size_t *len,
              vbx_call *call) {
  call0(call);
  return TH.vt->proc_read(p, timeout_ms, st, buf, cap, len, call);
}

static void test_interactive_cat(void **s) {
  (void)s;
  const char *argv[] = {"cat", NULL};
  void *p = th_proc_open(BOX, argv, 0);
  /* every line comes back while stdin stays open: not run to completion */
  for (int i = 0; i < 5; i++) {
    char line[32];
    snprintf(line, sizeof line, "line %d\n", i);
    th_proc_write(p, line);
    th_proc_expect(p, VBX_STREAM_STDOUT, line);
  }
  vbx_exec_result st = {.struct_size = sizeof st};
  vbx_call call;
  call0(&call);
  assert_int_equal(TH.vt->proc_status(p, &st, &call), VBX_E_STATE); /* still running */
  assert_int_equal(TH.vt->proc_close_stdin(p, &call), 0);
  assert_int_equal(TH.vt->proc_close_stdin(p, &call), 0); /* idempotent */
  assert_int_equal(TH.vt->proc_write(p, "x", 1, &call), VBX_E_STATE);
  char out[64], err[64];
  th_proc_drain(p, out, sizeof out, err, sizeof err, &st);
  assert_string_equal(out, "");
  assert_string_equal(err, "");
  assert_int_equal(st.exit_code, 0);
  assert_int_equal(st.term_signal, 0);
  assert_false(st.timed_out);
  assert_true(st.duration_ns > 0);
  /* end of file again, and nothing left to signal */
  vbx_stream sm;
  size_t len = 1;
  assert_int_equal(rd(p, 0, &sm, out, sizeof out, &len, &call), 0);
  assert_int_equal(len, 0);
  assert_int_equal(TH.vt->proc_kill(p, SIGTERM), VBX_E_STATE);
  TH.vt->proc_close(p);
}

static void test_stderr(void **s) {
  (void)s;
  const char *argv[] = {
      "sh", "-c", "read l; echo \"out:$l\"; read l; echo \"err:$l\" >&2; read l; exit 3", NULL};
  void *p = th_proc_open(BOX, argv, 0);
  th_proc_write(p, "x\n");
  th_proc_expect(p, VBX_STREAM_STDOUT, "out:x\n");
  th_proc_write(p, "y\n");
  th_proc_expect(p, VBX_STREAM_STDERR, "err:y\n");
  th_proc_write(p, "z\n");
  th_proc_expect_exit(p, 3);
  TH.vt->proc_close(p);
}

/* The text of `seq 1 N`, produced again on the host to check it. */
typedef struct seqgen {
  unsigned long next;
  char cur[24];
  size_t pos, len;
} seqgen;

static int seq_matches(seqgen *g, const char *d, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (g->pos == g->len) {
      g->len = (size_t)snprintf(g->cur, sizeof g->cur, "%lu\n", g->next++);
      g->pos = 0;
    }
    if (d[i] != g->cur[g->pos++]) return 0;
  }
  return 1;
}

static void test_10mib_small_reads_bounded(void **s) {
  (void)s;
  vbx_exec_result r;
  assert_int_equal(th_sh(BOX, "true", &r), 0); /* warm up */
  th_res_free(&r);
  int reset = th_reset_hwm();
  long before = reset == 0 ? th_status_kib("VmHWM") : th_status_kib("VmRSS");
  const char *argv[] = {"sh", "-c", "seq 1 2000000 | head -c 10485760", NULL};
  void *p = th_proc_open(BOX, argv, 0);
  vbx_call call;
  call0(&call);
  assert_int_equal(TH.vt->proc_close_stdin(p, &call), 0);
  seqgen g = {.next = 1};
  static char buf[65536];
  size_t total = 0, reads = 0;
  double t0 = th_now();
  for (;;) {
    size_t cap = total < (1u << 20) ? 100 : sizeof buf, len = 0;
    vbx_stream st = 0;
    int rc = rd(p, 10000, &st, buf, cap, &len, &call);
    if (rc != 0) fail_msg("proc_read at %zu: %d %s", total, rc, call.message);
    if (len == 0) break;
    reads++;
    assert_int_equal(st, VBX_STREAM_STDOUT);
    assert_true(len <= cap);
    if (!seq_matches(&g, buf, len)) fail_msg("bytes out of order at %zu", total);
    total += len;
  }
  long after = th_status_kib("VmHWM");
  printf("10 MiB in %zu reads, %.2f s; VmHWM %ld -> %ld KiB (growth %ld KiB)%s\n", reads,
         th_now() - t0, before, after, after - before,
         reset == 0 ? "" : " [clear_refs unavailable: baseline is VmRSS]");
  assert_int_equal(total, BIG);
  assert_true(reads > 10000); /* the first MiB came 100 bytes at a time */
  vbx_exec_result st = {.struct_size = sizeof st};
  assert_int_equal(TH.vt->proc_status(p, &st, &call), 0);
  assert_int_equal(st.exit_code, 0);
  TH.vt->proc_close(p);
  /* the window (1 MiB) bounds what the host holds, not the 10 MiB */
  assert_true(after - before < 8 * 1024);
}

static void test_exit_while_writing(void **s) {
  (void)s;
  const char *argv[] = {"sh", "-c", "head -c 1000 >/dev/null; exit 3", NULL};
  void *p = th_proc_open(BOX, argv, 0);
  static char chunk[65536];
  memset(chunk, 'x', sizeof chunk);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, vbx__now_ns() + 30000000000ull);
  double t0 = th_now();
  int rc = 0, n = 0;
  while (rc == 0 && n < 4096) /* 256 MiB at most */
    rc = TH.vt->proc_write(p, chunk, sizeof chunk, &call), n++;
  printf("proc_write: %d after %d chunks, %.2f s: %s\n", rc, n, th_now() - t0, call.message);
  assert_int_equal(rc, VBX_E_STATE);
  assert_non_null(strstr(call.message, "has ended"));
  assert_true(th_now() - t0 < 15);
  th_proc_expect_exit(p, 3);
  TH.vt->proc_close(p);
}

static void test_read_timeouts(void **s) {
  (void)s;
  const char *argv[] = {"cat", NULL};
  void *p = th_proc_open(BOX, argv, 0);
  char buf[64];
  vbx_stream st;
  size_t len;
  vbx_call call;
  double t0 = th_now();
  assert_int_equal(rd(p, 200, &st, buf, sizeof buf, &len, &call), VBX_E_AGAIN);
  double waited = th_now() - t0;
  printf("silent proc: VBX_E_AGAIN after %.3f s (%s)\n", waited, call.message);
  assert_true(waited >= 0.19 && waited < 2);
  t0 = th_now();
  assert_int_equal(rd(p, 0, &st, buf, sizeof buf, &len, &call), VBX_E_AGAIN); /* a poll */
  assert_true(th_now() - t0 < 1);
  /* the call's deadline and cancellation end a longer wait */
  vbx__call_init(&call, NULL, NULL, vbx__now_ns() + 300000000ull);
  t0 = th_now();
  assert_int_equal(TH.vt->proc_read(p, 20000, &st, buf, sizeof buf, &len, &call), VBX_E_TIMEOUT);
  assert_true(th_now() - t0 < 3);
  vbx__cancel cancel = {0};
  vbx__cancel_set(&cancel);
  vbx__call_init(&call, &cancel, NULL, 0);
  assert_int_equal(TH.vt->proc_read(p, 20000, &st, buf, sizeof buf, &len, &call), VBX_E_CANCELLED);
  /* none of that disturbed the process */
  th_proc_write(p, "still here\n");
  th_proc_expect(p, VBX_STREAM_STDOUT, "still here\n");
  TH.vt->proc_close(p);
}

struct killer {
  void *proc;
  int rc;
};

static void *kill_later(void *arg) {
  struct killer *k = arg;
  usleep(300 * 1000);
  k->rc = TH.vt->proc_kill(k->proc, SIGTERM);
  return NULL;
}

static void test_kill_from_another_thread(void **s) {
  (void)s;
  const char *argv[] = {"cat", NULL};
  void *p = th_proc_open(BOX, argv, 0);
  struct killer k = {p, 1};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, kill_later, &k), 0);
  char buf[64];
  vbx_stream st;
  size_t len = 1;
  vbx_call call;
  double t0 = th_now();
  int rc = rd(p, 20000, &st, buf, sizeof buf, &len, &call); /* blocks until the kill */
  double waited = th_now() - t0;
  pthread_join(t, NULL);
  if (rc != 0) fail_msg("proc_read: %d %s", rc, call.message);
  assert_int_equal(len, 0); /* end of file */
  assert_int_equal(k.rc, 0);
  assert_true(waited >= 0.2 && waited < 5);
  vbx_exec_result res = {.struct_size = sizeof res};
  assert_int_equal(TH.vt->proc_status(p, &res, &call), 0);
  assert_int_equal(res.term_signal, SIGTERM);
  assert_int_equal(res.exit_code, 128 + SIGTERM);
  assert_false(res.timed_out);
  assert_int_equal(TH.vt->proc_kill(p, SIGKILL), VBX_E_STATE);
  TH.vt->proc_close(p);
}

static void test_request_timeout(void **s) {
  (void)s;
  const char *argv[] = {"sleep", "30", NULL};
  double t0 = th_now();
  void *p = th_proc_open(BOX, argv, 500);
  char out[64], err[64];
  vbx_exec_result st;
  th_proc_drain(p, out, sizeof out, err, sizeof err, &st);
  printf("timeout_ms 500: ended after %.2f s\n", th_now() - t0);
  assert_true(st.timed_out);
  assert_int_equal(st.term_signal, SIGKILL);
  assert_true(th_now() - t0 < 10);
  TH.vt->proc_close(p);
}

/* How many `sleep SECS` run in the box, after giving the reaper up to 5 s
 * to reap them (killed processes linger as zombies until then). */
static int sleeps_left(const char *secs) {
  char cmd[256];
  snprintf(cmd, sizeof cmd,
           "i=0; while [ $i -lt 50 ]; do n=$(ps -e -o args= | grep -c '^sleep %s$'); "
           "[ \"$n\" = 0 ] && break; sleep 0.1; i=$((i+1)); done; echo $n",
           secs);
  vbx_exec_result r;
  assert_int_equal(th_sh(BOX, cmd, &r), 0);
  int n = atoi(r.stdout_data);
  th_res_free(&r);
  return n;
}

static void test_close_running(void **s) {
  (void)s;
  char secs[16], cmd[128];
  snprintf(secs, sizeof secs, "%d", 6000 + (int)getpid() % 3000);
  snprintf(cmd, sizeof cmd, "echo started; exec sleep %s", secs);
  const char *argv[] = {"sh", "-c", cmd, NULL};
  void *p = th_proc_open(BOX, argv, 0);
  th_proc_expect(p, VBX_STREAM_STDOUT, "started\n");
  double t0 = th_now();
  TH.vt->proc_close(p);
  assert_true(th_now() - t0 < 6);
  assert_int_equal(sleeps_left(secs), 0);
  /* one that fills its window nobody reads is closed as promptly */
  snprintf(cmd, sizeof cmd, "head -c 5000000 /dev/zero; exec sleep %s", secs);
  p = th_proc_open(BOX, argv, 0);
  usleep(300 * 1000);
  t0 = th_now();
  TH.vt->proc_close(p);
  assert_true(th_now() - t0 < 6);
  assert_int_equal(sleeps_left(secs), 0);
}

static void test_two_procs_and_an_exec(void **s) {
  (void)s;
  const char *cat[] = {"cat", NULL};
  const char *loop[] = {"sh", "-c", "while read l; do echo \"B:$l\"; done", NULL};
  void *a = th_proc_open(BOX, cat, 0), *b = th_proc_open(BOX, loop, 0);
  th_proc_write(a, "1\n");
  th_proc_write(b, "2\n");
  vbx_exec_result r;
  assert_int_equal(th_sh(BOX, "echo between", &r), 0);
  assert_string_equal(r.stdout_data, "between\n");
  th_res_free(&r);
  th_proc_expect(b, VBX_STREAM_STDOUT, "B:2\n");
  th_proc_expect(a, VBX_STREAM_STDOUT, "1\n");
  th_proc_write(a, "3\n");
  th_proc_write(b, "4\n");
  th_proc_expect(a, VBX_STREAM_STDOUT, "3\n");
  th_proc_expect(b, VBX_STREAM_STDOUT, "B:4\n");
  vbx_call call;
  call0(&call);
  assert_int_equal(TH.vt->proc_close_stdin(a, &call), 0);
  assert_int_equal(TH.vt->proc_close_stdin(b, &call), 0);
  th_proc_expect_exit(b, 0);
  th_proc_expect_exit(a, 0);
  TH.vt->proc_close(a);
  TH.vt->proc_close(b);
}

static void test_not_found(void **s) {
  (void)s;
  const char *argv[] = {"/no/such/program", NULL};
  void *p = th_proc_open(BOX, argv, 0); /* EXEC_START has no reply when it starts */
  char buf[64];
  vbx_stream st;
  size_t len;
  vbx_call call;
  assert_int_equal(rd(p, 10000, &st, buf, sizeof buf, &len, &call), VBX_E_NOTFOUND);
  printf("not found: %s\n", call.message);
  assert_non_null(strstr(call.message, "/no/such/program"));
  assert_int_equal(rd(p, 0, &st, buf, sizeof buf, &len, &call), VBX_E_NOTFOUND); /* sticky */
  assert_int_equal(TH.vt->proc_write(p, "x", 1, &call), VBX_E_NOTFOUND);
  assert_int_equal(TH.vt->proc_kill(p, SIGTERM), VBX_E_STATE);
  TH.vt->proc_close(p);
}

static void test_agent_dies_under_read(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  const char *argv[] = {"cat", NULL};
  void *p = th_proc_open(b, argv, 0);
  pid_t agent = ((gs_box *)b)->pid;
  assert_true(agent > 0);
  assert_int_equal(kill(agent, SIGKILL), 0);
  char buf[64];
  vbx_stream st;
  size_t len;
  vbx_call call;
  double t0 = th_now();
  int rc = rd(p, 20000, &st, buf, sizeof buf, &len, &call);
  printf("agent killed: %d %s\n", rc, call.message);
  assert_int_equal(rc, VBX_E_SANDBOX_LOST);
  assert_non_null(strstr(call.message, "agent"));
  assert_true(th_now() - t0 < 10);
  call0(&call);
  assert_int_equal(TH.vt->proc_write(p, "x\n", 2, &call), VBX_E_SANDBOX_LOST);
  assert_int_equal(TH.vt->proc_kill(p, SIGTERM), VBX_E_STATE);
  t0 = th_now();
  TH.vt->proc_close(p);
  assert_true(th_now() - t0 < 1);
  TH.vt->destroy(b);
}

static int setup(void **s) {
  (void)s;
  lt_load();
  BOX = th_box(NULL, 0);
  return 0;
}

static int teardown(void **s) {
  (void)s;
  if (BOX != NULL) TH.vt->destroy(BOX);
  BOX = NULL;
  th_unload();
  return 0;
}

int main(void) {
  lt_require();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_interactive_cat),
      cmocka_unit_test(test_stderr),
      cmocka_unit_test(test_10mib_small_reads_bounded),
      cmocka_unit_test(test_exit_while_writing),
      cmocka_unit_test(test_read_timeouts),
      cmocka_unit_test(test_kill_from_another_thread),
      cmocka_unit_test(test_request_timeout),
      cmocka_unit_test(test_close_running),
      cmocka_unit_test(test_two_procs_and_an_exec),
      cmocka_unit_test(test_not_found),
      cmocka_unit_test(test_agent_dies_under_read),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
