/*
 * tests/integration/local/test_local_concurrency.c - one long exec never
 * delays others: a `sleep 5` runs on one thread while 100 short execs
 * complete on another, all through the same sandbox-local box (the
 * backend is VBX_VT_THREAD_SAFE; the protocol multiplexes request ids and
 * the agent runs every exec on its own worker).
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

#include "harness.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct long_exec {
  void *box;
  int rc, code;
  double end;
};

static void *run_sleep(void *arg) {
  struct long_exec *l = arg;
  const char *argv[] = {"sleep", "5", NULL};
  vbx_exec_result r;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  l->rc = lt_exec(l->box, argv, NULL, 0, 0, &r, &call);
  l->code = r.exit_code;
  l->end = now_s();
  if (l->rc == 0)
    lt_res_free(&r);
  return NULL;
}

static void test_sleep_while_100_short(void **st) {
  (void)st;
  assert_true(LT.vt->flags & VBX_VT_THREAD_SAFE);
  void *b = lt_box(NULL, 0);
  struct long_exec l = {b, -1, -1, 0};
  pthread_t t;
  double t0 = now_s();
  pthread_create(&t, NULL, run_sleep, &l);
  for (int i = 0; i < 100; i++) {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "echo %d", i);
    const char *argv[] = {"/bin/echo", cmd + 5, NULL};
    vbx_exec_result r;
    vbx_call call;
    vbx__call_init(&call, NULL, NULL, 0);
    assert_int_equal(lt_exec(b, argv, NULL, 0, 10000, &r, &call), 0);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(atoi(r.stdout_data), i);
    lt_res_free(&r);
  }
  double t100 = now_s();
  pthread_join(t, NULL);
  printf("100 short execs done after %.2f s; sleep 5 finished after %.2f s\n", t100 - t0,
         l.end - t0);
  assert_int_equal(l.rc, 0);
  assert_int_equal(l.code, 0);
  assert_true(t100 - t0 < 4.5); /* not serialised behind the sleep */
  assert_true(l.end > t100);
  assert_true(l.end - t0 >= 4.9);
  LT.vt->destroy(b);
}

static int setup(void **s) {
  (void)s;
  lt_load();
  return 0;
}
static int teardown(void **s) {
  (void)s;
  lt_unload();
  return 0;
}

int main(void) {
  lt_require();
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_sleep_while_100_short)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
