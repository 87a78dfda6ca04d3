/*
 * tests/integration/gateway/drip.c - see drip.h.
 */
#include "drip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DRIP_MAX 256

static const char prefix[] = "GET /v1/models HTTP/1.1\r\nHost: gateway\r\nx-drip: ";

typedef struct conn {
  int fd;      /* -1: none */
  size_t sent; /* bytes of the header block sent */
} conn;

struct drip {
  uint16_t port;
  unsigned n, interval_ms;
  int reconnect;
  int stop_pipe[2];
  pthread_t th;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC; broadcast on every cut and byte */
  unsigned opened, cut;
  uint64_t bytes;
  uint64_t cut_ns[4096]; /* time of each cut, the first 4096 */
  conn c[DRIP_MAX];
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Non-blocking connect: the attacker never waits on a full backlog. */
static int open_one(drip *d) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(d->port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  pthread_mutex_lock(&d->mu);
  d->opened++;
  pthread_mutex_unlock(&d->mu);
  return fd;
}

static void on_cut(drip *d, conn *c) {
  close(c->fd);
  c->fd = -1;
  pthread_mutex_lock(&d->mu);
  if (d->cut < sizeof(d->cut_ns) / sizeof(d->cut_ns[0])) d->cut_ns[d->cut] = now_ns();
  d->cut++;
  pthread_cond_broadcast(&d->cv);
  pthread_mutex_unlock(&d->mu);
  if (d->reconnect) {
    c->fd = open_one(d);
    c->sent = 0;
  }
}

/* One more byte of the header block; it never ends. */
static void drip_one(drip *d, conn *c) {
  char ch = c->sent < sizeof(prefix) - 1 ? prefix[c->sent] : 'a';
  ssize_t w = send(c->fd, &ch, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (w == 1) {
    c->sent++;
    pthread_mutex_lock(&d->mu);
    d->bytes++;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
  }
}

static void *run(void *arg) {
  drip *d = arg;
  struct pollfd p[DRIP_MAX + 1];
  uint64_t next = now_ns();
  for (unsigned i = 0; i < d->n; i++)
    d->c[i].fd = open_one(d);
  for (;;) {
    uint64_t now = now_ns();
    if (now >= next) {
      for (unsigned i = 0; i < d->n; i++)
        if (d->c[i].fd >= 0) drip_one(d, &d->c[i]);
      next = now + (uint64_t)d->interval_ms * 1000000u;
    }
    for (unsigned i = 0; i < d->n; i++)
      p[i] = (struct pollfd){d->c[i].fd, POLLIN | POLLRDHUP, 0};
    p[d->n] = (struct pollfd){d->stop_pipe[0], POLLIN, 0};
    now = now_ns();
    int k = poll(p, d->n + 1, next > now ? (int)((next - now) / 1000000u) + 1 : 0);
    if (k < 0 && errno != EINTR) break;
    if (p[d->n].revents) break;
    for (unsigned i = 0; k > 0 && i < d->n; i++) {
      if (d->c[i].fd < 0 || p[i].revents == 0) continue;
      char buf[4096];
      ssize_t r = recv(d->c[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) ||
          (p[i].revents & (POLLRDHUP | POLLHUP | POLLERR)))
        on_cut(d, &d->c[i]);
    }
  }
  return NULL;
}

drip *drip_start(uint16_t port, unsigned n, unsigned interval_ms, int reconnect) {
  if (n == 0 || n > DRIP_MAX) return NULL;
  drip *d = calloc(1, sizeof(*d));
  if (d == NULL) return NULL;
  d->port = port;
  d->n = n;
  d->interval_ms = interval_ms;
  d->reconnect = reconnect;
  for (unsigned i = 0; i < DRIP_MAX; i++)
    d->c[i].fd = -1;
  pthread_mutex_init(&d->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&d->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (pipe2(d->stop_pipe, O_CLOEXEC) != 0) {
    free(d);
    return NULL;
  }
  if (pthread_create(&d->th, NULL, run, d) != 0) {
    close(d->stop_pipe[0]);
    close(d->stop_pipe[1]);
    free(d);
    return NULL;
  }
  return d;
}

unsigned drip_opened(drip *d) {
  pthread_mutex_lock(&d->mu);
  unsigned r = d->opened;
  pthread_mutex_unlock(&d->mu);
  return r;
}

unsigned drip_cut(drip *d) {
  pthread_mutex_lock(&d->mu);
  unsigned r = d->cut;
  pthread_mutex_unlock(&d->mu);
  return r;
}

uint64_t drip_bytes(drip *d) {
  pthread_mutex_lock(&d->mu);
  uint64_t r = d->bytes;
  pthread_mutex_unlock(&d->mu);
  return r;
}

static struct timespec deadline(unsigned timeout_ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += timeout_ms / 1000;
  ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

int drip_wait_bytes(drip *d, uint64_t bytes, unsigned timeout_ms) {
  struct timespec ts = deadline(timeout_ms);
  pthread_mutex_lock(&d->mu);
  while (d->bytes < bytes)
    if (pthread_cond_timedwait(&d->cv, &d->mu, &ts) != 0) break;
  int r = d->bytes >= bytes;
  pthread_mutex_unlock(&d->mu);
  return r;
}

uint64_t drip_wait_cut(drip *d, unsigned count, unsigned timeout_ms) {
  struct timespec ts = deadline(timeout_ms);
  pthread_mutex_lock(&d->mu);
  while (d->cut < count)
    if (pthread_cond_timedwait(&d->cv, &d->mu, &ts) != 0) break;
  uint64_t r = 0;
  if (d->cut >= count && count > 0 && count <= sizeof(d->cut_ns) / sizeof(d->cut_ns[0]))
    r = d->cut_ns[count - 1];
  pthread_mutex_unlock(&d->mu);
  return r;
}

void drip_stop(drip *d) {
  ssize_t w = write(d->stop_pipe[1], "s", 1);
  (void)w;
  pthread_join(d->th, NULL);
  for (unsigned i = 0; i < d->n; i++)
    if (d->c[i].fd >= 0) close(d->c[i].fd);
  close(d->stop_pipe[0]);
  close(d->stop_pipe[1]);
  pthread_cond_destroy(&d->cv);
  pthread_mutex_destroy(&d->mu);
  free(d);
}
