/*
 * tests/integration/gateway/raw.c - see raw.h.
 */
#include "raw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

uint64_t raw_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int raw_connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int raw_send(int fd, const char *d, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, d, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    d += w;
    n -= (size_t)w;
  }
  return 0;
}

/* One poll + recv into b, waiting until `until` at most. Returns 0 when
 * the time is up, 1 otherwise. */
static int recv_some(int fd, raw_buf *b, uint64_t until) {
  uint64_t now = raw_now_ns();
  if (now >= until) return 0;
  struct pollfd p = {fd, POLLIN, 0};
  int n = poll(&p, 1, (int)((until - now) / 1000000u) + 1);
  if (n < 0 && errno != EINTR) {
    b->closed = 1;
    return 1;
  }
  if (n <= 0) return 1;
  char tmp[16384];
  ssize_t k = recv(fd, tmp, sizeof(tmp), 0);
  if (k < 0 && errno == EINTR) return 1;
  if (k <= 0) {
    b->closed = 1;
    return 1;
  }
  size_t room = RAW_MAX - b->len, take = (size_t)k < room ? (size_t)k : room;
  memcpy(b->data + b->len, tmp, take);
  b->len += take;
  b->data[b->len] = 0;
  return 1;
}

int raw_recv_until(int fd, raw_buf *b, const char *needle, unsigned timeout_ms) {
  uint64_t until = raw_now_ns() + (uint64_t)timeout_ms * 1000000u;
  for (;;) {
    if (needle && strstr(b->data, needle)) return 1;
    if (b->closed) return needle == NULL;
    if (!recv_some(fd, b, until)) return 0;
  }
}

int raw_recv_response(int fd, raw_buf *b, unsigned timeout_ms) {
  uint64_t until = raw_now_ns() + (uint64_t)timeout_ms * 1000000u;
  size_t start = b->len;
  char *end;
  while ((end = strstr(b->data + start, "\r\n\r\n")) == NULL)
    if (b->closed || !recv_some(fd, b, until)) return 0;
  char *head = b->data + start, *cl = strcasestr(head, "\r\ncontent-length:");
  if (cl == NULL || cl > end) return 0;
  size_t need = (size_t)(end + 4 - b->data) + strtoul(cl + 17, NULL, 10);
  if (need > RAW_MAX) return 0;
  while (b->len < need)
    if (b->closed || !recv_some(fd, b, until)) return 0;
  return (int)strtol(head + 9, NULL, 10);
}

char *raw_post(const char *token, const char *body) {
  size_t blen = strlen(body), cap = blen + strlen(token) + 256;
  char *r = malloc(cap);
  if (r == NULL) return NULL;
  snprintf(r, cap,
           "POST /v1/messages HTTP/1.1\r\nHost: gateway\r\nx-api-key: %s\r\n"
           "anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
           "content-length: %zu\r\n\r\n%s",
           token, blen, body);
  return r;
}
