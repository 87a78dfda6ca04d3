/*
 * guest/agent/tunnel.c - the in-box end of the LLM gateway tunnel
 * (docs/guest-agent.md "Tunnels", docs/protocol.md 4.5): a listener on
 * 127.0.0.1:PORT (the policy's llm_gateway_port), and for each connection
 * accepted there a worker thread that opens a tunnel to the host on the
 * oldest live connection that negotiated FEAT_TUNNEL, then moves bytes both
 * ways by the protocol's tunnel state machine (voidbox/protocol/tunnel.h):
 * the socket is read only while the host's credit lasts, the host's bytes
 * wait in one window, and either side's EOF, close or reset is passed on.
 * Beyond VBX__TUNNEL_MAX tunnels, or with no host connection to carry one,
 * a connection is reset at once.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "voidbox/errors.h"

#define TUN_WINDOW VBX_PROTO_INITIAL_WINDOW /* the host's bytes we hold, at most */
#define TUN_CHUNK 65536u                    /* one read from the in-box socket */

struct vbx__tunnel {
  struct vbx__conn *c;
  uint32_t id;
  int fd;               /* the in-box connection (the worker's; -1 closed) */
  int wake;             /* eventfd the reader thread writes */
  pthread_mutex_t lock; /* the fields below, shared with the reader */
  struct vbx_proto_tunnel t;
  int opened;     /* TUNNEL_OPENED arrived */
  int refused;    /* ERROR arrived instead: the host end could not connect */
  int abandoned;  /* the connection is closing */
  uint8_t ring[]; /* TUN_WINDOW bytes of the host's data */
};

/* Log a refusal of kind `what` on its 1st, 10th, 100th... occurrence, so
 * an in-box client retrying in a loop cannot flood the log. */
static void log_refusal(unsigned *count, const char *what) {
  unsigned n = __atomic_add_fetch(count, 1, __ATOMIC_RELAXED);
  unsigned p = 1;
  while (p < n && p <= 100000000u)
    p *= 10;
  if (p == n) vbx__log(1, "tunnel refused (%u so far): %s", n, what);
}

