/*
 * netstack/link.c - the length-prefixed frame stream to the guest
 * (link.h).
 */
#include "link.h"

#include "be.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int ns_link_init(ns_link *l, int fd) {
  memset(l, 0, sizeof *l);
  l->fd = fd;
  l->out = malloc(NS_LINK_OUT_MAX);
  if (l->out == NULL) return -1;
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  return 0;
}

void ns_link_fini(ns_link *l) {
  if (l->fd >= 0) close(l->fd);
  l->fd = -1;
  free(l->out);
  l->out = NULL;
}

static int ended(ns_link *l, const char *why) {
  if (l->why[0] == '\0') snprintf(l->why, sizeof l->why, "%s", why);
  return -1;
}

int ns_link_read(ns_link *l, ns_link_frame_fn fn, void *user) {
  for (int round = 0; round < 64; round++) {
    ssize_t r = read(l->fd, l->in + l->in_len, sizeof l->in - l->in_len);
    if (r == 0) return ended(l, "the guest side closed the link");
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) return 0;
      char m[100];
      snprintf(m, sizeof m, "read: %s", strerror(errno));
      return ended(l, m);
    }
    l->in_len += (size_t)r;
    size_t off = 0;
    while (l->in_len - off >= 4) {
      const uint8_t *h = l->in + off;
      uint32_t n = ns_rd32(h);
      if (n == 0 || n > NS_FRAME_MAX) {
        char m[100];
        snprintf(m, sizeof m, "the guest side sent a frame length of %u (1..%u)", n, NS_FRAME_MAX);
        return ended(l, m);
      }
      if (l->in_len - off - 4 < n) break;
      fn(user, l->in + off + 4, n);
      off += 4 + n;
    }
    memmove(l->in, l->in + off, l->in_len - off);
    l->in_len -= off;
  }
  return 0;
}

void ns_link_send(ns_link *l, const uint8_t *frame, size_t len) {
  if (len == 0) return;
  if (len > NS_FRAME_MAX || l->fd < 0) {
    l->out_dropped++;
    return;
  }
  if (l->out_off > 0 && l->out_off + l->out_len + 4 + len > NS_LINK_OUT_MAX) {
    memmove(l->out, l->out + l->out_off, l->out_len);
    l->out_off = 0;
  }
  if (l->out_off + l->out_len + 4 + len > NS_LINK_OUT_MAX) {
    l->out_dropped++;
    return;
  }
  uint8_t *p = l->out + l->out_off + l->out_len;
  ns_wr32(p, (uint32_t)len);
  memcpy(p + 4, frame, len);
  l->out_len += 4 + len;
}

int ns_link_flush(ns_link *l) {
  while (l->out_len > 0) {
    ssize_t w = send(l->fd, l->out + l->out_off, l->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EAGAIN || errno == EINTR) return 0;
      char m[100];
      snprintf(m, sizeof m, "write: %s", strerror(errno));
      return ended(l, m);
    }
    l->out_off += (size_t)w;
    l->out_len -= (size_t)w;
  }
  l->out_off = 0;
  return 0;
}
