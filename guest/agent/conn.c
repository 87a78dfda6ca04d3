/*
 * guest/agent/conn.c - one client connection as the request handlers see
 * it: sending frames (one writer at a time), its reference count, and the
 * table of live requests by id. The reader loop that fills the table is
 * serve.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "agent.h"
#include "voidbox/errors.h"

/* Write the n buffers of iov (advanced in place) to c->fd. 0 or VBX_E_IO. */
static int write_all(struct vbx__conn *c, struct iovec *iov, int n) {
  while (n > 0) {
    ssize_t w = writev(c->fd, iov, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return VBX_E_IO;
    size_t left = (size_t)w;
    while (n > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      iov++, n--;
    }
    if (n > 0) {
      iov->iov_base = (char *)iov->iov_base + left;
      iov->iov_len -= left;
    }
  }
  return 0;
}

/* write_all under wlock; a failure marks c broken. 0 or VBX_E_IO. */
static int send_iov(struct vbx__conn *c, struct iovec *iov, int n) {
  int rc = VBX_E_IO;
  pthread_mutex_lock(&c->wlock);
  if (!c->broken) {
    rc = write_all(c, iov, n);
    if (rc != 0) c->broken = 1;
  }
  pthread_mutex_unlock(&c->wlock);
  return rc;
}

int vbx__conn_send(struct vbx__conn *c, const struct vbx_proto_buf *b) {
  struct iovec iov = {b->data, b->len};
  return send_iov(c, &iov, 1);
}

int vbx__conn_send_data(struct vbx__conn *c, unsigned type, uint32_t id, uint64_t off,
                        const void *data, uint32_t len) {
  uint8_t hdr[VBX_PROTO_DATA_HEADER_SIZE];
  int rc = vbx_proto_data_header(hdr, type, id, off, len);
  if (rc != 0) return rc;
  struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)data, len}};
  return send_iov(c, iov, 2);
}

int vbx__conn_splice_data(struct vbx__conn *c, unsigned type, uint32_t id, uint64_t off, int fd,
                          uint32_t len, uint8_t *buf, size_t cap) {
  uint8_t hdr[VBX_PROTO_DATA_HEADER_SIZE];
  int rc = vbx_proto_data_header(hdr, type, id, off, len);
  if (rc != 0) return rc;
  size_t left = len;
  pthread_mutex_lock(&c->wlock);
  if (c->splice == 0) { /* virtio-serial ports and vsock are copied to */
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    c->splice =
        getsockname(c->fd, (struct sockaddr *)&sa, &sl) == 0 && sa.ss_family == AF_UNIX ? 1 : -1;
  }
  rc = c->broken ? VBX_E_IO : 0;
  if (rc == 0) {
    struct iovec iov = {hdr, sizeof hdr};
    rc = write_all(c, &iov, 1);
  }
  while (left > 0) {
    ssize_t n;
    if (rc == 0 && c->splice > 0) {
      n = splice(fd, NULL, c->fd, NULL, left, SPLICE_F_MOVE);
      if (n > 0) {
        left -= (size_t)n;
      } else if (n < 0 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
        c->splice = -1; /* refused: copy */
      } else if (n == 0 || errno != EINTR) {
        rc = VBX_E_IO;
      }
      continue;
    }
    /* copied, or (the connection failed) drained */
    n = read(fd, buf, left < cap ? left : cap);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* the pipe failed: the frame stays short */
    if (rc == 0) {
      struct iovec iov = {buf, (size_t)n};
      rc = write_all(c, &iov, 1);
    }
    left -= (size_t)n;
  }
  if (rc == 0 && left > 0) rc = VBX_E_IO;
  if (rc != 0) c->broken = 1;
  pthread_mutex_unlock(&c->wlock);
  return rc;
}

int vbx__conn_send_error(struct vbx__conn *c, uint32_t id, int code, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  uint8_t mem[VBX_PROTO_HEADER_SIZE + 8 + sizeof msg];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  struct vbx_proto_error e = {code, vbx_proto_str_c(msg)};
  int rc = vbx_proto_encode_error(&b, id, &e);
  return rc != 0 ? rc : vbx__conn_send(c, &b);
}

int vbx__conn_send_window(struct vbx__conn *c, uint32_t id, uint32_t inc) {
  uint8_t mem[64];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  int rc = vbx_proto_encode_window_update(&b, id, inc);
  return rc != 0 ? rc : vbx__conn_send(c, &b);
}

void vbx__conn_get(struct vbx__conn *c) {
  pthread_mutex_lock(&c->lock);
  c->refs++;
  pthread_mutex_unlock(&c->lock);
}

void vbx__conn_put(struct vbx__conn *c) {
  pthread_mutex_lock(&c->lock);
  int last = --c->refs == 0;
  pthread_mutex_unlock(&c->lock);
  if (!last) return;
  close(c->fd);
  pthread_mutex_destroy(&c->lock);
  pthread_mutex_destroy(&c->wlock);
  free(c);
}

struct vbx__req *vbx__conn_req_find(struct vbx__conn *c, uint32_t id) {
  for (struct vbx__req *r = c->reqs; r != NULL; r = r->next)
    if (r->id == id) return r;
  return NULL;
}

void vbx__conn_req_del(struct vbx__conn *c, uint32_t id) {
  pthread_mutex_lock(&c->lock);
  for (struct vbx__req **pp = &c->reqs; *pp != NULL; pp = &(*pp)->next)
    if ((*pp)->id == id) {
      struct vbx__req *r = *pp;
      *pp = r->next;
      free(r);
      break;
    }
  pthread_mutex_unlock(&c->lock);
}

int vbx__conn_req_add(struct vbx__conn *c, uint32_t id, int kind, void *obj) {
  struct vbx__req *r = calloc(1, sizeof *r);
  if (r == NULL) return VBX_E_NOMEM;
  r->id = id, r->kind = kind, r->obj = obj;
  pthread_mutex_lock(&c->lock);
  r->next = c->reqs;
  c->reqs = r;
  pthread_mutex_unlock(&c->lock);
  return 0;
}

int vbx__conn_req_add_guest(struct vbx__conn *c, int kind, void *obj, uint32_t *id) {
  struct vbx__req *r = calloc(1, sizeof *r);
  if (r == NULL) return VBX_E_NOMEM;
  r->kind = kind, r->obj = obj;
  pthread_mutex_lock(&c->lock);
  /* Only tunnels live on guest ids, at most VBX__TUNNEL_MAX: a free one
   * is found within VBX__TUNNEL_MAX + 1 tries. */
  do
    r->id = c->next_tunnel_id++ | VBX_PROTO_GUEST_ID_BIT;
  while (vbx__conn_req_find(c, r->id) != NULL);
  r->next = c->reqs;
  c->reqs = r;
  pthread_mutex_unlock(&c->lock);
  *id = r->id;
  return 0;
}

int vbx__conn_req_live(struct vbx__conn *c, uint32_t id) {
  pthread_mutex_lock(&c->lock);
  int live = vbx__conn_req_find(c, id) != NULL;
  pthread_mutex_unlock(&c->lock);
  return live;
}
