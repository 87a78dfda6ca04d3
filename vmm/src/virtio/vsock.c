/*
 * vmm/virtio/vsock.c - virtio-vsock with Unix-socket host side (vsock.h).
 *
 * All state is guarded by the transport lock: guest packets are handled on
 * the vCPU thread that notifies, host sockets in loop callbacks. Loop
 * callbacks get the device as context and look the connection up by fd,
 * so a connection closed on a vCPU thread is never reached through a stale
 * pointer.
 */
#include "vsock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "mmio.h"
#include "voidbox/errors.h"

#define HDR ((uint32_t)sizeof(vmm_vsock_hdr))
#define Q_RX 0
#define Q_TX 1
#define LINE_MAX_LEN 32
#define ORPHAN_MAX 128 /* pending RSTs: one per connection fits, twice over */
#define PORT_BASE 0x40000000u
#define MAX_IOV 64

enum { C_FREE = 0, C_HOST_LINE, C_REQ_SENT, C_EST };
enum { P_REQUEST = 1, P_RESPONSE = 2, P_CREDIT = 4, P_SHUTDOWN = 8 };

typedef struct conn {
  int state, fd;
  uint32_t events; /* registered with the loop; 0 = not registered */
  uint32_t host_port, guest_port;
  uint8_t *buf; /* guest->host bytes not yet taken by the host socket */
  uint32_t head, len;
  char ok[24];
  uint32_t ok_len, ok_off;
  uint32_t fwd_cnt, fwd_sent;                    /* guest->host bytes delivered */
  uint32_t peer_buf_alloc, peer_fwd_cnt, rx_cnt; /* host->guest credit */
  uint32_t pending, shut_flags;                  /* shut_flags: of the SHUTDOWN pending */
  bool host_eof, guest_no_send, guest_no_rcv, close_when_drained;
} conn;

typedef struct vsock_dev {
  vmm_virtio_mmio *m;
  vmm_loop *loop;
  uint64_t cid;
  uint8_t config[8];
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  int lfd;
  conn c[VMM_VSOCK_MAX_CONNS];
  vmm_vsock_hdr orphan[ORPHAN_MAX];
  unsigned n_orphan;
  uint32_t next_port;
  uint64_t buffered; /* sum of c[i].len */
  vmm_vq_chain ch;
} vsock_dev;

static void conn_cb(void *ctx, int fd, uint32_t ev);

/* ---- connections ------------------------------------------------------ */

static conn *find(vsock_dev *d, uint32_t host_port, uint32_t guest_port) {
  for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++) {
    conn *c = &d->c[i];
    if (c->state != C_FREE && c->state != C_HOST_LINE && c->host_port == host_port &&
        c->guest_port == guest_port)
      return c;
  }
  return NULL;
}

static conn *find_fd(vsock_dev *d, int fd) {
  for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++)
    if (d->c[i].state != C_FREE && d->c[i].fd == fd) return &d->c[i];
  return NULL;
}

static conn *conn_new(vsock_dev *d, int fd) {
  for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++) {
    conn *c = &d->c[i];
    if (c->state != C_FREE) continue;
    uint8_t *buf = malloc(VMM_VSOCK_BUF_ALLOC);
    if (buf == NULL) return NULL;
    memset(c, 0, sizeof *c);
    c->buf = buf, c->fd = fd;
    return c;
  }
  return NULL;
}

static uint32_t credit(const conn *c) {
  uint32_t inflight = c->rx_cnt - c->peer_fwd_cnt;
  return inflight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - inflight;
}

static void set_events(vsock_dev *d, conn *c) {
  uint32_t want = 0;
  if (c->state == C_HOST_LINE) want = EPOLLIN;
  if (c->state == C_REQ_SENT) want = EPOLLHUP; /* only notice the client leaving */
  if (c->state == C_EST) {
    vmm_vq *rx = vmm_virtio_mmio_queue(d->m, Q_RX);
    if (!c->host_eof && !c->guest_no_rcv && credit(c) > 0 && rx && vmm_vq_has_avail(rx))
      want |= EPOLLIN;
    if (c->len > 0 || c->ok_off < c->ok_len) want |= EPOLLOUT;
  }
  vmm_loop_want(d->loop, c->fd, &c->events, want, conn_cb, d);
}

