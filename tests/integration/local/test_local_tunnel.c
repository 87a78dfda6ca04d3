/*
 * tests/integration/local/test_local_tunnel.c - the LLM gateway tunnel end
 * to end in real local boxes with `network: false` (their own network
 * namespace): a scripted server on an ephemeral host port stands in for
 * the gateway (tsrv.h) and the box reaches it at its
 * VOIDBOX_LLM_GATEWAY_URL, http://127.0.0.1:4000, with bash's /dev/tcp
 * and curl. Checked: an HTTP answer; 1 MiB each way intact; 20
 * connections at once; the server closing first and the client closing
 * first; a gateway that is not there (the in-box connection is reset at
 * once); no other host port reachable; the box destroyed with tunnels open
 * (every gateway connection closed at once, no descriptor or thread of
 * this process left); network: true reaching the host port directly.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "local.h"
#include "lt.h"
#include "tsrv.h"
#include "tunnel.h"

static tsrv S;

/* bash -c script in box (60 s); its stdout into out (NUL-terminated, cut
 * at cap); returns the exit code (asserts the exec itself). */
static int bash(void *box, const char *script, char *out, size_t cap) {
  return th_script(box, "/bin/bash", script, 60000, out, cap);
}

static void *gw_box(uint16_t port, int network) {
  th_box_cfg c = {.llm_gateway_port = port, .network = network};
  return th_box_cfg_box(&c);
}

