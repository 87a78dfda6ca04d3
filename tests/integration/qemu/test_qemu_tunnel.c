/*
 * tests/integration/qemu/test_qemu_tunnel.c - the LLM gateway tunnel in a
 * QEMU micro-VM: a scripted server on an ephemeral host port stands in for
 * the gateway (tests/integration/local/tsrv.h). With `network: false` (no
 * network device at all) the guest reaches it at VOIDBOX_LLM_GATEWAY_URL,
 * http://127.0.0.1:4000, through the agent's tunnel over virtio-serial:
 * busybox wget gets the HTTP answer, 1 MiB goes up and comes back intact
 * through nc, 20 connections are open at once; destroying the box with
 * tunnels open closes their gateway connections at once. With `network:
 * true` the tunnel works the same, and voidbox-netstack's 10.0.2.2:4000
 * reaches the gateway too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "qt.h"
#include "tsrv.h"

static tsrv S;

/* sh -c script in box (120 s); stdout into out; the exit code. */
static int sh(void *box, const char *script, char *out, size_t cap) {
  return th_script(box, "/bin/sh", script, 120000, out, cap);
}

static void *gw_box(int network) {
  th_box_cfg c = {.llm_gateway_port = S.port, .network = network};
  return th_box_cfg_box(&c);
}

/* network: false - the URL, HTTP with wget, 1 MiB each way, 20 at once. */
static void test_tunnel_without_network(void **s) {
  (void)s;
  void *box = gw_box(0);
  char out[1024];
  assert_int_equal(sh(box, "printf %s \"$VOIDBOX_LLM_GATEWAY_URL\"", out, sizeof out), 0);
  assert_string_equal(out, "http://127.0.0.1:4000");
  assert_int_equal(sh(box, "wget -q -O - \"$VOIDBOX_LLM_GATEWAY_URL/v1/models\"", out, sizeof out),
                   0);
  assert_string_equal(out, TSRV_HTTP_BODY);
  long echoed = __atomic_load_n(&S.echoed, __ATOMIC_SEQ_CST);
  double t0 = th_now();
  assert_int_equal(sh(box,
                      "seq 1 300000 | head -c 1048576 > /tmp/in && "
                      "{ printf 'ECHO 1048576\\n'; cat /tmp/in; } | nc 127.0.0.1 4000 > /tmp/out; "
                      "stat -c %s /tmp/out; cmp /tmp/in /tmp/out && echo same",
                      out, sizeof out),
                   0);
  printf("# 1 MiB each way through the tunnel in %.2f s\n", th_now() - t0);
  assert_string_equal(out, "1048576\nsame\n");
  assert_int_equal(__atomic_load_n(&S.echoed, __ATOMIC_SEQ_CST) - echoed, 1048576);
  __atomic_store_n(&S.holding, 0, __ATOMIC_SEQ_CST);
  assert_int_equal(sh(box,
                      "for i in $(seq 1 20); do (printf 'HOLD 20\\n' | nc 127.0.0.1 4000 > "
                      "/tmp/h$i) & done; wait; cat /tmp/h* | sort | uniq -c",
                      out, sizeof out),
                   0);
  assert_non_null(strstr(out, "20 go 20"));
  TH.vt->destroy(box);
}

/* Destroy with three tunnels open: their gateway connections close at
 * once (before the VM has stopped). */
static void test_destroy_with_tunnels_open(void **s) {
  (void)s;
  void *box = gw_box(0);
  int waiting = __atomic_load_n(&S.waiting, __ATOMIC_SEQ_CST);
  int closed = __atomic_load_n(&S.closed, __ATOMIC_SEQ_CST);
  assert_int_equal(sh(box,
                      "for i in 1 2 3; do ({ printf 'WAIT\\n'; sleep 60; } | nc 127.0.0.1 4000) "
                      "</dev/null >/dev/null 2>&1 & done",
                      NULL, 0),
                   0);
  /* accepted is not enough: a connection closed before its WAIT line came
   * through is never counted as closed */
  assert_true(tsrv_wait(&S.waiting, waiting + 3, 30000));
  double t0 = th_now();
  TH.vt->destroy(box);
  assert_true(tsrv_wait(&S.closed, closed + 3, 5000));
  double took = (double)S.last_closed_us / 1e6 - t0;
  printf("# three gateway connections closed %.3f s after destroy began (destroy: %.3f s)\n", took,
         th_now() - t0);
  assert_true(took < 0.5);
}

/* network: true - the tunnel as before, and the netstack's 10.0.2.2:4000
 * to the same gateway. */
static void test_tunnel_with_network(void **s) {
  (void)s;
  void *box = gw_box(1);
  char out[256];
  assert_int_equal(sh(box, "wget -q -O - \"$VOIDBOX_LLM_GATEWAY_URL/v1/models\"", out, sizeof out),
                   0);
  assert_string_equal(out, TSRV_HTTP_BODY);
  assert_int_equal(sh(box, "wget -q -O - http://10.0.2.2:4000/v1/models", out, sizeof out), 0);
  assert_string_equal(out, TSRV_HTTP_BODY);
  TH.vt->destroy(box);
}

static int setup(void **s) {
  (void)s;
  qt_load();
  tsrv_start(&S);
  return 0;
}

static int teardown(void **s) {
  (void)s;
  tsrv_stop(&S);
  qt_unload();
  return 0;
}

int main(void) {
  qt_require();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tunnel_without_network),
      cmocka_unit_test(test_destroy_with_tunnels_open),
      cmocka_unit_test(test_tunnel_with_network),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
