/*
 * tests/integration/qemu/test_qemu_network.c - the guest's network. A tiny
 * HTTP server of the test listens on the host's 127.0.0.1 (ephemeral
 * port); the box's voidbox-netstack maps the guest's 10.0.2.2 to it. With
 * network and a policy allowing that port, busybox `wget` in the guest
 * prints the exact body (and the server saw the request); with network=0
 * the same fetch fails at once with a nonzero exit and never reaches the
 * server; a missing network helper is refused naming the option. The
 * policy itself is tests/integration/network's.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "qt.h"

#define BODY_LEN 5000

static struct server {
  int ls, port, stop; /* stop: atomic */
  int hits, misses;   /* atomic: requests for the path / for anything else */
  char path[64];
  char body[BODY_LEN];
  pthread_t thread;
} SRV;

static void send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

static void serve_one(int fd) {
  char req[4096] = "";
  size_t got = 0;
  while (got < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 10000) <= 0) return;
    ssize_t n = recv(fd, req + got, sizeof req - 1 - got, 0);
    if (n <= 0) return;
    got += (size_t)n;
    req[got] = '\0';
  }
  char want[128];
  snprintf(want, sizeof want, "GET %s HTTP/1.", SRV.path);
  char head[256];
  if (strncmp(req, want, strlen(want)) == 0) {
    __atomic_add_fetch(&SRV.hits, 1, __ATOMIC_RELAXED);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                     "Content-Length: %d\r\nConnection: close\r\n\r\n",
                     BODY_LEN);
    send_all(fd, head, (size_t)n);
    send_all(fd, SRV.body, BODY_LEN);
  } else {
    __atomic_add_fetch(&SRV.misses, 1, __ATOMIC_RELAXED);
    static const char nf[] =
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    send_all(fd, nf, sizeof nf - 1);
  }
}

static void *serve(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&SRV.stop, __ATOMIC_ACQUIRE)) {
    struct pollfd p = {.fd = SRV.ls, .events = POLLIN};
    if (poll(&p, 1, 100) <= 0) continue;
    int fd = accept4(SRV.ls, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) continue;
    serve_one(fd);
    shutdown(fd, SHUT_WR);
    close(fd);
  }
  return NULL;
}