/* Close the in-box socket with RST (a reset, a refusal). */
static void reset_close(int fd) {
  struct linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

static void wake(struct vbx__tunnel *t) {
  uint64_t one = 1;
  ssize_t w = write(t->wake, &one, sizeof one);
  (void)w;
}

int vbx__tunnel_frame(void *obj, const struct vbx_proto_msg *m) {
  struct vbx__tunnel *t = obj;
  int rc = 0;
  pthread_mutex_lock(&t->lock);
  if (m->type == VBX_PROTO_T_TUNNEL_OPENED) {
    if (t->opened || t->refused) rc = VBX_E_PROTOCOL;
    t->opened = 1;
    vbx_proto_tunnel_open(&t->t);
  } else if (m->type == VBX_PROTO_T_ERROR) {
    /* The host's answer instead of TUNNEL_OPENED: terminal. */
    if (t->opened || t->refused) rc = VBX_E_PROTOCOL;
    static unsigned host_refused;
    char why[200];
    t->refused = 1;
    snprintf(why, sizeof why, "the host: %.*s",
             (int)(m->u.error.message.len < 180 ? m->u.error.message.len : 180),
             m->u.error.message.ptr);
    log_refusal(&host_refused, why);
  } else if (vbx_proto_tunnel_recv(&t->t, m) != 0) {
    rc = VBX_E_PROTOCOL;
  }
  pthread_mutex_unlock(&t->lock);
  wake(t);
  return rc;
}

void vbx__tunnel_abandon(void *obj) {
  struct vbx__tunnel *t = obj;
  pthread_mutex_lock(&t->lock);
  t->abandoned = 1;
  pthread_mutex_unlock(&t->lock);
  wake(t);
}

/* Under t->lock: the host's bytes to the socket, then the socket's
 * shutdown or close when the state machine asks, then every due control
 * frame into fb. Returns the state machine's wants afterwards. */
static unsigned step_locked(struct vbx__tunnel *t, struct vbx_proto_buf *fb) {
  const uint8_t *p;
  uint32_t n;
  while (t->fd >= 0 && (n = vbx_proto_tunnel_pending(&t->t, &p)) > 0) {
    ssize_t w = send(t->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (w <= 0) { /* the in-box client is gone (EPIPE, ECONNRESET) */
      vbx_proto_tunnel_reset(&t->t);
      break;
    }
    vbx_proto_tunnel_written(&t->t, (uint32_t)w);
  }
  if (vbx_proto_tunnel_wants(&t->t) & VBX_PROTO_TUN_WANT_SHUTDOWN) {
    shutdown(t->fd, SHUT_WR);
    vbx_proto_tunnel_shutdown_done(&t->t);
  }
  if (vbx_proto_tunnel_wants(&t->t) & VBX_PROTO_TUN_WANT_CLOSE) {
    if (vbx_proto_tunnel_is_reset(&t->t))
      reset_close(t->fd);
    else
      close(t->fd);
    t->fd = -1;
    vbx_proto_tunnel_closed(&t->t);
  }
  while (vbx_proto_tunnel_next_frame(&t->t, fb) == 1)
    ;
  return vbx_proto_tunnel_wants(&t->t);
}

/* Read once from the socket (room bytes at most) and send what came as
 * TUNNEL_DATA; EOF and errors go to the state machine. Returns 1 when
 * something happened (loop again at once), 0 when the socket had nothing
 * (wait), or VBX_E_IO (the frame could not be sent). */
static int read_once(struct vbx__tunnel *t, uint8_t *buf, uint32_t room) {
  ssize_t r = recv(t->fd, buf, room < TUN_CHUNK ? room : TUN_CHUNK, MSG_DONTWAIT);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
  uint64_t off = 0;
  pthread_mutex_lock(&t->lock);
  if (r > 0)
    vbx_proto_tunnel_sent(&t->t, (uint32_t)r, &off);
  else if (r == 0)
    vbx_proto_tunnel_read_eof(&t->t);
  else
    vbx_proto_tunnel_reset(&t->t);
  pthread_mutex_unlock(&t->lock);
  if (r > 0)
    return vbx__conn_send_data(t->c, VBX_PROTO_T_TUNNEL_DATA, t->id, off, buf, (uint32_t)r) == 0
               ? 1
               : VBX_E_IO;
  return 1;
}

/* The tunnel's life after TUNNEL_OPEN: until both ends closed it, the
 * host refused it, the connection went away or a frame could not be
 * sent. */
static void pump(struct vbx__tunnel *t, uint8_t *buf) {
  uint8_t mem[4 * (VBX_PROTO_HEADER_SIZE + 8)]; /* WINDOW_UPDATE, EOF, CLOSE */
  struct vbx_proto_buf fb;
  for (;;) {
    vbx_proto_buf_init_fixed(&fb, mem, sizeof mem);
    pthread_mutex_lock(&t->lock);
    int stop = t->abandoned || t->refused;
    unsigned w = stop ? 0 : step_locked(t, &fb);
    uint32_t room = vbx_proto_tunnel_room(&t->t);
    pthread_mutex_unlock(&t->lock);
    if (stop) return;
    if (fb.len > 0 && vbx__conn_send(t->c, &fb) != 0) return;
    if (w & VBX_PROTO_TUN_DONE) return;
    if (room > 0 && t->fd >= 0) {
      int rc = read_once(t, buf, room);
      if (rc < 0) return;
      if (rc > 0) continue;
    }
    struct pollfd p[2] = {{t->wake, POLLIN, 0}, {t->fd, 0, 0}};
    if (room > 0) p[1].events |= POLLIN;
    if (w & VBX_PROTO_TUN_WANT_WRITE) p[1].events |= POLLOUT;
    if (poll(p, t->fd >= 0 && p[1].events ? 2 : 1, -1) < 0 && errno != EINTR) return;
    if (p[0].revents) {
      uint64_t v;
      ssize_t rr = read(t->wake, &v, sizeof v);
      (void)rr;
    }
  }
}

/* Unregister, close what is open, give the slot back. */
static void finish(struct vbx__tunnel *t) {
  struct vbx__conn *c = t->c;
  struct vbx__agent *a = c->agent;
  vbx__conn_req_del(c, t->id);
  if (t->fd >= 0) reset_close(t->fd);
  close(t->wake);
  pthread_mutex_destroy(&t->lock);
  free(t);
  pthread_mutex_lock(&a->lock);
  a->n_tunnels--;
  pthread_mutex_unlock(&a->lock);
  vbx__conn_put(c);
}

static void *worker(void *arg) {
  struct vbx__tunnel *t = arg;
  uint8_t mem[64];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  uint8_t *buf = malloc(TUN_CHUNK);
  if (buf != NULL && vbx_proto_encode_tunnel_open(&b, t->id, VBX_PROTO_TUNNEL_LLM_GATEWAY) == 0 &&
      vbx__conn_send(t->c, &b) == 0)
    pump(t, buf);
  free(buf);
  finish(t);
  return NULL;
}

/* A new in-box connection fd: a tunnel on the oldest tunnel connection,
 * or a reset when there is none or the limit is reached. Takes fd. */
static void start_tunnel(struct vbx__agent *a, int fd) {
  static unsigned no_host, at_limit, no_memory;
  pthread_mutex_lock(&a->lock);
  struct vbx__conn *c = a->tunnel_conns;
  int busy = a->n_tunnels >= VBX__TUNNEL_MAX || a->shutting_down;
  if (c != NULL && !busy) {
    a->n_tunnels++;
    vbx__conn_get(c);
  }
  pthread_mutex_unlock(&a->lock);
  if (c == NULL || busy) {
    log_refusal(c == NULL ? &no_host : &at_limit,
                c == NULL ? "no host connection carries tunnels" : "too many tunnels (64)");
    reset_close(fd);
    return;
  }
  struct vbx__tunnel *t = calloc(1, sizeof *t + TUN_WINDOW);
  int wfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (t == NULL || wfd < 0) goto fail;
  t->c = c, t->fd = fd, t->wake = wfd;
  pthread_mutex_init(&t->lock, NULL);
  /* Ready before the id is live; it gets its id once registered. */
  vbx_proto_tunnel_init(&t->t, VBX_PROTO_GUEST_ID_BIT, t->ring, TUN_WINDOW);
  if (vbx__conn_req_add_guest(c, VBX__REQ_TUNNEL, t, &t->id) != 0) {
    pthread_mutex_destroy(&t->lock);
    goto fail;
  }
  pthread_mutex_lock(&t->lock);
  t->t.id = t->id;
  pthread_mutex_unlock(&t->lock);
  pthread_t th;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&at, 128 * 1024);
  int rc = pthread_create(&th, &at, worker, t);
  pthread_attr_destroy(&at);
  if (rc != 0) {
    log_refusal(&no_memory, "no worker thread");
    finish(t); /* resets fd */
  }
  return;
fail:
  log_refusal(&no_memory, "out of memory");
  if (wfd >= 0) close(wfd);
  free(t);
  reset_close(fd);
  pthread_mutex_lock(&a->lock);
  a->n_tunnels--;
  pthread_mutex_unlock(&a->lock);
  vbx__conn_put(c);
}

struct listener {
  struct vbx__agent *a;
  int fd;
};

static void *acceptor(void *arg) {
  struct listener *l = arg;
  for (;;) {
    int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) {
      start_tunnel(l->a, fd);
      continue;
    }
    if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS)
      usleep(100000); /* out of descriptors: let tunnels end */
    else if (errno != EINTR && errno != ECONNABORTED && errno != EPROTO)
      vbx__log(0, "tunnel listener: accept: %s", strerror(errno)), usleep(100000);
  }
  return NULL;
}