static int count_dir(const char *path) {
  DIR *d = opendir(path);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static int setup(void **state) {
  (void)state;
  tsrv_start(&S);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  tsrv_stop(&S);
  return 0;
}

/* The URL is in the default environment; an HTTP request through it gets
 * the server's answer (bash and curl); the server closes first. */
static void test_http_through_the_tunnel(void **state) {
  (void)state;
  void *box = gw_box(S.port, 0);
  char out[4096];
  assert_int_equal(bash(box, "printf %s \"$VOIDBOX_LLM_GATEWAY_URL\"", out, sizeof out), 0);
  assert_string_equal(out, "http://127.0.0.1:4000");
  assert_int_equal(bash(box,
                        "exec 3<>/dev/tcp/127.0.0.1/4000; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; "
                        "cat <&3",
                        out, sizeof out),
                   0);
  assert_non_null(strstr(out, "HTTP/1.0 200 OK"));
  assert_non_null(strstr(out, TSRV_HTTP_BODY));
  if (access("/usr/bin/curl", X_OK) == 0) {
    assert_int_equal(
        bash(box, "curl -sS --max-time 10 \"$VOIDBOX_LLM_GATEWAY_URL/v1/models\"", out, sizeof out),
        0);
    assert_string_equal(out, TSRV_HTTP_BODY);
  }
  assert_int_equal(
      bash(box, "exec 3<>/dev/tcp/127.0.0.1/4000; printf 'HELLO\\n' >&3; cat <&3", out, sizeof out),
      0);
  assert_string_equal(out, "hello\n");
  TH.vt->destroy(box);
}

/* 1 MiB up and the same 1 MiB back, compared in the box; then 1 MiB down
 * only (the server writes, the box reads slowly) - both under credit. */
static void test_megabyte_each_way(void **state) {
  (void)state;
  void *box = gw_box(S.port, 0);
  long before = __atomic_load_n(&S.echoed, __ATOMIC_SEQ_CST);
  char out[256];
  assert_int_equal(bash(box,
                        "set -e; seq 1 300000 | head -c 1048576 > /tmp/in; "
                        "exec 3<>/dev/tcp/127.0.0.1/4000; "
                        "{ printf 'ECHO 1048576\\n'; cat /tmp/in; } >&3 & "
                        "cat <&3 > /tmp/out; wait; "
                        "stat -c %s /tmp/out; cmp /tmp/in /tmp/out && echo same",
                        out, sizeof out),
                   0);
  assert_string_equal(out, "1048576\nsame\n");
  assert_int_equal(__atomic_load_n(&S.echoed, __ATOMIC_SEQ_CST) - before, 1048576);
  TH.vt->destroy(box);
}

/* 20 connections open at once through one box, each answered only once
 * all 20 are there. */
static void test_twenty_at_once(void **state) {
  (void)state;
  void *box = gw_box(S.port, 0);
  __atomic_store_n(&S.holding, 0, __ATOMIC_SEQ_CST);
  char out[1024];
  assert_int_equal(bash(box,
                        "for i in $(seq 1 20); do (exec 3<>/dev/tcp/127.0.0.1/4000; "
                        "printf 'HOLD 20\\n' >&3; cat <&3 > /tmp/h$i) & done; wait; "
                        "cat /tmp/h* | sort | uniq -c",
                        out, sizeof out),
                   0);
  assert_non_null(strstr(out, "20 go 20"));
  assert_true(S.peak >= 20);
  TH.vt->destroy(box);
}

/* The client closes first: the server sees its EOF, the tunnel ends at
 * both sides (the host's count goes back to 0). */
static void test_client_closes_first(void **state) {
  (void)state;
  void *box = gw_box(S.port, 0);
  int closed = __atomic_load_n(&S.closed, __ATOMIC_SEQ_CST);
  assert_int_equal(
      bash(box, "exec 3<>/dev/tcp/127.0.0.1/4000; printf 'WAIT\\nsome bytes' >&3; exec 3>&-", NULL,
           0),
      0);
  assert_true(tsrv_wait(&S.closed, closed + 1, 5000));
  gs_tunnels *t = ((local_box *)box)->box.tunnels;
  assert_non_null(t);
  for (int i = 0; i < 500 && gs_tunnels_count(t) != 0; i++)
    usleep(10000);
  assert_int_equal(gs_tunnels_count(t), 0);
  TH.vt->destroy(box);
}

/* No gateway listening: the in-box connect succeeds (the agent accepts)
 * and is reset at once, without data; nothing hangs. */
static void test_gateway_not_there(void **state) {
  (void)state;
  void *box = gw_box(tsrv_free_port(), 0);
  char out[256];
  double t0 = th_now();
  bash(box, "exec 3<>/dev/tcp/127.0.0.1/4000 || exit 9; cat <&3; echo \"rc=$?\"", out, sizeof out);
  double took = th_now() - t0;
  printf("# gateway not there: '%s' after %.3f s\n", out, took);
  assert_true(took < 3.0);
  assert_true(strncmp(out, "rc=", 3) == 0); /* nothing came before */
  TH.vt->destroy(box);
}

/* The tunnel reaches the gateway's port and nothing else: another host
 * port and other in-box ports are unreachable. */
static void test_no_other_port(void **state) {
  (void)state;
  tsrv other;
  tsrv_start(&other);
  void *box = gw_box(S.port, 0);
  char script[512];
  snprintf(script, sizeof script,
           "for p in %u %u 4001 80; do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && echo "
           "reached $p; done; (exec 3<>/dev/tcp/10.0.2.2/4000) 2>/dev/null && echo reached "
           "10.0.2.2; echo done",
           other.port, S.port);
  char out[512];
  assert_int_equal(bash(box, script, out, sizeof out), 0);
  assert_string_equal(out, "done\n");
  assert_int_equal(other.total, 0);
  TH.vt->destroy(box);
  tsrv_stop(&other);
}

/* Destroying a box with five tunnels open closes their gateway
 * connections at once and leaves no descriptor or thread behind. */
static void test_destroy_with_tunnels_open(void **state) {
  (void)state;
  /* one box first, so that what the plugin keeps for good is counted */
  TH.vt->destroy(gw_box(S.port, 0));
  int fds = count_dir("/proc/self/fd"), threads = count_dir("/proc/self/task");
  void *box = gw_box(S.port, 0);
  int waiting = __atomic_load_n(&S.waiting, __ATOMIC_SEQ_CST);
  int closed = __atomic_load_n(&S.closed, __ATOMIC_SEQ_CST);
  assert_int_equal(bash(box,
                        "for i in 1 2 3 4 5; do setsid bash -c 'exec 3<>/dev/tcp/127.0.0.1/4000; "
                        "printf \"WAIT\\n\" >&3; sleep 60' </dev/null >/dev/null 2>&1 & done",
                        NULL, 0),
                   0);
  /* each WAIT line through: a connection closed before it is not counted */
  assert_true(tsrv_wait(&S.waiting, waiting + 5, 10000));
  assert_int_equal(gs_tunnels_count(((local_box *)box)->box.tunnels), 5);
  double t0 = th_now();
  TH.vt->destroy(box);
  assert_true(tsrv_wait(&S.closed, closed + 5, 3000));
  double took = (double)S.last_closed_us / 1e6 - t0;
  printf("# five gateway connections closed %.3f s after destroy began (destroy: %.3f s)\n", took,
         th_now() - t0);
  assert_true(took < 0.1); /* at once: before the agent's shutdown grace */
  assert_int_equal(count_dir("/proc/self/fd"), fds);
  assert_int_equal(count_dir("/proc/self/task"), threads);
}

/* network: true shares the host's network: no tunnel, the URL names the
 * host port, which the box reaches itself. */
static void test_network_true_is_direct(void **state) {
  (void)state;
  void *box = gw_box(S.port, 1);
  assert_null(((local_box *)box)->box.tunnels);
  char out[256], want[64];
  assert_int_equal(bash(box, "printf %s \"$VOIDBOX_LLM_GATEWAY_URL\"", out, sizeof out), 0);
  snprintf(want, sizeof want, "http://127.0.0.1:%u", S.port);
  assert_string_equal(out, want);
  assert_int_equal(bash(box,
                        "u=${VOIDBOX_LLM_GATEWAY_URL#http://}; exec 3<>/dev/tcp/${u%:*}/${u#*:}; "
                        "printf 'HELLO\\n' >&3; cat <&3",
                        out, sizeof out),
                   0);
  assert_string_equal(out, "hello\n");
  TH.vt->destroy(box);
}

/* Without a gateway: no URL, no listener. */
static void test_no_gateway(void **state) {
  (void)state;
  void *box = th_box(NULL, 0);
  char out[256];
  assert_int_equal(bash(box,
                        "echo \"[${VOIDBOX_LLM_GATEWAY_URL-unset}]\"; (exec "
                        "3<>/dev/tcp/127.0.0.1/4000) 2>/dev/null && echo listening; true",
                        out, sizeof out),
                   0);
  assert_string_equal(out, "[unset]\n");
  TH.vt->destroy(box);
}

int main(void) {
  lt_require();
  lt_load();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_http_through_the_tunnel),
      cmocka_unit_test(test_megabyte_each_way),
      cmocka_unit_test(test_twenty_at_once),
      cmocka_unit_test(test_client_closes_first),
      cmocka_unit_test(test_gateway_not_there),
      cmocka_unit_test(test_no_other_port),
      cmocka_unit_test(test_destroy_with_tunnels_open),
      cmocka_unit_test(test_network_true_is_direct),
      cmocka_unit_test(test_no_gateway),
  };
  int rc = cmocka_run_group_tests(tests, setup, teardown);
  th_unload();
  return rc;
}