static void server_start(void) {
  memset(&SRV, 0, sizeof SRV);
  uint8_t rnd[BODY_LEN + 8];
  assert_int_equal(getrandom(rnd, sizeof rnd, 0), (ssize_t)sizeof rnd);
  static const char alpha[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.:/";
  for (int i = 0; i < BODY_LEN; i++)
    SRV.body[i] = i % 64 == 63 ? '\n' : alpha[rnd[i] % (sizeof alpha - 1)];
  snprintf(SRV.path, sizeof SRV.path, "/qtest-%02x%02x%02x%02x.bin", rnd[BODY_LEN],
           rnd[BODY_LEN + 1], rnd[BODY_LEN + 2], rnd[BODY_LEN + 3]);
  SRV.ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(SRV.ls >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(SRV.ls, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(SRV.ls, 8), 0);
  socklen_t sl = sizeof sa;
  assert_int_equal(getsockname(SRV.ls, (struct sockaddr *)&sa, &sl), 0);
  SRV.port = ntohs(sa.sin_port);
  assert_int_equal(pthread_create(&SRV.thread, NULL, serve, NULL), 0);
}

static void server_stop(void) {
  __atomic_store_n(&SRV.stop, 1, __ATOMIC_RELEASE);
  pthread_join(SRV.thread, NULL);
  close(SRV.ls);
}

static int fetch(void *b, vbx_exec_result *r, double *secs) {
  char url[160];
  snprintf(url, sizeof url, "http://10.0.2.2:%d%s", SRV.port, SRV.path);
  const char *argv[] = {"wget", "-q", "-O-", url, NULL};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  double t0 = th_now();
  int rc = th_exec(b, argv, NULL, 0, 60000, r, &call);
  *secs = th_now() - t0;
  if (rc != 0) fail_msg("exec wget: %d %s", rc, call.message);
  return r->exit_code;
}

static void test_network_on(void **s) {
  (void)s;
  char policy[64];
  snprintf(policy, sizeof policy, "{\"allow\":[\"127.0.0.1:%d\"]}", SRV.port);
  th_box_cfg c = {.network = 1, .network_policy = policy};
  void *b = th_box_cfg_box(&c);
  vbx_exec_result r;
  double secs;
  int code = fetch(b, &r, &secs);
  printf("network=1: wget exit %d after %.2f s, %zu bytes, stderr: %s\n", code, secs, r.stdout_len,
         r.stderr_data ? r.stderr_data : "");
  assert_int_equal(code, 0);
  assert_int_equal(r.stdout_len, BODY_LEN);
  assert_memory_equal(r.stdout_data, SRV.body, BODY_LEN);
  assert_false(r.timed_out);
  th_res_free(&r);
  assert_int_equal(__atomic_load_n(&SRV.hits, __ATOMIC_RELAXED), 1);
  /* a path the server does not have: wget reports the 404 */
  char cmd[128];
  snprintf(cmd, sizeof cmd, "wget -q -O- http://10.0.2.2:%d/nothing-here", SRV.port);
  int code404 = th_sh(b, cmd, &r);
  printf("404 fetch: exit %d, stderr: %s\n", code404, r.stderr_data ? r.stderr_data : "");
  assert_int_not_equal(code404, 0);
  th_res_free(&r);
  assert_int_equal(__atomic_load_n(&SRV.misses, __ATOMIC_RELAXED), 1);
  TH.vt->destroy(b);
}

static void test_network_off(void **s) {
  (void)s;
  void *b = th_box(NULL, 0);
  vbx_exec_result r;
  double secs;
  int hits = __atomic_load_n(&SRV.hits, __ATOMIC_RELAXED);
  int misses = __atomic_load_n(&SRV.misses, __ATOMIC_RELAXED);
  int code = fetch(b, &r, &secs);
  printf("network=0: wget exit %d after %.2f s, stderr: %s\n", code, secs,
         r.stderr_data ? r.stderr_data : "");
  assert_int_not_equal(code, 0);
  assert_false(r.timed_out);
  assert_int_equal(r.stdout_len, 0);
  assert_true(secs < 15.0);
  th_res_free(&r);
  /* no network device: loopback (and the kernel's sit0 tunnel) only */
  assert_int_equal(th_sh(b, "ls /sys/class/net", &r), 0);
  assert_non_null(strstr(r.stdout_data, "lo\n"));
  assert_null(strstr(r.stdout_data, "eth"));
  th_res_free(&r);
  assert_int_equal(__atomic_load_n(&SRV.hits, __ATOMIC_RELAXED), hits);
  assert_int_equal(__atomic_load_n(&SRV.misses, __ATOMIC_RELAXED), misses);
  TH.vt->destroy(b);
}

static void test_netstack_missing(void **s) {
  (void)s;
  th_box_cfg c = {.network = 1, .opts_json = "\"netstack\":\"/nonexistent/voidbox-netstack\""};
  vbx_call call;
  void *b = NULL;
  int rc = th_box_try(&c, &call, &b);
  assert_int_equal(rc, VBX_E_NOTFOUND);
  assert_null(b);
  assert_string_equal(call.field, "netstack");
  assert_non_null(strstr(call.message, "/nonexistent/voidbox-netstack is not an executable file"));
}

static int setup(void **s) {
  (void)s;
  qt_load();
  server_start();
  return 0;
}
static int teardown(void **s) {
  (void)s;
  server_stop();
  qt_unload();
  return 0;
}

int main(void) {
  qt_require();
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_network_on),
                                     cmocka_unit_test(test_network_off),
                                     cmocka_unit_test(test_netstack_missing)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
