/*
 * tests/integration/local/test_local_stream.c - 100 MB of stdout through
 * sandbox-local with bounded host memory (VmHWM growth < 64 MiB), the
 * guest-side timeout killing grandchildren, cancellation through the
 * vbx_call, and the agent killed mid-exec giving a clear error (no hang).
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lt.h"

/* Under ASan the quarantine keeps freed chunks resident; turn it off so
 * VmHWM measures what the backend holds, not the sanitizer. */
const char *__asan_default_options(void);
__attribute__((visibility("default"), used)) const char *__asan_default_options(void) {
  return "quarantine_size_mb=0:thread_local_quarantine_size_kb=0";
}

static uint64_t g_bytes;
static int count_cb(void *u, vbx_stream s, const char *d, size_t n) {
  (void)u, (void)s, (void)d;
  g_bytes += n;
  return 0;
}

static void test_100mb_bounded(void **st) {
  (void)st;
  void *b = th_box(NULL, 0);
  vbx_exec_result r;
  assert_int_equal(th_sh(b, "true", &r), 0); /* warm up */
  th_res_free(&r);
  int reset = th_reset_hwm();
  long before = reset == 0 ? th_status_kib("VmHWM") : th_status_kib("VmRSS");
  const char *argv[] = {"/bin/sh", "-c", "head -c 104857600 /dev/zero", NULL};
  vbx_exec_request req;
  memset(&req, 0, sizeof req);
  req.struct_size = sizeof req;
  req.argv = argv;
  req.on_output = count_cb;
  req.max_output_bytes = 1 << 20;
  memset(&r, 0, sizeof r);
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  g_bytes = 0;
  assert_int_equal(TH.vt->exec(b, &req, &r, &call), 0);
  long after = th_status_kib("VmHWM");
  printf("100 MB streamed: %llu bytes; VmHWM %ld -> %ld KiB (growth %ld KiB)%s\n",
         (unsigned long long)g_bytes, before, after, after - before,
         reset == 0 ? "" : " [clear_refs unavailable: baseline is VmRSS]");
  assert_int_equal(g_bytes, 104857600ull);
  assert_int_equal(r.exit_code, 0);
  assert_int_equal(r.stdout_len, 1 << 20);
  assert_true(r.stdout_truncated);
  assert_true(after - before < 64 * 1024);
  th_res_free(&r);
  TH.vt->destroy(b);
}

static void test_timeout_kills_grandchildren(void **st) {
  (void)st;
  void *b = th_box(NULL, 0);
  vbx_exec_result r;
  const char *argv[] = {"/bin/sh", "-c", "sleep 300 & echo $! > /tmp/gc; sh -c 'sleep 301' & wait",
                        NULL};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(th_exec(b, argv, NULL, 0, 500, &r, &call), 0);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  assert_true(r.timed_out);
  assert_int_equal(r.term_signal, 9);
  assert_true(t1.tv_sec - t0.tv_sec < 10);
  th_res_free(&r);
  /* the grandchildren are gone: killed with the group at the timeout, then
   * reaped by the agent (PID 1) - until then they linger as zombies, which
   * ps lists too, so allow the reaper a bounded moment (5 s, ample on a
   * loaded machine) for all of them, not just the first */
  assert_int_equal(th_sh(b,
                         "g=$(cat /tmp/gc); i=0; while [ $i -lt 50 ]; do "
                         "[ -e /proc/$g ] || break; sleep 0.1; i=$((i+1)); done; "
                         "[ ! -e /proc/$g ]",
                         &r),
                   0);
  th_res_free(&r);
  assert_int_equal(th_sh(b,
                         "i=0; while [ $i -lt 50 ]; do "
                         "n=$(ps -e -o comm= 2>/dev/null | grep -c '^sleep$'); "
                         "[ \"$n\" = 0 ] && break; sleep 0.1; i=$((i+1)); done; echo $n",
                         &r),
                   0);
  assert_int_equal(atoi(r.stdout_data), 0);
  th_res_free(&r);
  TH.vt->destroy(b);
}

