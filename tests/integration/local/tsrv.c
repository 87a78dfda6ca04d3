/*
 * tests/integration/local/tsrv.c - see tsrv.h.
 */
#include "tsrv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

struct tconn {
  tsrv *s;
  int fd;
};

static void send_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    c += w;
    n -= (size_t)w;
  }
}

/* One line (without '\n', at most cap - 1 bytes) within 20 s; else "". */
static void read_line(int fd, char *line, size_t cap) {
  size_t n = 0;
  while (n + 1 < cap) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 20000) <= 0 || recv(fd, line + n, 1, 0) != 1) break;
    if (line[n] == '\n') break;
    n++;
  }
  line[n] = '\0';
}

static void serve(tsrv *s, int fd) {
  char line[128], buf[65536];
  read_line(fd, line, sizeof line);
  long n;
  if (strncmp(line, "GET ", 4) == 0) {
    /* the rest of the request: closing with unread bytes would be a RST */
    for (size_t len = 1; len > 0;) { /* header lines up to an empty one */
      len = 0;
      while (recv(fd, buf, 1, 0) == 1 && buf[0] != '\n')
        len += buf[0] != '\r';
    }
    char head[256];
    int k = snprintf(head, sizeof head,
                     "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n",
                     strlen(TSRV_HTTP_BODY));
    send_all(fd, head, (size_t)k);
    send_all(fd, TSRV_HTTP_BODY, strlen(TSRV_HTTP_BODY));
  } else if (sscanf(line, "ECHO %ld", &n) == 1) {
    while (n > 0) {
      ssize_t r = recv(fd, buf, n < (long)sizeof buf ? (size_t)n : sizeof buf, 0);
      if (r <= 0) break;
      send_all(fd, buf, (size_t)r);
      n -= r;
      __atomic_add_fetch(&s->echoed, r, __ATOMIC_RELAXED);
    }
  } else if (sscanf(line, "FLOOD %ld", &n) == 1) {
    memset(buf, 'f', sizeof buf);
    for (long left = n; left > 0; left -= (long)sizeof buf)
      send_all(fd, buf, left < (long)sizeof buf ? (size_t)left : sizeof buf);
  } else if (strcmp(line, "HELLO") == 0) {
    send_all(fd, "hello\n", 6);
  } else if (strcmp(line, "WAIT") == 0) {
    __atomic_add_fetch(&s->waiting, 1, __ATOMIC_SEQ_CST);
    while (recv(fd, buf, sizeof buf, 0) > 0)
      ;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    __atomic_store_n(&s->last_closed_us, (long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
                     __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&s->closed, 1, __ATOMIC_SEQ_CST);
  } else if (sscanf(line, "HOLD %ld", &n) == 1) {
    __atomic_add_fetch(&s->holding, 1, __ATOMIC_SEQ_CST);
    tsrv_wait(&s->holding, (int)n, 20000);
    char out[32];
    int k = snprintf(out, sizeof out, "go %d\n", __atomic_load_n(&s->holding, __ATOMIC_SEQ_CST));
    send_all(fd, out, (size_t)k);
  }
}

static void *conn_main(void *arg) {
  struct tconn *c = arg;
  serve(c->s, c->fd);
  close(c->fd);
  __atomic_sub_fetch(&c->s->open, 1, __ATOMIC_SEQ_CST);
  free(c);
  return NULL;
}

static void *accept_main(void *arg) {
  tsrv *s = arg;
  while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
    struct pollfd p = {s->fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) continue;
    struct tconn *c = malloc(sizeof *c);
    assert_non_null(c);
    c->s = s, c->fd = fd;
    int open = __atomic_add_fetch(&s->open, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&s->total, 1, __ATOMIC_SEQ_CST);
    int peak = __atomic_load_n(&s->peak, __ATOMIC_SEQ_CST);
    while (open > peak && !__atomic_compare_exchange_n(&s->peak, &peak, open, 0, __ATOMIC_SEQ_CST,
                                                       __ATOMIC_SEQ_CST))
      ;
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    assert_int_equal(pthread_create(&t, &at, conn_main, c), 0);
    pthread_attr_destroy(&at);
  }
  return NULL;
}

void tsrv_start(tsrv *s) {
  memset(s, 0, sizeof *s);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(s->fd >= 0);
  assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(s->fd, 128), 0);
  assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sa, &len), 0);
  s->port = ntohs(sa.sin_port);
  assert_int_equal(pthread_create(&s->thread, NULL, accept_main, s), 0);
}

void tsrv_stop(tsrv *s) {
  __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
  pthread_join(s->thread, NULL);
  close(s->fd);
}

int tsrv_wait(const int *counter, int want, int ms) {
  for (int i = 0; i <= ms / 10; i++) {
    if (__atomic_load_n(counter, __ATOMIC_SEQ_CST) == want) return 1;
    usleep(10000);
  }
  return __atomic_load_n(counter, __ATOMIC_SEQ_CST) == want;
}

uint16_t tsrv_free_port(void) {
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
  close(fd);
  return ntohs(sa.sin_port);
}
