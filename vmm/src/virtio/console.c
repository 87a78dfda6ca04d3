/*
 * vmm/virtio/console.c - virtio-console, multiport (console.h). Guest
 * requests run on the notifying vCPU thread, the port socket in loop
 * callbacks; both under the transport lock.
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
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

#define Q_P0_RX 0
#define Q_P0_TX 1
#define Q_CTL_RX 2
#define Q_CTL_TX 3
#define Q_P1_RX 4
#define Q_P1_TX 5
#define CTL_MAX 16
#define MAX_IOV 64

typedef struct console_dev {
  vmm_virtio_mmio *m;
  vmm_loop *loop;
  uint8_t config[12]; /* cols u16, rows u16, max_nr_ports u32, emerg_wr u32 */
  int out_fd;         /* port 0 output, not owned; -1 discards */
  char name[VMM_CONSOLE_NAME_MAX + 1];
  int fd; /* port 1 socket; -1 once the host closed it */
  uint32_t events;
  bool guest_open;
  vmm_console_ctl ctl[CTL_MAX]; /* control messages waiting for buffers */
  unsigned n_ctl;
  bool tx_held; /* txc popped from port 1 tx, not yet fully written */
  uint32_t tx_off;
  vmm_vq_chain txc, ch;
} console_dev;

static void sock_cb(void *ctx, int fd, uint32_t ev);

static void ctl_add(console_dev *d, uint32_t id, uint16_t event, uint16_t value) {
  if (d->n_ctl < CTL_MAX) d->ctl[d->n_ctl++] = (vmm_console_ctl){id, event, value};
}

/* Send queued control messages while the guest has control rx buffers. */
static bool ctl_kick(console_dev *d) {
  bool any = false;
  while (d->n_ctl > 0 && vmm_virtio_mmio_pop(d->m, Q_CTL_RX, &d->ch) > 0) {
    vmm_console_ctl c = d->ctl[0];
    memmove(d->ctl, d->ctl + 1, --d->n_ctl * sizeof c);
    uint32_t n = 0;
    if (d->ch.in_len >= sizeof c) {
      n = vmm_vq_write(&d->ch, 0, &c, sizeof c);
      if (c.event == VMM_CONSOLE_PORT_NAME)
        n += vmm_vq_write(&d->ch, n, d->name, (uint32_t)strlen(d->name) + 1);
    }
    vmm_vq_push(&d->m->vq[Q_CTL_RX], d->ch.head, n);
    any = true;
  }
  return any;
}

static void set_events(console_dev *d) {
  if (d->fd < 0) return;
  uint32_t want = 0;
  vmm_vq *rx = vmm_virtio_mmio_queue(d->m, Q_P1_RX);
  if (d->guest_open && rx && vmm_vq_has_avail(rx)) want |= EPOLLIN;
  if (d->tx_held) want |= EPOLLOUT;
  vmm_loop_want(d->loop, d->fd, &d->events, want, sock_cb, d);
}

/* The host closed the port socket: the port is closed for the guest. */
static void host_closed(console_dev *d) {
  if (d->events) vmm_loop_del(d->loop, d->fd);
  close(d->fd);
  d->fd = -1, d->events = 0;
  ctl_add(d, 1, VMM_CONSOLE_PORT_OPEN, 0);
}

static void on_ctl(console_dev *d, const vmm_console_ctl *c) {
  switch (c->event) {
  case VMM_CONSOLE_DEVICE_READY:
    if (c->value != 1) break;
    ctl_add(d, 0, VMM_CONSOLE_DEVICE_ADD, 0);
    ctl_add(d, 1, VMM_CONSOLE_DEVICE_ADD, 0);
    break;
  case VMM_CONSOLE_PORT_READY:
    if (c->value != 1) break;
    if (c->id == 0) {
      ctl_add(d, 0, VMM_CONSOLE_CONSOLE_PORT, 1);
      ctl_add(d, 0, VMM_CONSOLE_PORT_OPEN, 1);
    } else if (c->id == 1) {
      ctl_add(d, 1, VMM_CONSOLE_PORT_NAME, 0);
      if (d->fd >= 0) ctl_add(d, 1, VMM_CONSOLE_PORT_OPEN, 1);
    }
    break;
  case VMM_CONSOLE_PORT_OPEN:
    if (c->id == 1) d->guest_open = c->value != 0;
    break;
  default: break;
  }
}

/* Port 0 output: best effort into out_fd, or dropped. */
static void console_out(console_dev *d, const vmm_vq_chain *c) {
  if (d->out_fd < 0) return;
  for (unsigned k = 0; k < c->n_out; k++) {
    uint32_t off = 0;
    while (off < c->out[k].len) {
      ssize_t r = write(d->out_fd, c->out[k].p + off, c->out[k].len - off);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return;
      off += (uint32_t)r;
    }
  }
}

/* Write the held port 1 chain; return it once the socket took all of it
 * (or the host is gone: the bytes are dropped, as on a closed port). */
static bool p1_flush(console_dev *d) {
  bool any = false;
  for (unsigned n = 0; n < VMM_VQ_MAX_SIZE; n++) {
    if (!d->tx_held) {
      if (vmm_virtio_mmio_pop(d->m, Q_P1_TX, &d->txc) <= 0) break;
      d->tx_held = true, d->tx_off = 0;
    }
    while (d->fd >= 0 && d->tx_off < d->txc.out_len) {
      struct iovec iov[MAX_IOV];
      int niov = vmm_vq_iov(&d->txc, false, d->tx_off, d->txc.out_len - d->tx_off, iov, MAX_IOV);
      struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)niov};
      ssize_t r = sendmsg(d->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) return any;
      if (r < 0) host_closed(d);
      if (r > 0) d->tx_off += (uint32_t)r;
    }
    vmm_vq_push(&d->m->vq[Q_P1_TX], d->txc.head, 0);
    d->tx_held = false, any = true;
  }
  return any;
}