struct canceller {
  vbx__cancel *c;
  int ms;
};
static void *cancel_later(void *arg) {
  struct canceller *x = arg;
  usleep((useconds_t)x->ms * 1000);
  vbx__cancel_set(x->c);
  return NULL;
}

static void test_cancel(void **st) {
  (void)st;
  void *b = th_box(NULL, 0);
  vbx__cancel cancel = {0};
  vbx_call call;
  vbx__call_init(&call, &cancel, NULL, 0);
  struct canceller x = {&cancel, 300};
  pthread_t t;
  pthread_create(&t, NULL, cancel_later, &x);
  const char *argv[] = {"sleep", "30", NULL};
  vbx_exec_result r;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(th_exec(b, argv, NULL, 0, 0, &r, &call), VBX_E_CANCELLED);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  pthread_join(t, NULL);
  assert_true(t1.tv_sec - t0.tv_sec < 5);
  /* the box is still usable and the sleep is gone */
  assert_int_equal(th_sh(b, "ps -e -o comm= | grep -c '^sleep' || true", &r), 0);
  assert_int_equal(atoi(r.stdout_data), 0);
  th_res_free(&r);
  /* a call deadline behaves the same, with VBX_E_TIMEOUT */
  vbx__call_init(&call, NULL, NULL, vbx__now_ns() + 300000000ull);
  assert_int_equal(th_exec(b, argv, NULL, 0, 0, &r, &call), VBX_E_TIMEOUT);
  TH.vt->destroy(b);
}

/* SIGKILL the guest agents that are children of this process (the
 * backend clones the agent, PID 1 of the box's namespace, from the calling
 * process), and only those: agents of other tests running in parallel
 * (ctest -j) are never touched. Returns how many were killed. */
static int kill_own_agents(void) {
  DIR *d = opendir("/proc");
  int n = 0;
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL) {
    char p[300], buf[512];
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    snprintf(p, sizeof p, "/proc/%s/stat", e->d_name);
    FILE *f = fopen(p, "r");
    if (f == NULL) continue;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    /* "pid (comm) state ppid ...": comm may hold spaces, so split at the last ')' */
    char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    if (open_paren == NULL || close_paren == NULL || close_paren < open_paren) continue;
    *close_paren = '\0';
    int ppid = -1;
    char state;
    if (sscanf(close_paren + 1, " %c %d", &state, &ppid) != 2 || ppid != (int)getpid()) continue;
    if (strcmp(open_paren + 1, "voidbox-guest-a") != 0) /* comm of voidbox-guest-agent */
      continue;
    if (kill(atoi(e->d_name), SIGKILL) == 0) n++;
  }
  if (d != NULL) closedir(d);
  return n;
}

struct killer {
  int ms;
  int killed;
};
static void *kill_agent_later(void *arg) {
  struct killer *k = arg;
  usleep((useconds_t)k->ms * 1000);
  k->killed = kill_own_agents();
  return NULL;
}

static void test_agent_killed_mid_exec(void **st) {
  (void)st;
  void *b = th_box(NULL, 0);
  struct killer k = {400, 0};
  pthread_t t;
  pthread_create(&t, NULL, kill_agent_later, &k);
  const char *argv[] = {"sleep", "30", NULL};
  vbx_exec_result r;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int rc = th_exec(b, argv, NULL, 0, 0, &r, &call);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  pthread_join(t, NULL);
  printf("agent killed: rc %d, message: %s\n", rc, call.message);
  assert_int_equal(k.killed, 1); /* exactly this box's agent */
  assert_int_equal(rc, VBX_E_SANDBOX_LOST);
  assert_non_null(strstr(call.message, "agent"));
  assert_true(t1.tv_sec - t0.tv_sec < 10);
  /* later calls fail fast with the same clear error */
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(th_exec(b, argv, NULL, 0, 0, &r, &call), VBX_E_SANDBOX_LOST);
  char *out;
  size_t len;
  assert_int_equal(TH.vt->file_read(b, "x", 10, &out, &len, &call), VBX_E_SANDBOX_LOST);
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
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_100mb_bounded),
      cmocka_unit_test(test_timeout_kills_grandchildren),
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_agent_killed_mid_exec),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
