/*
 * vmm/virtio/net.c - virtio-net over a stream socket (net.h). Guest
 * requests run on the notifying vCPU thread, the socket in loop callbacks;
 * both under the transport lock.
 *
 * tx: a chain is popped and held while its frame (length prefix, then the
 * chain past its header) goes to the socket; it returns to the guest once
 * the socket took all of it. Nothing else leaves the tx queue meanwhile.
 * rx: socket bytes land in rx[rx_head, rx_tail), read only while the guest
 * has rx chains; each whole frame there goes into one chain.
 */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "mmio.h"
#include "voidbox/errors.h"

#define Q_RX 0
#define Q_TX 1
#define HDR ((uint32_t)sizeof(vmm_net_hdr))
#define MAX_IOV 64
#define RX_ROUNDS 16 /* socket reads per call: the loop's other fds get their turn */

typedef struct net_dev {
  vmm_virtio_mmio *m;
  vmm_loop *loop;
  uint8_t config[8]; /* mac[6], status u16 */
  int fd;            /* -1 once closed: the cable is pulled for good */
  uint32_t events;   /* registered with the loop; 0 = not registered */
  bool tx_held;      /* txc popped, its frame not yet wholly written */
  bool tx_orphan;    /* txc from before a reset: finished, never returned */
  uint8_t tx_pfx[4];
  uint32_t tx_off, tx_len; /* bytes of prefix + frame written; frame bytes */
  vmm_vq_chain txc, rxc;
  uint8_t *rx; /* VMM_NET_RX_CAP bytes */
  uint32_t rx_head, rx_tail;
  vmm_net_stats st;
} net_dev;

static void sock_cb(void *ctx, int fd, uint32_t ev);

static uint32_t get_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static bool rx_avail(net_dev *d) {
  vmm_vq *q = vmm_virtio_mmio_queue(d->m, Q_RX);
  return q != NULL && vmm_vq_has_avail(q);
}

static void set_events(net_dev *d) {
  if (d->fd < 0) return;
  uint32_t want = 0;
  if (rx_avail(d)) want |= EPOLLIN;
  if (d->tx_held) want |= EPOLLOUT;
  vmm_loop_want(d->loop, d->fd, &d->events, want, sock_cb, d);
}

/* The socket is gone (peer closed, an error, a bad length): the link is
 * down for good and the guest is told through the status field. */
static void link_down(net_dev *d) {
  if (d->fd < 0) return;
  if (d->events) vmm_loop_del(d->loop, d->fd);
  close(d->fd);
  d->fd = -1, d->events = 0, d->st.connected = false;
  d->config[6] = 0;
  vmm_virtio_mmio_config_changed(d->m);
}

/* A length outside 1..MAX_FRAME: nothing after it can be trusted. Said
 * once per process (the monitor has one net device, never reconnected). */
static void protocol_error(net_dev *d, uint32_t len) {
  static atomic_flag said = ATOMIC_FLAG_INIT;
  if (!atomic_flag_test_and_set(&said))
    fprintf(stderr,
            "voidbox-vmm: virtio-net: frame length %u from the socket (must be 1..%u); "
            "connection closed\n",
            len, VMM_NET_MAX_FRAME);
  d->rx_tail = d->rx_head;
  link_down(d);
}

/* ---- tx: guest -> socket ---------------------------------------------- */

/* The frame length of a tx chain, or 0 when the chain is refused: a
 * writable buffer, no frame after the header, header fields asking for an
 * offload that was never offered, a frame the peer would refuse. */
static uint32_t tx_frame_len(const vmm_vq_chain *c) {
  vmm_net_hdr h;
  if (c->n_in > 0 || c->out_len <= HDR || c->out_len - HDR > VMM_NET_MAX_FRAME) return 0;
  if (vmm_vq_read(c, 0, &h, HDR) != HDR || h.flags != 0 || h.gso_type != 0) return 0;
  return c->out_len - HDR;
}

/* Write what is left of the held frame. Returns 0 once all of it is out,
 * -EAGAIN when the socket is full, -EPIPE when the link went down. */