/* Socket bytes into port 1 rx buffers. */
static bool p1_recv(console_dev *d) {
  bool any = false;
  while (d->fd >= 0 && d->guest_open) {
    vmm_vq *rx = vmm_virtio_mmio_queue(d->m, Q_P1_RX);
    if (rx == NULL || !vmm_vq_has_avail(rx)) break;
    char peek;
    ssize_t p = recv(d->fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT);
    if (p < 0 && (errno == EAGAIN || errno == EINTR)) break;
    if (p <= 0) {
      host_closed(d);
      break;
    }
    if (vmm_virtio_mmio_pop(d->m, Q_P1_RX, &d->ch) <= 0) break;
    struct iovec iov[MAX_IOV];
    int niov = vmm_vq_iov(&d->ch, true, 0, d->ch.in_len, iov, MAX_IOV);
    ssize_t r = niov > 0 ? readv(d->fd, iov, niov) : 0;
    vmm_vq_push(rx, d->ch.head, r > 0 ? (uint32_t)r : 0);
    any = true;
  }
  return any;
}

/* After any event: control messages out, the socket's interest updated. */
static void kick(console_dev *d, bool any) {
  any |= ctl_kick(d);
  set_events(d);
  if (any) vmm_virtio_mmio_signal(d->m);
}

static void console_notify(void *dev, unsigned q) {
  console_dev *d = dev;
  bool any = false;
  if (q == Q_P0_TX || q == Q_CTL_TX) {
    for (unsigned n = 0; n < VMM_VQ_MAX_SIZE; n++) {
      if (vmm_virtio_mmio_pop(d->m, q, &d->ch) <= 0) break;
      vmm_console_ctl c;
      if (q == Q_P0_TX)
        console_out(d, &d->ch);
      else if (vmm_vq_read(&d->ch, 0, &c, sizeof c) == sizeof c)
        on_ctl(d, &c);
      vmm_vq_push(&d->m->vq[q], d->ch.head, 0);
      any = true;
    }
  }
  if (q == Q_P1_TX) any |= p1_flush(d);
  if (q == Q_P1_RX || q == Q_CTL_TX) any |= p1_recv(d);
  kick(d, any);
}

static void sock_cb(void *ctx, int fd, uint32_t ev) {
  console_dev *d = ctx;
  bool any = false;
  vmm_virtio_mmio_lock(d->m);
  if (fd != d->fd) goto out; /* closed meanwhile */
  if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)) any |= p1_flush(d);
  if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) any |= p1_recv(d);
  if ((ev & EPOLLERR) && d->fd >= 0) host_closed(d);
  kick(d, any);
out:
  vmm_virtio_mmio_unlock(d->m);
}

static void console_reset(void *dev) {
  console_dev *d = dev;
  d->n_ctl = 0, d->guest_open = false, d->tx_held = false;
  set_events(d);
}

static void console_destroy(void *dev) {
  console_dev *d = dev;
  if (d->fd >= 0) {
    if (d->events) vmm_loop_del(d->loop, d->fd);
    close(d->fd);
  }
  free(d);
}

static const vmm_virtio_dev_ops console_ops = {
    .name = "virtio-console",
    .device_id = 3,
    .features = 1ull << VMM_CONSOLE_F_MULTIPORT,
    .num_queues = 6,
    .queue_max = VMM_VQ_MAX_SIZE,
    .notify = console_notify,
    .reset = console_reset,
    .destroy = console_destroy,
};

static int connect_port(console_dev *d, const char *path, char *err, size_t errcap) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) {
    snprintf(err, errcap, "virtio-console: socket path too long: %s", path);
    return VBX_E_TOOBIG;
  }
  memcpy(sa.sun_path, path, strlen(path));
  d->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (d->fd < 0 || connect(d->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    int e = errno;
    snprintf(err, errcap, "virtio-console: cannot connect port %s to %s: %s", d->name, path,
             strerror(e));
    return -e;
  }
  return 0;
}

int vmm_virtio_console_create(vmm_loop *loop, const vmm_guest_mem *mem, vmm_irq irq,
                              const char *port_name, const char *uds_path, int console_out_fd,
                              vmm_virtio_mmio **out, char *err, size_t errcap) {
  *out = NULL;
  size_t nl = port_name ? strlen(port_name) : 0;
  if (nl == 0 || nl > VMM_CONSOLE_NAME_MAX) {
    snprintf(err, errcap, "virtio-console: port name must be 1..%u bytes", VMM_CONSOLE_NAME_MAX);
    return VBX_E_INVAL;
  }
  console_dev *d = calloc(1, sizeof *d);
  if (d == NULL) {
    snprintf(err, errcap, "virtio-console: out of memory");
    return VBX_E_NOMEM;
  }
  d->loop = loop, d->out_fd = console_out_fd, d->fd = -1;
  memcpy(d->name, port_name, nl);
  uint32_t ports = 2;
  memcpy(d->config + 4, &ports, 4);
  int rc = connect_port(d, uds_path, err, errcap);
  if (rc == 0) {
    d->m = vmm_virtio_mmio_new(&console_ops, d, mem, irq, d->config, sizeof d->config);
    if (d->m == NULL) {
      snprintf(err, errcap, "virtio-console: out of memory");
      rc = VBX_E_NOMEM;
    }
  }
  if (rc != 0) {
    if (d->fd >= 0) close(d->fd);
    free(d);
    return rc;
  }
  /* non-blocking from here: the loop watches it */
  fcntl(d->fd, F_SETFL, fcntl(d->fd, F_GETFL) | O_NONBLOCK);
  *out = d->m;
  return 0;
}