static void conn_close(vsock_dev *d, conn *c) {
  if (c->events) vmm_loop_del(d->loop, c->fd);
  close(c->fd);
  free(c->buf);
  d->buffered -= c->len;
  memset(c, 0, sizeof *c);
  c->fd = -1;
}

static void orphan_rst(vsock_dev *d, uint32_t host_port, uint32_t guest_port) {
  if (d->n_orphan >= ORPHAN_MAX) return; /* the guest times the connection out */
  d->orphan[d->n_orphan++] = (vmm_vsock_hdr){
      .src_cid = VMM_VSOCK_HOST_CID,
      .dst_cid = d->cid,
      .src_port = host_port,
      .dst_port = guest_port,
      .type = VMM_VSOCK_TYPE_STREAM,
      .op = VMM_VSOCK_OP_RST,
  };
}

/* Tell the guest the connection is gone and forget it. */
static void conn_reset(vsock_dev *d, conn *c) {
  if (c->state != C_HOST_LINE) orphan_rst(d, c->host_port, c->guest_port);
  conn_close(d, c);
}

static void close_all(vsock_dev *d) {
  for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++)
    if (d->c[i].state != C_FREE) conn_close(d, &d->c[i]);
  d->n_orphan = 0;
}

/* ---- to the guest (rx queue) ------------------------------------------ */

static vmm_vsock_hdr hdr_for(vsock_dev *d, conn *c, uint16_t op) {
  c->fwd_sent = c->fwd_cnt;
  return (vmm_vsock_hdr){
      .src_cid = VMM_VSOCK_HOST_CID,
      .dst_cid = d->cid,
      .src_port = c->host_port,
      .dst_port = c->guest_port,
      .type = VMM_VSOCK_TYPE_STREAM,
      .op = op,
      .buf_alloc = VMM_VSOCK_BUF_ALLOC,
      .fwd_cnt = c->fwd_cnt,
  };
}

/* The next control packet to send, or false when none is pending. */
static bool next_control(vsock_dev *d, vmm_vsock_hdr *h) {
  if (d->n_orphan > 0) {
    *h = d->orphan[0];
    memmove(d->orphan, d->orphan + 1, --d->n_orphan * sizeof *h);
    return true;
  }
  for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++) {
    conn *c = &d->c[i];
    if (c->state == C_FREE || c->pending == 0) continue;
    uint32_t bit = c->pending & -c->pending;
    c->pending &= ~bit;
    if (bit == P_REQUEST) *h = hdr_for(d, c, VMM_VSOCK_OP_REQUEST);
    if (bit == P_RESPONSE) *h = hdr_for(d, c, VMM_VSOCK_OP_RESPONSE);
    if (bit == P_CREDIT) *h = hdr_for(d, c, VMM_VSOCK_OP_CREDIT_UPDATE);
    if (bit == P_SHUTDOWN) {
      *h = hdr_for(d, c, VMM_VSOCK_OP_SHUTDOWN);
      h->flags = c->shut_flags;
    }
    return true;
  }
  return false;
}

static bool has_control(const vsock_dev *d) {
  if (d->n_orphan > 0) return true;
  for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++)
    if (d->c[i].state != C_FREE && d->c[i].pending) return true;
  return false;
}

/* Send pending control packets while the guest has rx buffers, then
 * re-evaluate which host sockets may be read. */
static void rx_kick(vsock_dev *d) {
  bool any = false;
  vmm_vsock_hdr h;
  while (has_control(d)) {
    int rc = vmm_virtio_mmio_pop(d->m, Q_RX, &d->ch);
    if (rc <= 0) break;
    uint32_t n = 0;
    if (d->ch.in_len >= HDR && next_control(d, &h)) n = vmm_vq_write(&d->ch, 0, &h, HDR);
    vmm_vq_push(&d->m->vq[Q_RX], d->ch.head, n);
    any = true;
  }
  for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++)
    if (d->c[i].state != C_FREE) set_events(d, &d->c[i]);
  if (any) vmm_virtio_mmio_signal(d->m);
}

