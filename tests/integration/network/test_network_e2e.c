/*
 * tests/integration/network/test_network_e2e.c - a box's network through
 * voidbox-netstack, end to end in a real guest: test_network_e2e qemu
 * (TCG here) or kvm (hardware KVM, or inside scripts/nested-kvm.sh via
 * kvm_suite.sh). Every destination is a loopback server of this process
 * (servers.h), reached from the guest as 10.0.2.2; a "denied" one is a
 * listener that must record no connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gs_box.h"
#include "harness.h"
#include "kt.h"
#include "qt.h"
#include "servers.h"

static const char *const k_names[] = {"svc.voidbox.test", "other.voidbox.test", NULL};
static srv HTTP, HTTP_NAMED, HOLD, DENIED, DNS;
static int g_kvm;

static void *box_with(const char *policy_fmt, uint32_t gateway_port) {
  char policy[1024] = "";
  if (policy_fmt != NULL)
    snprintf(policy, sizeof policy, policy_fmt, HTTP.port, HTTP_NAMED.port, DNS.port, HOLD.port);
  /* VBX_TEST_NETSTACK: another voidbox-netstack (a debugging wrapper) */
  char opts[600] = "";
  const char *alt = getenv("VBX_TEST_NETSTACK");
  if (alt != NULL && alt[0] != '\0') snprintf(opts, sizeof opts, "\"netstack\":\"%s\"", alt);
  th_box_cfg c = {.network = 1,
                  .network_policy = policy_fmt ? policy : NULL,
                  .llm_gateway_port = gateway_port,
                  .memory_mb = 256,
                  .opts_json = opts[0] ? opts : NULL};
  return th_box_cfg_box(&c);
}

/* Print the box's network log and console tail (white box: every VM box
 * starts with gs_box), for a failure's context. */
static void dump_box(void *b) {
  static const char *const files[] = {"net.log", "vmm.log", "qemu.log", "console.log"};
  for (int i = 0; i < 4; i++) {
    char path[700], line[512];
    snprintf(path, sizeof path, "%s/%s", ((gs_box *)b)->dir, files[i]);
    FILE *f = fopen(path, "re");
    if (f == NULL) continue;
    long n = 0;
    while (fgets(line, sizeof line, f) != NULL)
      n++;
    rewind(f);
    printf("--- %s (last 40 of %ld lines)\n", path, n);
    for (long k = 0; fgets(line, sizeof line, f) != NULL; k++)
      if (k >= n - 40) fputs(line, stdout);
    fclose(f);
  }
}

/* sh -c cmd in the box (60 s bound); exit code, output in r, seconds in *secs. */
static int run(void *b, const char *cmd, vbx_exec_result *r, double *secs) {
  const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  double t0 = th_now();
  int rc = th_exec(b, argv, NULL, 0, 60000, r, &call);
  if (secs) *secs = th_now() - t0;
  if (rc != 0) fail_msg("exec %s: %d %s", cmd, rc, call.message);
  printf("$ %s\n  exit %d, %zu bytes out, stderr: %.300s\n", cmd, r->exit_code, r->stdout_len,
         r->stderr_data ? r->stderr_data : "");
  if (r->stderr_data != NULL && strstr(r->stderr_data, "unreachable") != NULL) {
    dump_box(b);
    const char *diag[] = {"/bin/sh", "-c",
                          "ip addr; ip route; cat /sys/class/net/eth0/carrier "
                          "/sys/class/net/eth0/operstate; cat /proc/net/dev",
                          NULL};
    vbx_exec_result d;
    vbx__call_init(&call, NULL, NULL, 0);
    if (th_exec(b, diag, NULL, 0, 20000, &d, &call) == 0) {
      printf("--- in the guest:\n%s%s\n", d.stdout_data ? d.stdout_data : "",
             d.stderr_data ? d.stderr_data : "");
      th_res_free(&d);
    }
  }
  return r->exit_code;
}

static char *destroy_and_log(void *b) {
  TH.vt->destroy(b);
  return th_log_take();
}