static int tx_send(net_dev *d) {
  while (d->tx_off < 4 + d->tx_len) {
    struct iovec iov[MAX_IOV];
    int niov = 0;
    if (d->tx_off < 4) iov[niov++] = (struct iovec){d->tx_pfx + d->tx_off, 4 - d->tx_off};
    uint32_t foff = d->tx_off < 4 ? 0 : d->tx_off - 4;
    niov += vmm_vq_iov(&d->txc, false, HDR + foff, d->tx_len - foff, iov + niov, MAX_IOV - niov);
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)niov};
    ssize_t r = sendmsg(d->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -EAGAIN;
    if (r <= 0) {
      link_down(d);
      return -EPIPE;
    }
    d->tx_off += (uint32_t)r;
  }
  return 0;
}

/* Write the held frame, then the next ones. A chain goes back once the
 * socket took its frame whole, or at once when refused or the link is
 * down. Returns true when one went back. */
static bool tx_flush(net_dev *d) {
  bool any = false;
  for (unsigned n = 0; n < VMM_VQ_MAX_SIZE; n++) {
    if (!d->tx_held) {
      if (vmm_virtio_mmio_pop(d->m, Q_TX, &d->txc) <= 0) break;
      d->tx_held = true, d->tx_off = 0, d->tx_len = tx_frame_len(&d->txc);
      put_be32(d->tx_pfx, d->tx_len);
    }
    if (d->tx_len == 0) {
      d->st.tx_malformed++;
    } else if (d->fd < 0) {
      d->st.tx_dropped++;
    } else {
      int rc = tx_send(d);
      if (rc == -EAGAIN) break;
      if (rc == 0)
        d->st.tx_frames++;
      else
        d->st.tx_dropped++;
    }
    if (!d->tx_orphan) {
      vmm_vq_push(&d->m->vq[Q_TX], d->txc.head, 0);
      any = true;
    }
    d->tx_held = d->tx_orphan = false;
  }
  return any;
}

/* ---- rx: socket -> guest ---------------------------------------------- */

/* Whole frames from the buffer into guest rx chains while there are
 * chains; a frame larger than its chain is dropped (the chain goes back
 * empty). Returns true when a chain went back. */
static bool rx_deliver(net_dev *d) {
  bool any = false;
  while (d->rx_tail - d->rx_head >= 4) {
    const uint8_t *p = d->rx + d->rx_head;
    uint32_t len = get_be32(p);
    if (len == 0 || len > VMM_NET_MAX_FRAME) {
      protocol_error(d, len);
      break;
    }
    if (d->rx_tail - d->rx_head - 4 < len) break;
    if (vmm_virtio_mmio_pop(d->m, Q_RX, &d->rxc) <= 0) break;
    uint32_t used = 0;
    if (d->rxc.in_len >= HDR && d->rxc.in_len - HDR >= len) {
      vmm_net_hdr h = {.num_buffers = 1};
      vmm_vq_write(&d->rxc, 0, &h, HDR);
      used = HDR + vmm_vq_write(&d->rxc, HDR, p + 4, len);
      d->st.rx_frames++;
    } else {
      d->st.rx_dropped++;
    }
    vmm_vq_push(&d->m->vq[Q_RX], d->rxc.head, used);
    d->rx_head += 4 + len;
    any = true;
  }
  if (d->rx_head == d->rx_tail) d->rx_head = d->rx_tail = 0;
  return any;
}

/* Deliver what is buffered, then read the socket while the guest has rx
 * chains (at most RX_ROUNDS reads). Returns true when a chain went back. */
static bool rx_pump(net_dev *d) {
  bool any = rx_deliver(d);
  for (unsigned n = 0; n < RX_ROUNDS && d->fd >= 0 && rx_avail(d); n++) {
    if (d->rx_head > 0) {
      memmove(d->rx, d->rx + d->rx_head, d->rx_tail - d->rx_head);
      d->rx_tail -= d->rx_head, d->rx_head = 0;
    }
    if (d->rx_tail == VMM_NET_RX_CAP) break; /* a full buffer holds a whole frame */
    ssize_t r = recv(d->fd, d->rx + d->rx_tail, VMM_NET_RX_CAP - d->rx_tail, MSG_DONTWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (r <= 0) {
      link_down(d);
      break;
    }
    d->rx_tail += (uint32_t)r, d->st.rx_read += (uint64_t)r;
    any |= rx_deliver(d);
  }
  return any;
}

/* ---- events ------------------------------------------------------------- */

/* After any event: with the link down, tx chains are dropped at once; the
 * socket's interest follows the queues. */
static void kick(net_dev *d, bool any) {
  if (d->fd < 0) any |= tx_flush(d);
  set_events(d);
  if (any) vmm_virtio_mmio_signal(d->m);
}

static void net_notify(void *dev, unsigned q) {
  net_dev *d = dev;
  kick(d, q == Q_TX ? tx_flush(d) : rx_pump(d));
}

/* A driver may post rx buffers (and notify) before DRIVER_OK. */
static void net_driver_ok(void *dev) {
  net_dev *d = dev;
  kick(d, rx_pump(d));
}

static void sock_cb(void *ctx, int fd, uint32_t ev) {
  net_dev *d = ctx;
  bool any = false;
  vmm_virtio_mmio_lock(d->m);
  if (fd != d->fd) goto out; /* closed meanwhile */
  if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) any |= tx_flush(d);
  if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) any |= rx_pump(d);
  if (ev & EPOLLERR) link_down(d);
  kick(d, any);