int vbx__tunnel_listen(struct vbx__agent *a, uint32_t port) {
  static struct listener l;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1, e;
  l.a = a;
  l.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l.fd < 0 || setsockopt(l.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(l.fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(l.fd, 128) != 0) {
    e = errno;
    vbx__log(0, "LLM gateway tunnel: cannot listen on 127.0.0.1:%u: %s", port, strerror(e));
    if (l.fd >= 0) close(l.fd);
    return VBX_E_IO;
  }
  pthread_t th;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&at, 128 * 1024);
  e = pthread_create(&th, &at, acceptor, &l);
  pthread_attr_destroy(&at);
  if (e != 0) {
    vbx__log(0, "LLM gateway tunnel: no acceptor thread: %s", strerror(e));
    close(l.fd);
    return VBX_E_LIMIT;
  }
  vbx__log(1, "LLM gateway tunnel listening on 127.0.0.1:%u", port);
  return 0;
}

void vbx__tunnel_conn_up(struct vbx__conn *c) {
  struct vbx__agent *a = c->agent;
  pthread_mutex_lock(&a->lock);
  struct vbx__conn **pp = &a->tunnel_conns;
  while (*pp != NULL)
    pp = &(*pp)->tunnel_next;
  c->tunnel_next = NULL;
  *pp = c;
  pthread_mutex_unlock(&a->lock);
}

void vbx__tunnel_conn_down(struct vbx__conn *c) {
  struct vbx__agent *a = c->agent;
  pthread_mutex_lock(&a->lock);
  for (struct vbx__conn **pp = &a->tunnel_conns; *pp != NULL; pp = &(*pp)->tunnel_next)
    if (*pp == c) {
      *pp = c->tunnel_next;
      break;
    }
  pthread_mutex_unlock(&a->lock);
}
