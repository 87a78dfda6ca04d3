/*
 * tests/integration/gateway/gate_server.c - see gate_server.h.
 */
#include "gate_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
  int gate_pipe[2]; /* gs_open writes a byte: wakes the server's poll */
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC */
  int open, sent2, released_by_open, got_request, finished;
  uint64_t closed_ns; /* the peer closed while the gate was shut */
  unsigned safety_ms;
  const char *ctype, *p1, *p2;
  char url[64];
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

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

/* Wait for the gate, the peer closing, or the safety timeout. Returns 1
 * when part2 should be sent. */
static int hold(gate_server *g, int fd) {
  uint64_t until = now_ns() + (uint64_t)g->safety_ms * 1000000u;
  for (;;) {
    uint64_t now = now_ns();
    if (now >= until) return 1;
    struct pollfd p[2] = {{fd, POLLRDHUP, 0}, {g->gate_pipe[0], POLLIN, 0}};
    int n = poll(p, 2, (int)((until - now) / 1000000u) + 1);
    if (n < 0 && errno != EINTR) return 1;
    if (n <= 0) continue;
    if (p[1].revents & POLLIN) return 1;
    if (p[0].revents & (POLLRDHUP | POLLHUP | POLLERR)) {
      pthread_mutex_lock(&g->mu);
      g->closed_ns = now_ns();
      pthread_cond_broadcast(&g->cv);
      pthread_mutex_unlock(&g->mu);
      return 0;
    }
  }
}

static void *serve(void *arg) {
  gate_server *g = arg;
  struct pollfd p = {g->lfd, POLLIN, 0};
  int fd = -1;
  if (poll(&p, 1, 10000) > 0) fd = accept(g->lfd, NULL, NULL);
  if (fd >= 0 && read_request(fd) == 0) {
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nConnection: close\r\n\r\n", g->ctype);
    send_all(fd, head, (size_t)n);
    send_all(fd, g->p1, strlen(g->p1));
    pthread_mutex_lock(&g->mu);
    g->got_request = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    int send2 = hold(g, fd);
    pthread_mutex_lock(&g->mu);
    g->released_by_open = send2 && g->open;
    g->sent2 = 1;
    pthread_mutex_unlock(&g->mu);
    if (send2) send_all(fd, g->p2, strlen(g->p2));
  }
  if (fd >= 0) {
    shutdown(fd, SHUT_RDWR);
    close(fd);
  }
  pthread_mutex_lock(&g->mu);
  g->finished = 1;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
  return NULL;
}

gate_server *gs_start_held(const char *content_type, const char *part1, const char *part2,
                           unsigned safety_ms) {
  gate_server *g = calloc(1, sizeof(*g));
  struct sockaddr_in a;
  socklen_t al = sizeof(a);
  if (!g) return NULL;
  g->ctype = content_type;
  g->p1 = part1;
  g->p2 = part2;
  g->safety_ms = safety_ms;
  pthread_mutex_init(&g->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&g->cv, &ca);
  pthread_condattr_destroy(&ca);
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  g->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (pipe2(g->gate_pipe, O_CLOEXEC) != 0) {
    if (g->lfd >= 0) close(g->lfd);
    free(g);
    return NULL;
  }
  if (g->lfd < 0 || bind(g->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(g->lfd, 4) ||
      getsockname(g->lfd, (struct sockaddr *)&a, &al) || pthread_create(&g->th, NULL, serve, g)) {
    if (g->lfd >= 0) close(g->lfd);
    close(g->gate_pipe[0]);
    close(g->gate_pipe[1]);
    free(g);
    return NULL;
  }
  snprintf(g->url, sizeof(g->url), "http://127.0.0.1:%u", ntohs(a.sin_port));
  return g;
}

gate_server *gs_start(const char *content_type, const char *part1, const char *part2) {
  return gs_start_held(content_type, part1, part2, 10000);
}

const char *gs_url(const gate_server *g) { return g->url; }

int gs_open(gate_server *g) {
  pthread_mutex_lock(&g->mu);
  int before = !g->sent2;
  g->open = 1;
  pthread_mutex_unlock(&g->mu);
  ssize_t w = write(g->gate_pipe[1], "o", 1);
  (void)w;
  return before;
}

/* Wait on g->cv until *flag is non-zero, the server finished, or timeout. */
static void wait_for(gate_server *g, const int *flag, const uint64_t *flag64, unsigned timeout_ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += timeout_ms / 1000;
  ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  while (!(flag ? *flag : *flag64 != 0) && !g->finished)
    if (pthread_cond_timedwait(&g->cv, &g->mu, &ts) != 0) break;
}

int gs_wait_request(gate_server *g, unsigned timeout_ms) {
  pthread_mutex_lock(&g->mu);
  wait_for(g, &g->got_request, NULL, timeout_ms);
  int r = g->got_request;
  pthread_mutex_unlock(&g->mu);
  return r;
}

uint64_t gs_wait_closed(gate_server *g, unsigned timeout_ms) {
  pthread_mutex_lock(&g->mu);
  wait_for(g, NULL, &g->closed_ns, timeout_ms);
  uint64_t r = g->closed_ns;
  pthread_mutex_unlock(&g->mu);
  return r;
}

int gs_finish(gate_server *g) {
  pthread_join(g->th, NULL);
  int r = g->released_by_open;
  close(g->lfd);
  close(g->gate_pipe[0]);
  close(g->gate_pipe[1]);
  pthread_cond_destroy(&g->cv);
  pthread_mutex_destroy(&g->mu);
  free(g);
  return r;
}