out:
  vmm_virtio_mmio_unlock(d->m);
}

/* A frame half on the wire is finished from guest memory (mapped for the
 * VM's life) so the stream stays in step; its chain is not returned. One
 * not started is forgotten. Bytes read stay buffered for the next driver. */
static void net_reset(void *dev) {
  net_dev *d = dev;
  if (d->tx_held && d->tx_off > 0 && d->fd >= 0)
    d->tx_orphan = true;
  else
    d->tx_held = false;
  set_events(d);
}

static void net_destroy(void *dev) {
  net_dev *d = dev;
  if (d->fd >= 0) {
    if (d->events) vmm_loop_del(d->loop, d->fd);
    close(d->fd);
  }
  free(d->rx);
  free(d);
}

static const vmm_virtio_dev_ops net_ops = {
    .name = "virtio-net",
    .device_id = 1,
    .features = 1ull << VMM_NET_F_MAC | 1ull << VMM_NET_F_STATUS,
    .num_queues = 2,
    .queue_max = VMM_VQ_MAX_SIZE,
    .notify = net_notify,
    .driver_ok = net_driver_ok,
    .reset = net_reset,
    .destroy = net_destroy,
};

int vmm_virtio_net_create_fd(vmm_loop *loop, const vmm_guest_mem *mem, vmm_irq irq,
                             const uint8_t mac[6], int fd, vmm_virtio_mmio **out, char *err,
                             size_t errcap) {
  *out = NULL;
  if (fd < 0) {
    snprintf(err, errcap, "virtio-net: no socket");
    return VBX_E_INVAL;
  }
  net_dev *d = calloc(1, sizeof *d);
  uint8_t *rx = malloc(VMM_NET_RX_CAP);
  vmm_virtio_mmio *m = NULL;
  if (d != NULL && rx != NULL)
    m = vmm_virtio_mmio_new(&net_ops, d, mem, irq, d->config, sizeof d->config);
  if (m == NULL) {
    free(rx);
    free(d);
    close(fd);
    snprintf(err, errcap, "virtio-net: out of memory");
    return VBX_E_NOMEM;
  }
  d->m = m, d->loop = loop, d->fd = fd, d->rx = rx, d->st.connected = true;
  memcpy(d->config, mac, 6);
  d->config[6] = VMM_NET_S_LINK_UP;
  /* every call passes MSG_DONTWAIT; non-blocking as well for safety */
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  *out = m;
  return 0;
}

int vmm_virtio_net_create(vmm_loop *loop, const vmm_guest_mem *mem, vmm_irq irq,
                          const uint8_t mac[6], const char *uds_path, vmm_virtio_mmio **out,
                          char *err, size_t errcap) {
  *out = NULL;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  size_t n = uds_path ? strlen(uds_path) : 0;
  if (n == 0 || n >= sizeof sa.sun_path) {
    snprintf(err, errcap, "virtio-net: socket path must be 1..%zu bytes: %s",
             sizeof sa.sun_path - 1, uds_path ? uds_path : "");
    return VBX_E_TOOBIG;
  }
  memcpy(sa.sun_path, uds_path, n);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    snprintf(err, errcap, "virtio-net: cannot connect to %s: %s", uds_path, strerror(e));
    return -e;
  }
  return vmm_virtio_net_create_fd(loop, mem, irq, mac, fd, out, err, errcap);
}

int vmm_virtio_net_stats(vmm_virtio_mmio *m, vmm_net_stats *out) {
  if (m == NULL || m->ops != &net_ops) return -EINVAL;
  vmm_virtio_mmio_lock(m);
  *out = ((const net_dev *)m->dev)->st;
  vmm_virtio_mmio_unlock(m);
  return 0;
}
