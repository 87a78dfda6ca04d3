/*
 * tests/integration/local/test_local_telemetry.c - the guest agent's
 * telemetry in a real local box, driven over the box's own connection with
 * the plugin's client code (white box: local_box from local.h): plausible
 * figures (memory total, processes including a background command, CPU
 * time that grows across a busy loop, after a command that streamed
 * 64 MiB), periodic samples, OK as the terminal frame of an unsubscribe,
 * an unknown id refused, and no agent thread or process left behind after
 * unsubscribe and destroy. With TELEMETRY_EXT (negotiated by this build's
 * agent and host) a sample also counts open descriptors (more with a
 * background command holding some) and network bytes (0: a box without
 * network has only loopback, which is not counted). The backend's
 * `telemetry` vtable method is checked the same way, plus the agent's own
 * host process figures ("agent", its RSS and CPU time), cancellation and
 * shorter caller structs (ABI 1.3's and older).
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lt.h"
#include "local.h"

static gc_req *subscribe(void *box, uint32_t interval_ms) {
  gc_conn *conn = ((local_box *)box)->box.gs.conn;
  gc_req *r;
  assert_int_equal(gc_req_new(conn, 0, &r), 0);
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_TELEMETRY_SUBSCRIBE, .id = gc_req_id(r)};
  m.u.interval_ms = interval_ms;
  assert_int_equal(gc_send_msg(conn, &m), 0);
  return r;
}

/* Next frame of r; a sample is decoded into *s. Returns the frame type. */
static int next(gc_req *r, struct vbx_proto_telemetry_sample *s) {
  gc_item *it;
  assert_int_equal(gc_req_next(r, 5000, &it), 0);
  int type = it->type;
  if (type == VBX_PROTO_T_TELEMETRY_SAMPLE)
    assert_int_equal(vbx_proto_decode_telemetry_sample(it->payload, it->len, s), 0);
  free(it);
  return type;
}

/* SUBSCRIBE(0) on r, then drain samples in flight up to the terminal OK. */
static void unsubscribe(void *box, gc_req *r) {
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_TELEMETRY_SUBSCRIBE, .id = gc_req_id(r)};
  m.u.interval_ms = 0;
  assert_int_equal(gc_send_msg(((local_box *)box)->box.gs.conn, &m), 0);
  struct vbx_proto_telemetry_sample s;
  int type;
  while ((type = next(r, &s)) == VBX_PROTO_T_TELEMETRY_SAMPLE)
    ;
  assert_int_equal(type, VBX_PROTO_T_OK);
}

/* One sample: subscribe, take the first (sent at once), unsubscribe. */
static void sample(void *box, struct vbx_proto_telemetry_sample *s) {
  gc_req *r = subscribe(box, 60000);
  assert_int_equal(next(r, s), VBX_PROTO_T_TELEMETRY_SAMPLE);
  unsubscribe(box, r);
  gc_req_free(r);
}

/* Threads of the box's agent (PID 1 of its namespace), seen from the host. */
static int agent_threads(void *box) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)((local_box *)box)->box.pid);
  DIR *d = opendir(path);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* Wait (up to 2 s) until the agent has `want` threads; returns the count. */
static int settle_threads(void *box, int want) {
  int n = agent_threads(box);
  for (int i = 0; i < 200 && n != want; i++) {
    usleep(10000);
    n = agent_threads(box);
  }
  return n;
}