static void assert_logged(const char *log, const char *needle) {
  if (strstr(log, needle) == NULL) fail_msg("the log lacks '%s':\n%s", needle, log);
}

/* network: true, no policy: the host's loopback is denied by default. */
static void test_default_denies_loopback(void **s) {
  (void)s;
  void *b = box_with(NULL, 0);
  vbx_exec_result r;
  double secs;
  char cmd[200];
  int before = srv_connections(&HTTP);
  snprintf(cmd, sizeof cmd, "wget -q -O- http://10.0.2.2:%d/bytes/10", HTTP.port);
  assert_int_not_equal(run(b, cmd, &r, &secs), 0);
  assert_true(secs < 10.0); /* refused at once (RST), not a timeout */
  th_res_free(&r);
  assert_int_equal(srv_connections(&HTTP), before);
  char *log = destroy_and_log(b);
  snprintf(cmd, sizeof cmd, "deny tcp 10.0.2.2:%d: host loopback", HTTP.port);
  assert_logged(log, cmd);
  free(log);
}

/* An allow list: by address, by name (policy-aware DNS), and nothing else. */
static void test_allow_list(void **s) {
  (void)s;
  void *b = box_with(
      "{\"allow\":[\"127.0.0.1:%d\",\"svc.voidbox.test:%d\"],"
      "\"dns\":[\"127.0.0.1:%d\"]}",
      0);
  vbx_exec_result r;
  double secs;
  char cmd[300];
  /* allowed by address */
  snprintf(cmd, sizeof cmd, "wget -q -O- http://10.0.2.2:%d/bytes/1000", HTTP.port);
  assert_int_equal(run(b, cmd, &r, NULL), 0);
  assert_int_equal(r.stdout_len, 1000);
  th_res_free(&r);
  /* the named server by address before its name resolved: refused */
  snprintf(cmd, sizeof cmd, "wget -q -O- http://10.0.2.2:%d/bytes/10", HTTP_NAMED.port);
  assert_int_not_equal(run(b, cmd, &r, &secs), 0);
  assert_true(secs < 10.0);
  th_res_free(&r);
  assert_int_equal(srv_connections(&HTTP_NAMED), 0);
  /* by its allowed name: resolves (through the listed resolver) and connects */
  snprintf(cmd, sizeof cmd, "wget -q -O- http://svc.voidbox.test:%d/bytes/777", HTTP_NAMED.port);
  assert_int_equal(run(b, cmd, &r, NULL), 0);
  assert_int_equal(r.stdout_len, 777);
  th_res_free(&r);
  assert_int_equal(srv_connections(&HTTP_NAMED), 1);
  assert_true(srv_was_asked(&DNS, "svc.voidbox.test"));
  /* a name outside the list does not resolve, and never reaches the resolver */
  assert_int_not_equal(run(b, "nslookup other.voidbox.test 10.0.2.3", &r, NULL), 0);
  th_res_free(&r);
  assert_false(srv_was_asked(&DNS, "other.voidbox.test"));
  /* a port not in the list: a fast refusal, no connection */
  snprintf(cmd, sizeof cmd, "wget -q -O- http://10.0.2.2:%d/", DENIED.port);
  assert_int_not_equal(run(b, cmd, &r, &secs), 0);
  assert_true(secs < 10.0);
  th_res_free(&r);
  assert_int_equal(srv_connections(&DENIED), 0);
  char *log = destroy_and_log(b);
  snprintf(cmd, sizeof cmd, "deny tcp 10.0.2.2:%d: host loopback", DENIED.port);
  assert_logged(log, cmd);
  assert_logged(log, "deny dns other.voidbox.test: not in the allow list");
  free(log);
}