/* Read from the host socket into guest rx buffers, within credit. At EOF
 * the guest is told the host sends no more; that it receives no more too
 * when the client closed altogether (EPOLLHUP: a half-close is not). */
static void conn_recv(vsock_dev *d, conn *c, uint32_t ev) {
  bool any = false;
  while (c->state == C_EST && !c->host_eof && !c->guest_no_rcv && credit(c) > 0) {
    vmm_vq *rx = vmm_virtio_mmio_queue(d->m, Q_RX);
    if (rx == NULL || !vmm_vq_has_avail(rx)) break;
    char peek;
    ssize_t p = recv(c->fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT);
    if (p < 0 && (errno == EAGAIN || errno == EINTR)) break;
    if (p <= 0) { /* EOF or error: the host closed its side */
      c->host_eof = true;
      c->pending |= P_SHUTDOWN;
      c->shut_flags = VMM_VSOCK_SHUTDOWN_SEND;
      if (ev & (EPOLLHUP | EPOLLERR)) c->shut_flags |= VMM_VSOCK_SHUTDOWN_RCV;
      break;
    }
    if (vmm_virtio_mmio_pop(d->m, Q_RX, &d->ch) <= 0) break;
    any = true;
    uint32_t room = d->ch.in_len > HDR ? d->ch.in_len - HDR : 0, cr = credit(c);
    uint32_t want = room < cr ? room : cr;
    struct iovec iov[MAX_IOV];
    int niov = vmm_vq_iov(&d->ch, true, HDR, want, iov, MAX_IOV);
    ssize_t r = niov > 0 ? readv(c->fd, iov, niov) : 0;
    vmm_vsock_hdr h = hdr_for(d, c, r > 0 ? VMM_VSOCK_OP_RW : VMM_VSOCK_OP_CREDIT_UPDATE);
    h.len = r > 0 ? (uint32_t)r : 0;
    c->rx_cnt += h.len;
    uint32_t n = d->ch.in_len >= HDR ? vmm_vq_write(&d->ch, 0, &h, HDR) : 0;
    vmm_vq_push(rx, d->ch.head, n ? n + h.len : 0);
  }
  if (any) vmm_virtio_mmio_signal(d->m);
}

/* ---- to the host socket ----------------------------------------------- */

static void maybe_credit(conn *c) {
  if (c->fwd_cnt - c->fwd_sent >= VMM_VSOCK_BUF_ALLOC / 4) c->pending |= P_CREDIT;
}

static ssize_t send_iov(int fd, struct iovec *iov, int n) {
  struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
  ssize_t r = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  return r;
}

/* Write the OK line and buffered bytes. Returns 0 or -1 (reset it). */
static int conn_flush(vsock_dev *d, conn *c) {
  while (c->ok_off < c->ok_len) {
    struct iovec v = {c->ok + c->ok_off, c->ok_len - c->ok_off};
    ssize_t r = send_iov(c->fd, &v, 1);
    if (r < 0) return -1;
    if (r == 0) return 0;
    c->ok_off += (uint32_t)r;
  }
  while (c->len > 0) {
    uint32_t first =
        VMM_VSOCK_BUF_ALLOC - c->head < c->len ? VMM_VSOCK_BUF_ALLOC - c->head : c->len;
    struct iovec v[2] = {{c->buf + c->head, first}, {c->buf, c->len - first}};
    ssize_t r = send_iov(c->fd, v, c->len > first ? 2 : 1);
    if (r < 0) return -1;
    if (r == 0) break;
    c->head = (c->head + (uint32_t)r) % VMM_VSOCK_BUF_ALLOC;
    c->len -= (uint32_t)r, d->buffered -= (uint32_t)r, c->fwd_cnt += (uint32_t)r;
  }
  maybe_credit(c);
  if (c->len == 0 && c->close_when_drained) return -1;
  if (c->len == 0 && c->guest_no_send) shutdown(c->fd, SHUT_WR);
  return 0;
}

