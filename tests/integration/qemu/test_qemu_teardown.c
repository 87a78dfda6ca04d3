/*
 * tests/integration/qemu/test_qemu_teardown.c - destroy leaves nothing:
 * while a box lives, this process has exactly one qemu-system child and
 * the work_root one box directory (so the checks can see them); after
 * destroy - also of a box with a command still running - the child is
 * reaped (not even a zombie is left) and the directory is gone. Two boxes
 * created, used and destroyed at once from two threads work the same way.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qt.h"

static void test_destroy_reaps(void **s) {
  (void)s;
  assert_int_equal(qt_qemu_children(NULL, 0), 0);
  void *b = th_box(NULL, 0);
  vbx_exec_result r;
  /* a command still running in the background at destroy */
  assert_int_equal(th_sh(b, "sleep 600 >/dev/null 2>&1 & echo started", &r), 0);
  assert_string_equal(r.stdout_data, "started\n");
  th_res_free(&r);
  assert_int_equal(qt_qemu_children(NULL, 0), 1);
  assert_int_equal(th_dir_entries(QT_WORK_ROOT), 1);
  double t0 = th_now();
  TH.vt->destroy(b);
  printf("destroy took %.2f s\n", th_now() - t0);
  /* zombies count too: zero means QEMU was reaped, not just killed */
  assert_int_equal(qt_qemu_children(NULL, 0), 0);
  assert_int_equal(th_dir_entries(QT_WORK_ROOT), 0);
}

struct worker {
  int n;
  pthread_barrier_t *both_up, *checked;
  int ok;
};

static void *use_box(void *arg) {
  struct worker *w = arg;
  char name[16], var[32], cmd[96], want[64];
  snprintf(name, sizeof name, "pair%d", w->n);
  snprintf(var, sizeof var, "QT_BOX=%d", w->n);
  const char *const env[] = {var, NULL};
  th_box_cfg c = {.name = name, .memory_mb = 192, .env = env};
  vbx_call call;
  void *b = NULL;
  int rc = th_box_try(&c, &call, &b);
  if (rc != 0) printf("box %d: create: %d %s\n", w->n, rc, call.message);
  pthread_barrier_wait(w->both_up); /* the main thread counts children here */
  pthread_barrier_wait(w->checked);
  if (rc != 0) return NULL;
  /* each box is its own machine: a file of one is not in the other */
  snprintf(cmd, sizeof cmd, "echo box $QT_BOX > /tmp/mine; cat /tmp/mine; ls /tmp");
  snprintf(want, sizeof want, "box %d\nmine\n", w->n);
  const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  vbx_exec_result r;
  vbx__call_init(&call, NULL, NULL, 0);
  rc = th_exec(b, argv, NULL, 0, 60000, &r, &call);
  if (rc == 0) {
    w->ok = r.exit_code == 0 && r.stdout_data && strcmp(r.stdout_data, want) == 0;
    if (!w->ok) printf("box %d: exit %d, stdout '%s'\n", w->n, r.exit_code, r.stdout_data);
    th_res_free(&r);
  } else {
    printf("box %d: exec: %d %s\n", w->n, rc, call.message);
  }
  TH.vt->destroy(b);
  return NULL;
}

static void test_two_boxes_in_threads(void **s) {
  (void)s;
  pthread_barrier_t up, checked;
  pthread_barrier_init(&up, NULL, 3);
  pthread_barrier_init(&checked, NULL, 3);
  struct worker w[2] = {{1, &up, &checked, 0}, {2, &up, &checked, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&t[i], NULL, use_box, &w[i]), 0);
  pthread_barrier_wait(&up);
  int kids = qt_qemu_children(NULL, 0), dirs = th_dir_entries(QT_WORK_ROOT);
  pthread_barrier_wait(&checked);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  pthread_barrier_destroy(&up);
  pthread_barrier_destroy(&checked);
  printf("while both lived: %d QEMU children, %d box directories\n", kids, dirs);
  assert_int_equal(kids, 2);
  assert_int_equal(dirs, 2);
  assert_true(w[0].ok);
  assert_true(w[1].ok);
  assert_int_equal(qt_qemu_children(NULL, 0), 0);
  assert_int_equal(th_dir_entries(QT_WORK_ROOT), 0);
}

int main(void) {
  qt_require();
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_destroy_reaps),
                                     cmocka_unit_test(test_two_boxes_in_threads)};
  return cmocka_run_group_tests(tests, qt_group_setup, qt_group_teardown);
}
