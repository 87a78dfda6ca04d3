/*
 * tests/integration/local/test_local_concurrency.c - one long exec never
 * delays others: a long-running exec runs on one thread while 100 short
 * execs complete on another, all through the same sandbox-local box (the
 * backend is VBX_VT_THREAD_SAFE; the protocol multiplexes request ids and
 * the agent runs every exec on its own worker).
 *
 * The long exec waits for a gate file that the test creates only after the
 * 100 short execs returned, so "the short execs did not wait for the long
 * one" is shown by ordering, not by wall-clock budgets (which a loaded CI
 * machine breaks). Were execs serialised, the short ones could never
 * complete: each has a call deadline, so that fails instead of hanging.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lt.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct long_exec {
  void *box;
  int rc, code;
  int finished; /* atomic: set once the exec returned */
  double end;
};

static void *run_gated(void *arg) {
  struct long_exec *l = arg;
  /* runs until /tmp/go exists (in the box); then exits 7 */
  const char *argv[] = {"/bin/sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 7",
                        NULL};
  vbx_exec_result r;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  l->rc = th_exec(l->box, argv, NULL, 0, 120000, &r, &call);
  l->code = r.exit_code;
  l->end = now_s();
  __atomic_store_n(&l->finished, 1, __ATOMIC_RELEASE);
  if (l->rc == 0) th_res_free(&r);
  return NULL;
}

static void test_long_exec_while_100_short(void **st) {
  (void)st;
  assert_true(TH.vt->flags & VBX_VT_THREAD_SAFE);
  void *b = th_box(NULL, 0);
  struct long_exec l = {b, -1, -1, 0, 0};
  pthread_t t;
  double t0 = now_s();
  pthread_create(&t, NULL, run_gated, &l);
  for (int i = 0; i < 100; i++) {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "echo %d", i);
    const char *argv[] = {"/bin/echo", cmd + 5, NULL};
    vbx_exec_result r;
    vbx_call call;
    vbx__call_init(&call, NULL, NULL, vbx__now_ns() + 60ull * 1000000000ull);
    assert_int_equal(th_exec(b, argv, NULL, 0, 10000, &r, &call), 0);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(atoi(r.stdout_data), i);
    th_res_free(&r);
  }
  double t100 = now_s();
  /* all 100 returned while the long exec is still running (it cannot end
   * before the gate exists) */
  assert_int_equal(__atomic_load_n(&l.finished, __ATOMIC_ACQUIRE), 0);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(TH.vt->file_write(b, "/tmp/go", "", 0, 0644, &call), 0);
  pthread_join(t, NULL);
  printf("100 short execs done after %.2f s; the long exec ended after %.2f s\n", t100 - t0,
         l.end - t0);
  assert_int_equal(l.rc, 0);
  assert_int_equal(l.code, 7);
  assert_true(l.end >= t100);
  TH.vt->destroy(b);
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
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_long_exec_while_100_short)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