/* Payload of a guest RW packet: straight to the socket when nothing is
 * queued before it, the rest into the connection's buffer. */
static int conn_deliver(vsock_dev *d, conn *c, const vmm_vq_chain *ch, uint32_t len) {
  if (len > VMM_VSOCK_BUF_ALLOC - c->len) return -1; /* over the credit we gave */
  uint32_t sent = 0;
  if (c->len == 0 && c->ok_off == c->ok_len) {
    struct iovec iov[MAX_IOV];
    int n = vmm_vq_iov(ch, false, HDR, len, iov, MAX_IOV);
    ssize_t r = send_iov(c->fd, iov, n);
    if (r < 0) return -1;
    sent = (uint32_t)r;
    c->fwd_cnt += sent;
  }
  while (sent < len) {
    uint32_t tail = (c->head + c->len) % VMM_VSOCK_BUF_ALLOC;
    uint32_t room = VMM_VSOCK_BUF_ALLOC - tail;
    uint32_t n = len - sent < room ? len - sent : room;
    n = vmm_vq_read(ch, HDR + sent, c->buf + tail, n);
    if (n == 0) return -1;
    c->len += n, d->buffered += n, sent += n;
  }
  maybe_credit(c);
  return 0;
}

/* ---- guest packets (tx queue) ----------------------------------------- */

static int guest_connect(vsock_dev *d, const vmm_vsock_hdr *h) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  int n = snprintf(sa.sun_path, sizeof sa.sun_path, "%s_%u", d->path, h->dst_port);
  if (n < 0 || (size_t)n >= sizeof sa.sun_path) return -1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  conn *c = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? conn_new(d, fd) : NULL;
  if (c == NULL) {
    close(fd);
    return -1;
  }
  c->state = C_EST;
  c->host_port = h->dst_port, c->guest_port = h->src_port;
  c->peer_buf_alloc = h->buf_alloc, c->peer_fwd_cnt = h->fwd_cnt;
  c->pending = P_RESPONSE;
  return 0;
}

static void on_shutdown(vsock_dev *d, conn *c, uint32_t flags) {
  if (flags & VMM_VSOCK_SHUTDOWN_RCV) c->guest_no_rcv = true;
  if (flags & VMM_VSOCK_SHUTDOWN_SEND) c->guest_no_send = true;
  if (c->guest_no_rcv && c->guest_no_send) c->close_when_drained = true;
  if (c->state != C_EST || conn_flush(d, c) != 0) conn_reset(d, c);
}

static void on_response(conn *c) {
  c->state = C_EST;
  int n = snprintf(c->ok, sizeof c->ok, "OK %u\n", c->host_port);
  c->ok_len = n > 0 ? (uint32_t)n : 0, c->ok_off = 0;
}

/* One packet on an existing connection. */
static void on_conn_packet(vsock_dev *d, conn *c, const vmm_vsock_hdr *h, const vmm_vq_chain *ch) {
  c->peer_buf_alloc = h->buf_alloc, c->peer_fwd_cnt = h->fwd_cnt;
  switch (h->op) {
  case VMM_VSOCK_OP_RST: conn_close(d, c); return;
  case VMM_VSOCK_OP_RESPONSE:
    if (c->state != C_REQ_SENT) break;
    on_response(c);
    return;
  case VMM_VSOCK_OP_RW:
    if (c->state != C_EST || c->guest_no_send || conn_deliver(d, c, ch, h->len) != 0) break;
    return;
  case VMM_VSOCK_OP_SHUTDOWN: on_shutdown(d, c, h->flags); return;
  case VMM_VSOCK_OP_CREDIT_UPDATE: return;
  case VMM_VSOCK_OP_CREDIT_REQUEST: c->pending |= P_CREDIT; return;
  default: break; /* a second REQUEST, an unknown op: protocol error */
  }
  conn_reset(d, c);
}

