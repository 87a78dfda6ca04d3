/*
 * tests/integration/network/servers.c - see servers.h.
 */
#include "servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

static void send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

static void http_one(srv *s, int fd) {
  char req[2048] = "";
  size_t got = 0;
  while (got < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 20000) <= 0) return;
    ssize_t n = recv(fd, req + got, sizeof req - 1 - got, 0);
    if (n <= 0) return;
    got += (size_t)n;
    req[got] = '\0';
  }
  unsigned long size = 0;
  if (sscanf(req, "GET /bytes/%lu ", &size) != 1 || size > (64ul << 20)) size = 2;
  __atomic_add_fetch(&s->requests, 1, __ATOMIC_RELAXED);
  char head[256];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 200 OK\r\nContent-Length: %lu\r\nConnection: close\r\n\r\n", size);
  send_all(fd, head, (size_t)n);
  static char chunk[65536];
  if (chunk[0] == '\0') memset(chunk, 'v', sizeof chunk);
  while (size > 0 && !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
    size_t k = size < sizeof chunk ? size : sizeof chunk;
    send_all(fd, chunk, k);
    size -= k;
  }
}

/* A DNS answer for the query q (len bytes) into out: A 127.0.0.1 when the
 * name is ours, else NXDOMAIN. Returns the length, 0 to ignore. */
static size_t dns_answer(srv *s, const uint8_t *q, size_t len, uint8_t *out) {
  if (len < 17 || len > 512) return 0;
  char name[256];
  size_t off = 12, o = 0;
  while (off < len && q[off] != 0 && o < 200) {
    size_t l = q[off++];
    if (off + l > len) return 0;
    if (o) name[o++] = '.';
    memcpy(name + o, q + off, l);
    o += l;
    off += l;
  }
  name[o] = '\0';
  off++;
  if (off + 4 > len) return 0;
  uint16_t qtype = (uint16_t)(q[off] << 8 | q[off + 1]);
  size_t qend = off + 4;
  pthread_mutex_lock(&s->lock);
  size_t used = strlen(s->asked);
  if (used + o + 2 < sizeof s->asked)
    snprintf(s->asked + used, sizeof s->asked - used, "%s\n", name);
  pthread_mutex_unlock(&s->lock);
  __atomic_add_fetch(&s->requests, 1, __ATOMIC_RELAXED);
  int ours = 0;
  for (const char *const *n = s->names; n && *n; n++)
    ours |= strcasecmp(*n, name) == 0;
  memcpy(out, q, qend);
  out[2] = 0x81, out[3] = ours ? 0x80 : 0x83;
  out[6] = 0, out[7] = (ours && qtype == 1) ? 1 : 0;
  out[8] = out[9] = out[10] = out[11] = 0;
  if (!(ours && qtype == 1)) return qend;
  static const uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1};
  memcpy(out + qend, rr, sizeof rr);
  return qend + sizeof rr;
}

static void *serve(void *arg) {
  srv *s = arg;
  while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    if (poll(&p, 1, 50) <= 0) continue;
    if (s->kind == SRV_DNS) {
      uint8_t q[600], out[700];
      struct sockaddr_in from;
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom(s->fd, q, sizeof q, 0, (struct sockaddr *)&from, &fl);
      size_t a = n > 0 ? dns_answer(s, q, (size_t)n, out) : 0;
      if (a > 0) sendto(s->fd, out, a, 0, (struct sockaddr *)&from, fl);
      continue;
    }
    int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) continue;
    __atomic_add_fetch(&s->connections, 1, __ATOMIC_RELAXED);
    if (s->kind == SRV_HOLD && s->n_held < 64) {
      s->held[s->n_held++] = fd;
      continue;
    }
    if (s->kind == SRV_HTTP) http_one(s, fd);
    shutdown(fd, SHUT_WR);
    close(fd);
  }
  return NULL;
}

void srv_start(srv *s, int kind, const char *const *names) {
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->names = names;
  pthread_mutex_init(&s->lock, NULL);
  s->fd = socket(AF_INET, (kind == SRV_DNS ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  assert_true(s->fd >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof sa), 0);
  if (kind != SRV_DNS) assert_int_equal(listen(s->fd, 16), 0);
  socklen_t sl = sizeof sa;
  assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sa, &sl), 0);
  s->port = ntohs(sa.sin_port);
  assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

void srv_stop(srv *s) {
  __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
  pthread_join(s->thread, NULL);
  for (int i = 0; i < s->n_held; i++)
    close(s->held[i]);
  close(s->fd);
  pthread_mutex_destroy(&s->lock);
}

int srv_connections(srv *s) { return __atomic_load_n(&s->connections, __ATOMIC_RELAXED); }
int srv_requests(srv *s) { return __atomic_load_n(&s->requests, __ATOMIC_RELAXED); }

int srv_was_asked(srv *s, const char *name) {
  char want[300];
  snprintf(want, sizeof want, "%s\n", name);
  pthread_mutex_lock(&s->lock);
  int yes = strncmp(s->asked, want, strlen(want)) == 0;
  char pre[302];
  snprintf(pre, sizeof pre, "\n%s", want);
  yes = yes || strstr(s->asked, pre) != NULL;
  pthread_mutex_unlock(&s->lock);
  return yes;
}