/* max_connections: the third concurrent connection is refused. */
static void test_connection_cap(void **s) {
  (void)s;
  void *b = box_with("{\"allow\":[\"127.0.0.1:%4$d\"],\"max_connections\":2}", 0);
  vbx_exec_result r;
  char cmd[400];
  snprintf(cmd, sizeof cmd,
           "for i in 1 2; do (sleep 15 | nc 10.0.2.2 %d >/dev/null 2>&1 &); done; sleep 4; "
           "nc -w 5 10.0.2.2 %d </dev/null; echo third=$?",
           HOLD.port, HOLD.port);
  run(b, cmd, &r, NULL);
  assert_non_null(strstr(r.stdout_data, "third=1"));
  th_res_free(&r);
  assert_int_equal(srv_connections(&HOLD), 2);
  char *log = destroy_and_log(b);
  snprintf(cmd, sizeof cmd, "deny tcp 10.0.2.2:%d: connection cap (max_connections 2) reached",
           HOLD.port);
  assert_logged(log, cmd);
  free(log);
}

/* rate_limit_kbps: a download runs at most at the limit (25 % tolerance). */
static void test_rate_limit(void **s) {
  (void)s;
  const double limit = 800 * 1000 / 8.0; /* bytes per second */
  const int size = 400 * 1000;
  void *b = box_with("{\"allow\":[\"127.0.0.1:%d\"],\"rate_limit_kbps\":800}", 0);
  vbx_exec_result r;
  double secs;
  char cmd[200];
  snprintf(cmd, sizeof cmd, "wget -q -O- http://10.0.2.2:%d/bytes/%d | wc -c", HTTP.port, size);
  assert_int_equal(run(b, cmd, &r, &secs), 0);
  assert_int_equal(atoi(r.stdout_data), size);
  th_res_free(&r);
  double rate = size / secs;
  printf("rate_limit_kbps 800 (%.0f B/s): %d bytes in %.2f s = %.0f B/s (%.2f of the limit)\n",
         limit, size, secs, rate, rate / limit);
  assert_true(rate <= limit * 1.25);
  assert_true(rate >= limit * 0.4); /* shaped, not starved */
  free(destroy_and_log(b));
}

/* The LLM gateway at 10.0.2.2:4000 whatever the policy (here: deny all). */
static void test_gateway(void **s) {
  (void)s;
  void *b = box_with("{\"allow\":[]}", (uint32_t)HTTP.port);
  vbx_exec_result r;
  double secs;
  char cmd[200];
  int before = srv_requests(&HTTP);
  assert_int_equal(run(b, "wget -q -O- http://10.0.2.2:4000/bytes/123", &r, NULL), 0);
  assert_int_equal(r.stdout_len, 123);
  th_res_free(&r);
  assert_int_equal(srv_requests(&HTTP), before + 1);
  /* the same server by its own port stays denied */
  snprintf(cmd, sizeof cmd, "wget -q -O- http://10.0.2.2:%d/bytes/1", HTTP.port);
  assert_int_not_equal(run(b, cmd, &r, &secs), 0);
  assert_true(secs < 10.0);
  th_res_free(&r);
  assert_int_equal(srv_requests(&HTTP), before + 1);
  free(destroy_and_log(b));
}

static int setup(void **s) {
  (void)s;
  if (g_kvm)
    kt_load();
  else
    qt_load();
  srv_start(&HTTP, SRV_HTTP, NULL);
  srv_start(&HTTP_NAMED, SRV_HTTP, NULL);
  srv_start(&HOLD, SRV_HOLD, NULL);
  srv_start(&DENIED, SRV_HOLD, NULL);
  srv_start(&DNS, SRV_DNS, k_names);
  free(th_log_take());
  return 0;
}

static int teardown(void **s) {
  (void)s;
  srv_stop(&HTTP);
  srv_stop(&HTTP_NAMED);
  srv_stop(&HOLD);
  srv_stop(&DENIED);
  srv_stop(&DNS);
  if (g_kvm)
    kt_unload();
  else
    qt_unload();
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2 || (strcmp(argv[1], "qemu") != 0 && strcmp(argv[1], "kvm") != 0)) {
    fprintf(stderr, "usage: test_network_e2e qemu|kvm\n");
    return 2;
  }
  g_kvm = strcmp(argv[1], "kvm") == 0;
  if (g_kvm)
    kt_require();
  else
    qt_require();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_denies_loopback),
      cmocka_unit_test(test_allow_list),
      cmocka_unit_test(test_connection_cap),
      cmocka_unit_test(test_rate_limit),
      cmocka_unit_test(test_gateway),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
