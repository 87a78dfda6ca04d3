/*
 * tests/unit/plugin/test_http.c - host->http_request against a loopback
 * HTTP server run by the test (127.0.0.1, ephemeral port, one thread per
 * connection): buffered and streamed bodies, the body bound, the idle
 * timeout, cancellation, deadlines, Retry-After and Content-Type.
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
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugin/call.h"
#include "plugin/registry.h"

static const vbx_host_services *H;
static int listen_fd = -1, port;
static volatile int stopping;
static pthread_t acceptor;
static pthread_mutex_t req_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_request[8192];

static void send_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

static void sends(int fd, const char *s) { send_all(fd, s, strlen(s)); }

static void ms_sleep(int ms) { usleep((useconds_t)ms * 1000); }

/* Wait until the client hangs up (or 5 s pass). */
static void wait_hangup(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  char b[256];
  for (int i = 0; i < 50; i++)
    if (poll(&p, 1, 100) > 0 && recv(fd, b, sizeof(b), 0) <= 0) return;
}

static void *serve(void *arg) {
  int fd = (int)(intptr_t)arg;
  char req[8192];
  size_t len = 0;
  /* Headers, then the body by Content-Length. */
  while (len < sizeof(req) - 1) {
    ssize_t r = recv(fd, req + len, sizeof(req) - 1 - len, 0);
    if (r <= 0) break;
    len += (size_t)r;
    req[len] = '\0';
    char *end = strstr(req, "\r\n\r\n");
    if (end) {
      char *cl = strcasestr(req, "Content-Length:");
      size_t want = cl ? (size_t)atoi(cl + 15) : 0;
      if (len >= (size_t)(end + 4 - req) + want) break;
    }
  }
  req[len] = '\0';
  pthread_mutex_lock(&req_lock);
  snprintf(last_request, sizeof(last_request), "%s", req);
  pthread_mutex_unlock(&req_lock);
  if (strstr(req, " /buffered ")) {
    sends(fd,
          "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
          "Content-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}");
  } else if (strstr(req, " /chunked ")) {
    sends(fd,
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
          "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    const char *parts[] = {"data: one\n\n", "data: two\n\n", "data: three\n\n"};
    for (int i = 0; i < 3; i++) {
      char head[32];
      snprintf(head, sizeof(head), "%zx\r\n", strlen(parts[i]));
      sends(fd, head);
      sends(fd, parts[i]);
      sends(fd, "\r\n");
      ms_sleep(60);
    }
    sends(fd, "0\r\n\r\n");
  } else if (strstr(req, " /big ")) {
    sends(fd, "HTTP/1.1 200 OK\r\nContent-Length: 65536\r\nConnection: close\r\n\r\n");
    char chunk[4096];
    memset(chunk, 'x', sizeof(chunk));
    for (int i = 0; i < 16; i++)
      send_all(fd, chunk, sizeof(chunk));
  } else if (strstr(req, " /stall ")) {
    sends(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nabc");
    wait_hangup(fd);
  } else if (strstr(req, " /retry ")) {
    sends(fd,
          "HTTP/1.1 429 Too Many Requests\r\nretry-after:  7 \r\nContent-Length: 4\r\n"
          "Connection: close\r\n\r\nslow");
  } else {
    sends(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  }
  close(fd);
  return NULL;
}

static void *accept_loop(void *arg) {
  (void)arg;
  while (!stopping) {
    struct pollfd p = {listen_fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0) continue;
    pthread_t t;
    if (pthread_create(&t, NULL, serve, (void *)(intptr_t)fd) == 0)
      pthread_detach(t);
    else
      close(fd);
  }
  return NULL;
}

static int init(const vbx_host_services *h, const vbx_registrar *r, void **st) {
  (void)r;
  H = h;
  *st = NULL;
  return 0;
}

VBX_PLUGIN_DEFINE("http-test", "0.0.1", "MIT", "http test plugin", init, NULL)

static vbx__registry *REG;

static int setup(void **s) {
  (void)s;
  const char *proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                           "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
  for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
    unsetenv(proxies[i]);
  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd < 0) {
    printf("skipped: no sockets: cannot create a loopback server\n");
    exit(77);
  }
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof(a);
  if (bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(listen_fd, 16) != 0 ||
      getsockname(listen_fd, (struct sockaddr *)&a, &alen) != 0) {
    printf("skipped: cannot listen on 127.0.0.1\n");
    exit(77);
  }
  port = ntohs(a.sin_port);
  if (pthread_create(&acceptor, NULL, accept_loop, NULL) != 0) return -1;
  vbx__logger log = {VBX_LOG_WARN, NULL, NULL, 0};
  vbx_error err = {0};
  if (vbx__registry_new(&log, NULL, &REG)) return -1;
  return vbx__registry_load_entry(REG, vbx_plugin_entry_v1, "in-process", &err);
}

static int teardown(void **s) {
  (void)s;
  stopping = 1;
  pthread_join(acceptor, NULL);
  close(listen_fd);
  vbx__registry_free(REG);
  return 0;
}

static void url(char *buf, size_t n, const char *path) {
  snprintf(buf, n, "http://127.0.0.1:%d%s", port, path);
}

static vbx_http_request request(const char *u) {
  vbx_http_request rq;
  memset(&rq, 0, sizeof(rq));
  rq.struct_size = sizeof(rq);
  rq.method = "GET";
  rq.url = u;
  return rq;
}

static vbx_http_response response(void) {
  vbx_http_response rs;
  memset(&rs, 0, sizeof(rs));
  rs.struct_size = sizeof(rs);
  return rs;
}

static void free_response(vbx_http_response *rs) {
  H->free(rs->body);
  H->free(rs->retry_after);
  H->free(rs->content_type);
}

static void test_buffered_post(void **s) {
  (void)s;
  char u[128];
  url(u, sizeof(u), "/buffered");
  const char *headers[] = {"X-Test: 1", "Content-Type: application/json", NULL};
  vbx_http_request rq = request(u);
  rq.method = "POST";
  rq.headers = headers;
  rq.body = "{\"q\":\"hello\"}";
  rq.body_len = strlen(rq.body);
  vbx_http_response rs = response();
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  int rc = H->http_request(H->ctx, &rq, &rs, &c);
  if (rc) fail_msg("%s", c.message);
  assert_int_equal(rs.status, 200);
  assert_int_equal(rs.body_len, 11);
  assert_string_equal(rs.body, "{\"ok\":true}");
  assert_string_equal(rs.content_type, "application/json; charset=utf-8");
  assert_null(rs.retry_after);
  pthread_mutex_lock(&req_lock);
  assert_non_null(strstr(last_request, "POST /buffered HTTP/1.1"));
  assert_non_null(strstr(last_request, "X-Test: 1"));
  assert_non_null(strstr(last_request, "{\"q\":\"hello\"}"));
  pthread_mutex_unlock(&req_lock);
  free_response(&rs);
}

typedef struct chunks {
  int calls;
  char text[256];
} chunks;

static int collect(void *user, const char *data, size_t len) {
  chunks *ch = user;
  ch->calls++;
  size_t n = strlen(ch->text);
  snprintf(ch->text + n, sizeof(ch->text) - n, "%.*s", (int)len, data);
  return 0;
}

static void test_streamed(void **s) {
  (void)s;
  char u[128];
  url(u, sizeof(u), "/chunked");
  chunks ch;
  memset(&ch, 0, sizeof(ch));
  vbx_http_request rq = request(u);
  rq.on_data = collect;
  rq.user = &ch;
  vbx_http_response rs = response();
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  int rc = H->http_request(H->ctx, &rq, &rs, &c);
  if (rc) fail_msg("%s", c.message);
  assert_int_equal(rs.status, 200);
  assert_null(rs.body);
  assert_string_equal(rs.content_type, "text/event-stream");
  assert_string_equal(ch.text, "data: one\n\ndata: two\n\ndata: three\n\n");
  assert_true(ch.calls >= 3); /* chunks arrive 60 ms apart */
  free_response(&rs);
}

static int refuse(void *user, const char *data, size_t len) {
  (void)user;
  (void)data;
  (void)len;
  return VBX_E_LIMIT;
}

static void test_stream_abort(void **s) {
  (void)s;
  char u[128];
  url(u, sizeof(u), "/chunked");
  vbx_http_request rq = request(u);
  rq.on_data = refuse;
  vbx_http_response rs = response();
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  assert_int_equal(H->http_request(H->ctx, &rq, &rs, &c), VBX_E_LIMIT);
  assert_non_null(strstr(c.message, "on_data"));
  free_response(&rs);
}

static void test_oversized(void **s) {
  (void)s;
  char u[128];
  url(u, sizeof(u), "/big");
  vbx_http_request rq = request(u);
  rq.max_response_bytes = 1000;
  vbx_http_response rs = response();
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  assert_int_equal(H->http_request(H->ctx, &rq, &rs, &c), VBX_E_TOOBIG);
  assert_non_null(strstr(c.message, "exceeds 1000 bytes"));
  assert_null(rs.body);
  rq.max_response_bytes = 65536; /* exactly fits */
  int rc = H->http_request(H->ctx, &rq, &rs, &c);
  if (rc) fail_msg("%s", c.message);
  assert_int_equal(rs.body_len, 65536);
  free_response(&rs);
}

static void test_idle_timeout(void **s) {
  (void)s;
  char u[128];
  url(u, sizeof(u), "/stall");
  vbx_http_request rq = request(u);
  rq.idle_timeout_ms = 300;
  vbx_http_response rs = response();
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  uint64_t t0 = vbx__now_ns();
  assert_int_equal(H->http_request(H->ctx, &rq, &rs, &c), VBX_E_TIMEOUT);
  uint64_t ms = (vbx__now_ns() - t0) / 1000000u;
  assert_non_null(strstr(c.message, "idle timeout"));
  assert_true(ms >= 250 && ms < 4000);
  assert_null(rs.body);
}

static vbx__cancel CANCEL;

static void *cancel_later(void *arg) {
  (void)arg;
  ms_sleep(200);
  vbx__cancel_set(&CANCEL);
  return NULL;
}

static void test_cancel(void **s) {
  (void)s;
  char u[128];
  url(u, sizeof(u), "/stall");
  vbx_http_request rq = request(u);
  vbx_http_response rs = response();
  vbx_call c;
  atomic_init(&CANCEL.cancelled, 0);
  vbx__call_init(&c, NULL, &CANCEL, 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, cancel_later, NULL), 0);
  uint64_t t0 = vbx__now_ns();
  assert_int_equal(H->http_request(H->ctx, &rq, &rs, &c), VBX_E_CANCELLED);
  uint64_t ms = (vbx__now_ns() - t0) / 1000000u;
  pthread_join(t, NULL);
  assert_true(ms >= 150 && ms < 4000);
  /* An already-cancelled call does not even connect. */
  assert_int_equal(H->http_request(H->ctx, &rq, &rs, &c), VBX_E_CANCELLED);
}

static void test_deadline(void **s) {
  (void)s;
  char u[128];
  url(u, sizeof(u), "/stall");
  vbx_http_request rq = request(u);
  vbx_http_response rs = response();
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, vbx__now_ns() + 250ull * 1000000ull);
  assert_int_equal(H->http_request(H->ctx, &rq, &rs, &c), VBX_E_TIMEOUT);
}

