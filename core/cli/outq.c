/*
 * outq.c - a non-blocking output queue drained on POLLOUT (see outq.h).
 */
#include "outq.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/clock.h"

void vbx__outq_init(vbx__outq *q, int fd) {
  memset(q, 0, sizeof(*q));
  q->fd = fd;
  struct stat st;
  q->chunk = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (1u << 20) : PIPE_BUF;
}

void vbx__outq_push(vbx__outq *q, const char *data, size_t n) {
  if (q->broken || n == 0) return;
  if (q->off > 0 && q->off == q->len) q->off = q->len = 0;
  if (q->len + n > q->cap) {
    if (q->off > 0) { /* reclaim the written head first */
      memmove(q->buf, q->buf + q->off, q->len - q->off);
      q->len -= q->off;
      q->off = 0;
    }
    size_t cap = q->cap ? q->cap : 64 * 1024;
    while (cap < q->len + n)
      cap *= 2;
    char *b = cap != q->cap ? realloc(q->buf, cap) : q->buf;
    if (b == NULL) {
      q->failed_alloc = 1;
      return;
    }
    q->buf = b;
    q->cap = cap;
  }
  memcpy(q->buf + q->len, data, n);
  q->len += n;
}

size_t vbx__outq_pending(const vbx__outq *q) { return q->len - q->off; }

int vbx__outq_write_some(vbx__outq *q) {
  size_t n = vbx__outq_pending(q);
  if (q->broken) return -1;
  if (n == 0) return 0;
  if (n > q->chunk) n = q->chunk;
  ssize_t w = write(q->fd, q->buf + q->off, n);
  if (w < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (w <= 0) {
    q->broken = w < 0 ? errno : EIO;
    q->off = q->len = 0;
    return -1;
  }
  q->off += (size_t)w;
  return 0;
}

static long long now_ms(void) { return (long long)(vbx__now_ns() / 1000000u); }

int vbx__outq_drain(vbx__outq *q, int timeout_ms, volatile int *stop) {
  long long end = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
  while (vbx__outq_pending(q) > 0 && !q->broken) {
    if (stop && *stop) return -1;
    int wait = 100;
    if (end >= 0) {
      long long left = end - now_ms();
      if (left <= 0) return -1;
      if (left < wait) wait = (int)left;
    }
    struct pollfd p = {q->fd, POLLOUT, 0};
    int r = poll(&p, 1, wait);
    if (r > 0 && vbx__outq_write_some(q) != 0) return -1;
  }
  return q->broken ? -1 : 0;
}

void vbx__outq_free(vbx__outq *q) {
  free(q->buf);
  memset(q, 0, sizeof(*q));
}
