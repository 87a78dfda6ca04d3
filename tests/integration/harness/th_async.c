/*
 * tests/integration/harness/th_async.c - a create or a command on a thread
 * of its own (harness.h): the create to cancel while the guest boots, the
 * command running while its box is killed.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

void *th_create_thread(void *arg) {
  th_creator *c = arg;
  vbx_call call;
  vbx__call_init(&call, &c->cancel, NULL, 0);
  void *b = NULL;
  c->rc = th_box_call(&c->cfg, &call, &b);
  c->done = th_now();
  snprintf(c->msg, sizeof c->msg, "%s", c->rc ? call.message : "(created)");
  if (b != NULL) /* booted before the cancel: not the case under test */
    TH.vt->destroy(b);
  return NULL;
}

static void *run_sleep(void *arg) {
  th_running *r = arg;
  const char *argv[] = {"/bin/sh", "-c", "echo started; sleep 60", NULL};
  vbx_exec_result res;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  r->rc = th_exec(r->box, argv, NULL, 0, 120000, &res, &call);
  r->done = th_now();
  snprintf(r->msg, sizeof r->msg, "%s", r->rc ? call.message : "(exec returned)");
  if (r->rc == 0) th_res_free(&res);
  return NULL;
}

double th_kill_mid_exec(th_running *r, int pid, int sig) {
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, run_sleep, r), 0);
  struct timespec ts = {0, 500 * 1000000L}; /* the command runs by then */
  nanosleep(&ts, NULL);
  double t0 = th_now();
  assert_int_equal(kill(pid, sig), 0);
  pthread_join(t, NULL);
  return r->done - t0;
}
