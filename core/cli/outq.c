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
#include <sys/uio.h>
#include <unistd.h>

#include "util/clock.h"

void vbx__outq_init(vbx__outq *q, int fd) {
  memset(q, 0, sizeof(*q));
  q->fd = fd;
  struct stat st;
  int regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  q->chunk = VBX_OUTQ_CHUNK;
#ifdef RWF_NOWAIT
  q->nowait = !regular; /* until the kernel refuses it for fd */
#else
  if (!regular) q->chunk = PIPE_BUF;
#endif
}

char *vbx__outq_reserve(vbx__outq *q, size_t n) {
  if (q->broken) return NULL;
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
      return NULL;
    }
    q->buf = b;
    q->cap = cap;
  }
  return q->buf + q->len;
}

void vbx__outq_commit(vbx__outq *q, size_t n) { q->len += n; }

void vbx__outq_push(vbx__outq *q, const char *data, size_t n) {
  if (n == 0) return;
  char *d = vbx__outq_reserve(q, n);
  if (d == NULL) return;
  memcpy(d, data, n);
  vbx__outq_commit(q, n);
}

size_t vbx__outq_pending(const vbx__outq *q) { return q->len - q->off; }

/* One write of at most n bytes at the queue's head that does not block:
 * RWF_NOWAIT while the kernel takes it for q->fd (from the first refusal
 * on, writes of at most PIPE_BUF). A write(2)-like result. */
static ssize_t write_head(vbx__outq *q, size_t n) {
#ifdef RWF_NOWAIT
  if (q->nowait) {
    struct iovec v = {q->buf + q->off, n};
    ssize_t w = pwritev2(q->fd, &v, 1, -1, RWF_NOWAIT);
    if (w >= 0 || (errno != EOPNOTSUPP && errno != EINVAL && errno != ENOSYS)) return w;
    q->nowait = 0; /* a terminal, an old kernel */
    q->chunk = PIPE_BUF;
    if (n > q->chunk) n = q->chunk;
  }
#endif
  return write(q->fd, q->buf + q->off, n);
}

int vbx__outq_write_some(vbx__outq *q) {
  size_t n = vbx__outq_pending(q);
  if (q->broken) return -1;
  if (n == 0) return 0;
  if (n > q->chunk) n = q->chunk;
  ssize_t w = write_head(q, n);
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