static void on_packet(vsock_dev *d, const vmm_vq_chain *ch) {
  vmm_vsock_hdr h;
  if (ch->out_len < HDR || vmm_vq_read(ch, 0, &h, HDR) != HDR) return;
  if (h.src_cid != d->cid || h.dst_cid != VMM_VSOCK_HOST_CID) return;
  conn *c = find(d, h.dst_port, h.src_port);
  bool bad = h.type != VMM_VSOCK_TYPE_STREAM || h.len > ch->out_len - HDR ||
             (h.len != 0 && h.op != VMM_VSOCK_OP_RW);
  if (bad || c == NULL) {
    if (c != NULL) {
      conn_reset(d, c);
    } else if (!bad && h.op == VMM_VSOCK_OP_REQUEST) {
      if (guest_connect(d, &h) != 0) orphan_rst(d, h.dst_port, h.src_port);
    } else if (h.op != VMM_VSOCK_OP_RST) {
      orphan_rst(d, h.dst_port, h.src_port);
    }
    return;
  }
  on_conn_packet(d, c, &h, ch);
}

static void tx_process(vsock_dev *d) {
  bool any = false;
  for (unsigned n = 0; n < 4 * VMM_VQ_MAX_SIZE; n++) {
    if (vmm_virtio_mmio_pop(d->m, Q_TX, &d->ch) <= 0) break;
    on_packet(d, &d->ch);
    vmm_vq_push(&d->m->vq[Q_TX], d->ch.head, 0);
    any = true;
  }
  if (any) vmm_virtio_mmio_signal(d->m);
}

static void vsock_notify(void *dev, unsigned q) {
  vsock_dev *d = dev;
  if (q == Q_TX) tx_process(d);
  rx_kick(d);
}

/* ---- host sockets (loop thread) --------------------------------------- */

static uint32_t alloc_port(vsock_dev *d) {
  for (;;) {
    uint32_t p = PORT_BASE + (d->next_port++ & (PORT_BASE - 1));
    bool used = false;
    for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++)
      if (d->c[i].state != C_FREE && d->c[i].host_port == p) used = true;
    if (!used) return p;
  }
}