static void test_figures(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  assert_true(gc_features(((local_box *)b)->box.gs.conn) & VBX_PROTO_FEAT_TELEMETRY);
  assert_true(gc_features(((local_box *)b)->box.gs.conn) & VBX_PROTO_FEAT_TELEMETRY_EXT);
  struct vbx_proto_telemetry_sample t0, t1, t2, t3;
  sample(b, &t0);
  assert_true(t0.mem_total_kib > 0);
  assert_true(t0.mem_used_kib > 0 && t0.mem_used_kib <= t0.mem_total_kib);
  assert_true(t0.procs >= 1);
  assert_true(t0.uptime_ns > 0);
  assert_int_equal(t0.ext, 1);
  assert_true(t0.open_fds >= 3);        /* the agent: its listening socket, connection, log */
  assert_int_equal(t0.net_rx_bytes, 0); /* network: false: loopback only */
  assert_int_equal(t0.net_tx_bytes, 0);
  /* a command that streams 64 MiB through a pipe, then a busy loop */
  vbx_exec_result r;
  assert_int_equal(th_sh(b, "head -c 64M /dev/zero | tail -c 1 | wc -c", &r), 0);
  assert_string_equal(r.stdout_data, "1\n");
  th_res_free(&r);
  sample(b, &t1);
  assert_true(t1.uptime_ns > t0.uptime_ns);
  assert_true(t1.cpu_usec >= t0.cpu_usec);
  /* a fixed amount of work (~0.4 s of CPU for dash here), so the figure
   * does not depend on how busy the machine is */
  assert_int_equal(th_sh(b, "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done", &r), 0);
  th_res_free(&r);
  sample(b, &t2);
  print_message("cpu_usec %llu -> %llu -> %llu, procs %u, mem %llu/%llu KiB\n",
                (unsigned long long)t0.cpu_usec, (unsigned long long)t1.cpu_usec,
                (unsigned long long)t2.cpu_usec, t2.procs, (unsigned long long)t2.mem_used_kib,
                (unsigned long long)t2.mem_total_kib);
  /* at least 100 ms of the loop must be counted (reaped commands stay
   * counted through the agent's cutime) */
  assert_true(t2.cpu_usec >= t1.cpu_usec + 100000);
  /* a running background command is counted as a process of the box,
   * and its eight open descriptors (0..7) as the box's */
  assert_int_equal(th_sh(b,
                         "sleep 30 </dev/null >/dev/null 2>&1 3</dev/null 4</dev/null "
                         "5</dev/null 6</dev/null 7</dev/null & p=$!; "
                         "until [ \"$(cat /proc/$p/comm)\" = sleep ]; do sleep 0.01; done",
                         &r),
                   0);
  th_res_free(&r);
  sample(b, &t3);
  print_message("open fds %u -> %u with the background command\n", t0.open_fds, t3.open_fds);
  assert_true(t3.procs >= t0.procs + 1);
  assert_true(t3.open_fds >= t0.open_fds + 6);
  TH.vt->destroy(b);
}

/* Samples every interval, OK terminal after SUBSCRIBE(0), unknown id
 * refused; the subscription's worker thread is gone afterwards. */
static void test_subscribe_unsubscribe(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  gc_conn *conn = ((local_box *)b)->box.gs.conn;
  int base = agent_threads(b);
  gc_req *r = subscribe(b, 100);
  uint64_t last = 0;
  for (int i = 0; i < 3; i++) {
    struct vbx_proto_telemetry_sample smp;
    assert_int_equal(next(r, &smp), VBX_PROTO_T_TELEMETRY_SAMPLE);
    assert_true(smp.uptime_ns > last);
    if (i > 0) /* about one interval apart */
      assert_true(smp.uptime_ns - last >= 90000000ull);
    last = smp.uptime_ns;
    assert_true(smp.procs >= 1 && smp.mem_total_kib > 0);
  }
  assert_int_equal(agent_threads(b), base + 1); /* the subscription's worker */
  unsubscribe(b, r);
  /* nothing follows the terminal OK */
  gc_item *it;
  assert_int_equal(gc_req_next(r, 300, &it), VBX_E_AGAIN);
  /* unsubscribing again: the id is no longer a subscription */
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_TELEMETRY_SUBSCRIBE, .id = gc_req_id(r)};
  m.u.interval_ms = 0;
  assert_int_equal(gc_send_msg(conn, &m), 0);
  assert_int_equal(gc_req_next(r, 5000, &it), 0);
  assert_int_equal(it->type, VBX_PROTO_T_ERROR);
  struct vbx_proto_error e;
  assert_int_equal(vbx_proto_decode_error(it->payload, it->len, &e), 0);
  assert_int_equal(e.code, VBX_E_NOTFOUND);
  free(it);
  gc_req_free(r);
  assert_int_equal(settle_threads(b, base), base);
  /* many short subscriptions leave no worker behind either */
  struct vbx_proto_telemetry_sample t;
  for (int i = 0; i < 20; i++)
    sample(b, &t);
  assert_int_equal(settle_threads(b, base), base);
  assert_false(gc_dead(conn, NULL, 0));
  TH.vt->destroy(b);
}

/* A live subscription does not keep destroy from removing everything. */
static void test_destroy_with_subscription(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  pid_t agent = ((local_box *)b)->box.pid;
  gc_req *r = subscribe(b, 100);
  struct vbx_proto_telemetry_sample smp;
  assert_int_equal(next(r, &smp), VBX_PROTO_T_TELEMETRY_SAMPLE);
  gc_req_free(r);
  assert_int_equal(kill(agent, 0), 0);
  TH.vt->destroy(b);
  /* destroy reaped the agent: its pid is gone */
  assert_true(kill(agent, 0) != 0 && errno == ESRCH);
}

/* ---- the vtable method ---------------------------------------------- */

static int method(void *b, vbx_sandbox_telemetry *t) {
  memset(t, 0, sizeof *t);
  t->struct_size = sizeof *t;
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, vbx__now_ns() + 10000000000ull);
  int rc = TH.vt->telemetry(b, t, &call);
  if (rc != 0) print_message("telemetry: %d %s\n", rc, call.message);
  return rc;
}