static void test_retry_after(void **s) {
  (void)s;
  char u[128];
  url(u, sizeof(u), "/retry");
  vbx_http_request rq = request(u);
  vbx_http_response rs = response();
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  int rc = H->http_request(H->ctx, &rq, &rs, &c);
  if (rc) fail_msg("%s", c.message);
  assert_int_equal(rs.status, 429);
  assert_string_equal(rs.retry_after, "7");
  assert_string_equal(rs.body, "slow");
  assert_null(rs.content_type);
  free_response(&rs);
}

static void test_transport_errors(void **s) {
  (void)s;
  /* A port nobody listens on: bind, read the port, close. */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof(a);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  getsockname(fd, (struct sockaddr *)&a, &alen);
  close(fd);
  char u[128];
  snprintf(u, sizeof(u), "http://127.0.0.1:%d/x?key=secret", ntohs(a.sin_port));
  vbx_http_request rq = request(u);
  vbx_http_response rs = response();
  vbx_call c;
  vbx__call_init(&c, NULL, NULL, 0);
  assert_int_equal(H->http_request(H->ctx, &rq, &rs, &c), VBX_E_HTTP);
  assert_non_null(strstr(c.message, "GET http://127.0.0.1:"));
  assert_null(strstr(c.message, "secret")); /* queries stay out of messages */
  rq.url = "file:///etc/passwd";
  assert_int_equal(H->http_request(H->ctx, &rq, &rs, &c), VBX_E_HTTP);
  rq.url = NULL;
  assert_int_equal(H->http_request(H->ctx, &rq, &rs, &c), VBX_E_INVAL);
  rq.url = u;
  rq.method = "get me";
  assert_int_equal(H->http_request(H->ctx, &rq, &rs, &c), VBX_E_INVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_buffered_post),    cmocka_unit_test(test_streamed),
      cmocka_unit_test(test_stream_abort),     cmocka_unit_test(test_oversized),
      cmocka_unit_test(test_idle_timeout),     cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_deadline),         cmocka_unit_test(test_retry_after),
      cmocka_unit_test(test_transport_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