/* "CONNECT <port>\n" (an optional \r before \n). Returns the port or -1. */
static int64_t parse_connect(const char *s, size_t n) {
  if (n < 10 || memcmp(s, "CONNECT ", 8) != 0) return -1;
  size_t end = n - 1;
  if (end > 8 && s[end - 1] == '\r') end--;
  if (end == 8 || end - 8 > 10) return -1;
  uint64_t v = 0;
  for (size_t i = 8; i < end; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  return v > UINT32_MAX ? -1 : (int64_t)v;
}

/* The client's request line: peeked, then only the line is consumed so
 * bytes after it stay in the socket as stream data. */
static void on_line(vsock_dev *d, conn *c, uint32_t ev) {
  char buf[LINE_MAX_LEN];
  ssize_t n = recv(c->fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  char *nl = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;
  if (nl == NULL) {
    if (n <= 0 || n == (ssize_t)sizeof buf || (ev & (EPOLLHUP | EPOLLERR))) conn_close(d, c);
    return;
  }
  size_t len = (size_t)(nl - buf) + 1;
  int64_t port = parse_connect(buf, len);
  if (port < 0 || recv(c->fd, buf, len, MSG_DONTWAIT) != (ssize_t)len) {
    conn_close(d, c);
    return;
  }
  c->state = C_REQ_SENT;
  c->guest_port = (uint32_t)port;
  c->host_port = alloc_port(d);
  c->pending = P_REQUEST;
}

static void conn_cb(void *ctx, int fd, uint32_t ev) {
  vsock_dev *d = ctx;
  vmm_virtio_mmio_lock(d->m);
  conn *c = find_fd(d, fd);
  if (c == NULL) goto out; /* closed meanwhile */
  if (c->state == C_HOST_LINE) {
    on_line(d, c, ev);
  } else if (c->state == C_REQ_SENT) {
    if (ev & (EPOLLHUP | EPOLLERR)) conn_reset(d, c); /* gone before the guest answered */
  } else if (c->state == C_EST) {
    if ((ev & EPOLLERR) || ((ev & (EPOLLOUT | EPOLLHUP)) && conn_flush(d, c) != 0)) {
      conn_reset(d, c);
    } else if (ev & (EPOLLIN | EPOLLHUP)) {
      conn_recv(d, c, ev);
    }
  }
  rx_kick(d);
out:
  vmm_virtio_mmio_unlock(d->m);
}

static void listen_cb(void *ctx, int fd, uint32_t ev) {
  vsock_dev *d = ctx;
  (void)ev;
  vmm_virtio_mmio_lock(d->m);
  for (int k = 0; k < 16; k++) {
    int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) break;
    conn *c = conn_new(d, cfd);
    if (c == NULL) { /* at the cap: the client sees EOF */
      close(cfd);
      continue;
    }
    c->state = C_HOST_LINE;
    set_events(d, c);
    if (c->events == 0) conn_close(d, c);
  }
  vmm_virtio_mmio_unlock(d->m);
}

/* ---- device ----------------------------------------------------------- */

static void vsock_reset(void *dev) { close_all(dev); }

static void vsock_destroy(void *dev) {
  vsock_dev *d = dev;
  close_all(d);
  if (d->lfd >= 0) {
    vmm_loop_del(d->loop, d->lfd);
    close(d->lfd);
    unlink(d->path);
  }
  free(d);
}

static const vmm_virtio_dev_ops vsock_ops = {
    .name = "virtio-vsock",
    .device_id = 19,
    .num_queues = 3,
    .queue_max = VMM_VQ_MAX_SIZE,
    .notify = vsock_notify,
    .reset = vsock_reset,
    .destroy = vsock_destroy,
};

static int listen_on(vsock_dev *d, const char *path, char *err, size_t errcap) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  /* room for "_4294967295" after the path, for guest-initiated connects */
  if (strlen(path) + 11 >= sizeof sa.sun_path) {
    snprintf(err, errcap, "virtio-vsock: socket path too long: %s", path);
    return VBX_E_TOOBIG;
  }
  snprintf(d->path, sizeof d->path, "%s", path);
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path);
  d->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (d->lfd < 0 || bind(d->lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      listen(d->lfd, 64) != 0) {
    int e = errno;
    snprintf(err, errcap, "virtio-vsock: cannot listen on %s: %s", path, strerror(e));
    if (d->lfd >= 0) close(d->lfd);
    d->lfd = -1;
    return -e;
  }
  int rc = vmm_loop_add(d->loop, d->lfd, EPOLLIN, listen_cb, d);
  if (rc != 0) {
    snprintf(err, errcap, "virtio-vsock: cannot watch %s: %s", path, strerror(-rc));
    close(d->lfd);
    unlink(path);
    d->lfd = -1;
  }
  return rc;
}

int vmm_virtio_vsock_create(vmm_loop *loop, const vmm_guest_mem *mem, vmm_irq irq,
                            uint64_t guest_cid, const char *uds_path, vmm_virtio_mmio **out,
                            char *err, size_t errcap) {
  *out = NULL;
  if (guest_cid < 3 || guest_cid > UINT32_MAX - 1) {
    snprintf(err, errcap, "virtio-vsock: guest CID %llu out of range (3..2^32-2)",
             (unsigned long long)guest_cid);
    return VBX_E_INVAL;
  }
  vsock_dev *d = calloc(1, sizeof *d);
  if (d == NULL) goto nomem;
  d->loop = loop, d->cid = guest_cid, d->lfd = -1;
  for (unsigned i = 0; i < VMM_VSOCK_MAX_CONNS; i++)
    d->c[i].fd = -1;
  memcpy(d->config, &guest_cid, sizeof d->config);
  d->m = vmm_virtio_mmio_new(&vsock_ops, d, mem, irq, d->config, sizeof d->config);
  if (d->m == NULL) goto nomem;
  int rc = listen_on(d, uds_path, err, errcap);
  if (rc != 0) {
    vmm_virtio_mmio_destroy(d->m);
    return rc;
  }
  *out = d->m;
  return 0;
nomem:
  free(d);
  snprintf(err, errcap, "virtio-vsock: out of memory");
  return VBX_E_NOMEM;
}