static void test_method(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  assert_true(VBX_HAS_METHOD(TH.vt, vbx_sandbox_backend_vtable, telemetry));
  int base = agent_threads(b);
  vbx_sandbox_telemetry t0, t1;
  assert_int_equal(method(b, &t0), 0);
  assert_int_equal(t0.struct_size, sizeof t0);
  assert_true(t0.mem_total_kib > 0);
  assert_true(t0.mem_used_kib > 0 && t0.mem_used_kib <= t0.mem_total_kib);
  assert_true(t0.procs >= 1 && t0.time_ns > 0);
  /* ABI 1.4: the box's open descriptors and network (loopback only: 0),
   * and the agent process as the host sees it */
  assert_true(t0.open_fds >= 3);
  assert_true(t0.net_rx_bytes == 0 && t0.net_tx_bytes == 0);
  assert_non_null(t0.host_process);
  assert_string_equal(t0.host_process, "agent");
  assert_true(t0.host_rss_kib > 0 && t0.host_rss_kib < (1u << 20)); /* a static agent: < 1 GiB */
  vbx_exec_result r;
  assert_int_equal(th_sh(b, "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done", &r), 0);
  th_res_free(&r);
  assert_int_equal(method(b, &t1), 0);
  assert_true(t1.time_ns > t0.time_ns);
  assert_true(t1.cpu_usec >= t0.cpu_usec + 100000);
  /* the agent's own CPU time: monotonic; the loop ran in its child */
  assert_true(t1.host_cpu_usec >= t0.host_cpu_usec);
  assert_true(t1.cpu_usec >= t1.host_cpu_usec);
  print_message("host: %s rss %llu KiB cpu %llu us; box: %u fds, net %llu/%llu\n", t1.host_process,
                (unsigned long long)t1.host_rss_kib, (unsigned long long)t1.host_cpu_usec,
                t1.open_fds, (unsigned long long)t1.net_rx_bytes,
                (unsigned long long)t1.net_tx_bytes);
  /* many calls leave no subscription (worker thread) behind */
  for (int i = 0; i < 20; i++)
    assert_int_equal(method(b, &t1), 0);
  assert_int_equal(settle_threads(b, base), base);
  /* a cancelled call fails at once */
  vbx__cancel c = {0};
  vbx__cancel_set(&c);
  vbx_call call;
  vbx__call_init(&call, &c, NULL, 0);
  vbx_sandbox_telemetry t = {.struct_size = sizeof t};
  assert_int_equal(TH.vt->telemetry(b, &t, &call), VBX_E_CANCELLED);
  /* an older caller's shorter struct is filled only up to its size */
  struct {
    vbx_sandbox_telemetry t;
    uint64_t canary;
  } small;
  memset(&small, 0xAB, sizeof small);
  small.t.struct_size = offsetof(vbx_sandbox_telemetry, mem_used_kib);
  vbx__call_init(&call, NULL, NULL, 0);
  assert_int_equal(TH.vt->telemetry(b, &small.t, &call), 0);
  assert_true(small.t.cpu_usec != 0xABABABABABABABABull);
  assert_true(small.t.mem_used_kib == 0xABABABABABABABABull);
  assert_true(small.t.procs == 0xABABABABu);
  /* an ABI 1.3 caller: everything up to time_ns, nothing after */
  memset(&small, 0xAB, sizeof small);
  small.t.struct_size = offsetof(vbx_sandbox_telemetry, net_rx_bytes);
  assert_int_equal(TH.vt->telemetry(b, &small.t, &call), 0);
  assert_true(small.t.time_ns != 0xABABABABABABABABull);
  assert_true(small.t.procs != 0xABABABABu);
  assert_true(small.t.net_rx_bytes == 0xABABABABABABABABull);
  assert_true(small.t.open_fds == 0xABABABABu);
  assert_true(small.t.host_rss_kib == 0xABABABABABABABABull);
  assert_true(small.t.host_cpu_usec == 0xABABABABABABABABull);
  assert_true(small.canary == 0xABABABABABABABABull);
  /* up to host_process: the name but not the figures after it */
  memset(&small, 0xAB, sizeof small);
  small.t.struct_size = offsetof(vbx_sandbox_telemetry, host_rss_kib);
  assert_int_equal(TH.vt->telemetry(b, &small.t, &call), 0);
  assert_string_equal(small.t.host_process, "agent");
  assert_true(small.t.open_fds != 0xABABABABu);
  assert_true(small.t.host_rss_kib == 0xABABABABABABABABull);
  assert_true(small.t.host_cpu_usec == 0xABABABABABABABABull);
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
      cmocka_unit_test(test_figures),
      cmocka_unit_test(test_subscribe_unsubscribe),
      cmocka_unit_test(test_destroy_with_subscription),
      cmocka_unit_test(test_method),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
