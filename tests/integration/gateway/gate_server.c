/*
 * tests/integration/gateway/gate_server.c - see gate_server.h.
 */
#include "gate_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct gate_server {
  int lfd;
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int open, sent2, released_by_open;
  const char *ctype, *p1, *p2;
  char url[64];
};

static void send_all(int fd, const char *d, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, d, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    d += w;
    n -= (size_t)w;
  }
}

/* Read headers and a Content-Length body (answering Expect: 100-continue). */
static int read_request(int fd) {
  static char buf[1 << 20];
  size_t len = 0, need = 0;
  char *end = NULL;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 10000) <= 0) return -1;
    ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
    if (n <= 0) return -1;
    len += (size_t)n;
    buf[len] = 0;
    if (!end && (end = strstr(buf, "\r\n\r\n")) != NULL) {
      char *cl = strcasestr(buf, "\r\ncontent-length:");
      size_t blen = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
      need = (size_t)(end - buf) + 4 + blen;
      if (need >= sizeof(buf)) return -1;
      if (strcasestr(buf, "\r\nexpect: 100-continue") && len < need)
        send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    }
    if (end && len >= need) return 0;
  }
}

static void *serve(void *arg) {
  gate_server *g = arg;
  struct pollfd p = {g->lfd, POLLIN, 0};
  if (poll(&p, 1, 10000) <= 0) return NULL;
  int fd = accept(g->lfd, NULL, NULL);
  if (fd < 0) return NULL;
  if (read_request(fd) == 0) {
    char head[256];
    int n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nConnection: close\r\n\r\n",
                     g->ctype);
    send_all(fd, head, (size_t)n);
    send_all(fd, g->p1, strlen(g->p1));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    pthread_mutex_lock(&g->mu);
    while (!g->open && pthread_cond_timedwait(&g->cv, &g->mu, &ts) == 0) {
    }
    g->released_by_open = g->open;
    g->sent2 = 1;
    pthread_mutex_unlock(&g->mu);
    send_all(fd, g->p2, strlen(g->p2));
  }
  shutdown(fd, SHUT_RDWR);
  close(fd);
  return NULL;
}

gate_server *gs_start(const char *content_type, const char *part1, const char *part2) {
  gate_server *g = calloc(1, sizeof(*g));
  struct sockaddr_in a;
  socklen_t al = sizeof(a);
  if (!g) return NULL;
  g->ctype = content_type;
  g->p1 = part1;
  g->p2 = part2;
  pthread_mutex_init(&g->mu, NULL);
  pthread_cond_init(&g->cv, NULL);
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  g->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (g->lfd < 0 || bind(g->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(g->lfd, 4) ||
      getsockname(g->lfd, (struct sockaddr *)&a, &al) || pthread_create(&g->th, NULL, serve, g)) {
    if (g->lfd >= 0) close(g->lfd);
    free(g);
    return NULL;
  }
  snprintf(g->url, sizeof(g->url), "http://127.0.0.1:%u", ntohs(a.sin_port));
  return g;
}

const char *gs_url(const gate_server *g) { return g->url; }

int gs_open(gate_server *g) {
  pthread_mutex_lock(&g->mu);
  int before = !g->sent2;
  g->open = 1;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
  return before;
}

int gs_finish(gate_server *g) {
  pthread_join(g->th, NULL);
  int r = g->released_by_open;
  close(g->lfd);
  pthread_cond_destroy(&g->cv);
  pthread_mutex_destroy(&g->mu);
  free(g);
  return r;
}
