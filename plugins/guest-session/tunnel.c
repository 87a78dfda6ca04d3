/*
 * guest-session/tunnel.c - the host end of a box's tunnels (see
 * tunnel.h): the reader thread's handler records what the guest sent, the
 * poll thread connects, moves bytes and writes every frame.
 */
#include "tunnel.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "voidbox/errors.h"

#define TUN_WINDOW VBX_PROTO_INITIAL_WINDOW /* the guest's bytes held, per tunnel */
#define TUN_CHUNK 65536u                    /* one read from the gateway */
#define TUN_ROUND_READS 16                  /* reads of one tunnel per round */
#define TUN_CONNECT_MS 10000                /* a gateway that does not accept by then */

/* Where a tunnel is on the host side. */
enum {
  T_NEW,        /* TUNNEL_OPEN arrived: connect due */
  T_CONNECTING, /* connect() in progress */
  T_OPEN,       /* TUNNEL_OPENED sent (or the guest reset first) */
  T_REFUSE,     /* ERROR due instead of TUNNEL_OPENED */
  T_GONE        /* ERROR sent: forgotten at the next round */
};

typedef struct tun {
  struct tun *next;
  uint32_t id;
  int fd;         /* to the gateway; -1 before connect() and once closed */
  int phase;      /* T_* */
  uint64_t since; /* T_CONNECTING: when connect() began (ms) */
  int code;       /* T_REFUSE: the ERROR's code and text */
  char msg[160];
  struct vbx_proto_tunnel t;
  uint8_t *ring; /* TUN_WINDOW bytes of the guest's data (none if refused) */
} tun;

struct gs_tunnels {
  gc_conn *c;
  uint16_t port;
  pthread_t thread;
  int wake;             /* eventfd: the handler changed something, or stop */
  pthread_mutex_t lock; /* below, shared with the reader thread */
  tun *list;
  unsigned n;
  int stop;
};

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void wake(gs_tunnels *T) {
  uint64_t one = 1;
  ssize_t w = write(T->wake, &one, sizeof one);
  (void)w;
}

static tun *find(gs_tunnels *T, uint32_t id) {
  for (tun *x = T->list; x != NULL; x = x->next)
    if (x->id == id) return x;
  return NULL;
}

static void free_tun(tun *x) {
  free(x->ring);
  free(x);
}

/* Tunnels that count against GS_TUNNEL_MAX: not refused, not over at both
 * ends (an ended one not yet dropped may already be gone at the guest,
 * which then counts it no more). T->lock held. */
static unsigned live(gs_tunnels *T) {
  unsigned n = 0;
  for (tun *x = T->list; x != NULL; x = x->next)
    n += x->phase < T_REFUSE && !(vbx_proto_tunnel_wants(&x->t) & VBX_PROTO_TUN_DONE);
  return n;
}

/* A new tunnel on id (T->lock held): connect due, or refused (limit,
 * memory). Returns 0, or -1 when even the refusal cannot be recorded or
 * the guest opened far more than the limit before hearing back. */
static int add_tunnel(gs_tunnels *T, uint32_t id) {
  if (T->n >= 2 * GS_TUNNEL_MAX) return -1;
  tun *x = calloc(1, sizeof *x);
  if (x == NULL) return -1;
  x->id = id;
  x->fd = -1;
  x->ring = live(T) < GS_TUNNEL_MAX ? malloc(TUN_WINDOW) : NULL;
  if (x->ring != NULL) {
    vbx_proto_tunnel_init(&x->t, id, x->ring, TUN_WINDOW);
  } else {
    x->phase = T_REFUSE;
    x->code = VBX_E_LIMIT;
    snprintf(x->msg, sizeof x->msg, "too many tunnels (%d) on this box", GS_TUNNEL_MAX);
  }
  x->next = T->list;
  T->list = x;
  T->n++;
  return 0;
}

/* A guest frame m on tunnel x (NULL: not live) applied to x (T->lock
 * held); what the guest did wrong, or NULL when nothing. */
static const char *wrong(const struct vbx_proto_msg *m, tun *x) {
  if (m->type == VBX_PROTO_T_TUNNEL_OPEN) return x != NULL ? "TUNNEL_OPEN on a live tunnel" : NULL;
  if (m->type != VBX_PROTO_T_TUNNEL_DATA && m->type != VBX_PROTO_T_TUNNEL_EOF &&
      m->type != VBX_PROTO_T_TUNNEL_CLOSE && m->type != VBX_PROTO_T_WINDOW_UPDATE)
    return "a frame tunnels do not take";
  if (x == NULL || x->phase >= T_REFUSE) return NULL; /* crossed our ERROR or CLOSE */
  return vbx_proto_tunnel_recv(&x->t, m) != 0 ? "a frame that breaks the tunnel's rules" : NULL;
}

/* The reader thread's handler (client.h gc_guest_fn): record, wake. */
static int on_frame(void *ctx, const struct vbx_proto_frame *f, char *why, size_t cap) {
  gs_tunnels *T = ctx;
  struct vbx_proto_msg m;
  const char *type = vbx_proto_type_name(f->hdr.type), *bad = NULL;
  if (vbx_proto_decode_msg(f, &m) != 0) {
    snprintf(why, cap, "malformed %s on guest id %#x", type ? type : "frame", f->hdr.id);
    return -1;
  }
  if (m.type == VBX_PROTO_T_ERROR || m.type == VBX_PROTO_T_PONG) return 0; /* nothing to do */
  pthread_mutex_lock(&T->lock);
  tun *x = find(T, m.id);
  bad = wrong(&m, x);
  if (bad == NULL && m.type == VBX_PROTO_T_TUNNEL_OPEN && add_tunnel(T, m.id) != 0)
    bad = "a TUNNEL_OPEN beyond twice the tunnel limit, or out of memory";
  pthread_mutex_unlock(&T->lock);
  if (bad != NULL) {
    snprintf(why, cap, "%s on tunnel %#x: %s", type, m.id, bad);
    return -1;
  }
  wake(T);
  return 0;
}

/* Close x's gateway socket, with RST after a reset (x's lock held). */
static void close_sock(tun *x) {
  if (x->fd < 0) return;
  if (vbx_proto_tunnel_is_reset(&x->t)) {
    struct linger l = {1, 0};
    setsockopt(x->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  close(x->fd);
  x->fd = -1;
}

/* T_NEW: a non-blocking connect to the gateway (T->lock held). */
static void start_connect(gs_tunnels *T, tun *x) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(T->port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (vbx_proto_tunnel_is_reset(&x->t)) { /* the guest gave up first */
    x->phase = T_OPEN;
    vbx_proto_tunnel_closed(&x->t);
    return;
  }
  x->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (x->fd >= 0 &&
      (connect(x->fd, (struct sockaddr *)&sa, sizeof sa) == 0 || errno == EINPROGRESS)) {
    x->phase = T_CONNECTING;
    x->since = now_ms();
    return;
  }
  x->phase = T_REFUSE;
  x->code = VBX_E_IO;
  snprintf(x->msg, sizeof x->msg, "connect 127.0.0.1:%u (the box's LLM gateway): %s", T->port,
           strerror(errno));
  close_sock(x);
}

/* T_CONNECTING: done yet? On success TUNNEL_OPENED goes into fb; a
 * gateway that has not accepted within TUN_CONNECT_MS (its backlog full)
 * is a refusal (T->lock held). */
static void finish_connect(gs_tunnels *T, tun *x, struct vbx_proto_buf *fb) {
  struct pollfd p = {x->fd, POLLOUT, 0};
  int err = 0, late = now_ms() - x->since >= TUN_CONNECT_MS;
  if (!vbx_proto_tunnel_is_reset(&x->t) && poll(&p, 1, 0) == 0 && !late)
    return; /* still connecting */
  socklen_t len = sizeof err;
  if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == 0 && !(p.revents & POLLOUT)) err = ETIMEDOUT;
  x->phase = T_OPEN;
  if (vbx_proto_tunnel_is_reset(&x->t)) { /* the guest gave up meanwhile */
    close_sock(x);
    vbx_proto_tunnel_closed(&x->t);
  } else if (err != 0) {
    x->phase = T_REFUSE;
    x->code = VBX_E_IO;
    snprintf(x->msg, sizeof x->msg, "connect 127.0.0.1:%u (the box's LLM gateway): %s", T->port,
             strerror(err));
    close_sock(x);
  } else if (vbx_proto_encode_empty(fb, VBX_PROTO_T_TUNNEL_OPENED, x->id) == 0) {
    vbx_proto_tunnel_open(&x->t);
  }
}

/* One locked step of x: connect, the guest's bytes to the gateway,
 * shutdown and close when due, the control frames (into fb). Returns the
 * bytes x may read now (T->lock held). */
static uint32_t step_locked(gs_tunnels *T, tun *x, struct vbx_proto_buf *fb) {
  if (x->phase == T_NEW) start_connect(T, x);
  if (x->phase == T_CONNECTING) finish_connect(T, x, fb);
  if (x->phase == T_REFUSE) {
    struct vbx_proto_error e = {x->code, vbx_proto_str_c(x->msg)};
    vbx_proto_encode_error(fb, x->id, &e);
    x->phase = T_GONE;
    return 0;
  }
  if (x->phase != T_OPEN) return 0;
  const uint8_t *p;
  uint32_t n;
  while (x->fd >= 0 && (n = vbx_proto_tunnel_pending(&x->t, &p)) > 0) {
    ssize_t w = send(x->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (w <= 0) { /* the gateway is gone */
      vbx_proto_tunnel_reset(&x->t);
      break;
    }
    vbx_proto_tunnel_written(&x->t, (uint32_t)w);
  }
  if (vbx_proto_tunnel_wants(&x->t) & VBX_PROTO_TUN_WANT_SHUTDOWN) {
    shutdown(x->fd, SHUT_WR);
    vbx_proto_tunnel_shutdown_done(&x->t);
  }
  if (vbx_proto_tunnel_wants(&x->t) & VBX_PROTO_TUN_WANT_CLOSE) {
    close_sock(x);
    vbx_proto_tunnel_closed(&x->t);
  }
  while (vbx_proto_tunnel_next_frame(&x->t, fb) == 1)
    ;
  return vbx_proto_tunnel_room(&x->t);
}

/* Serve x for one round: locked steps, their frames sent, and reads from
 * the gateway sent as TUNNEL_DATA, up to TUN_ROUND_READS reads. Returns 1
 * when x has more to read at once, 0 when it waits for an event, -1 when
 * the connection to the guest is gone. */
static int serve_one(gs_tunnels *T, tun *x, uint8_t *buf) {
  uint8_t mem[512]; /* ERROR or OPENED, WINDOW_UPDATE, EOF, CLOSE */
  for (int reads = 0;; reads++) {
    struct vbx_proto_buf fb;
    vbx_proto_buf_init_fixed(&fb, mem, sizeof mem);
    pthread_mutex_lock(&T->lock);
    uint32_t room = step_locked(T, x, &fb);
    int fd = x->fd;
    pthread_mutex_unlock(&T->lock);
    if (fb.len > 0 && gc_send_buf(T->c, &fb) != 0) return -1;
    if (room == 0 || fd < 0) return 0;
    if (reads == TUN_ROUND_READS) return 1;
    ssize_t r = recv(fd, buf, room < TUN_CHUNK ? room : TUN_CHUNK, MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (r < 0 && errno == EINTR) continue;
    uint64_t off = 0;
    pthread_mutex_lock(&T->lock);
    if (r > 0)
      vbx_proto_tunnel_sent(&x->t, (uint32_t)r, &off);
    else if (r == 0)
      vbx_proto_tunnel_read_eof(&x->t);
    else
      vbx_proto_tunnel_reset(&x->t);
    pthread_mutex_unlock(&T->lock);
    if (r > 0 && gc_send_data(T->c, VBX_PROTO_T_TUNNEL_DATA, x->id, off, buf, (uint32_t)r) != 0)
      return -1;
  }
}

/* Drop the tunnels that are over (ERROR sent, or done at both ends) and
 * fill p with the sockets to wait on; returns their number, with
 * *connecting set when a connect is in progress (T->lock held). */
static nfds_t reap_and_watch(gs_tunnels *T, struct pollfd *p, int *connecting) {
  nfds_t np = 1;
  *connecting = 0;
  for (tun **pp = &T->list; *pp != NULL;) {
    tun *x = *pp;
    unsigned w = vbx_proto_tunnel_wants(&x->t);
    if (x->phase == T_GONE || (x->phase == T_OPEN && (w & VBX_PROTO_TUN_DONE))) {
      *pp = x->next;
      close_sock(x);
      free_tun(x);
      T->n--;
      continue;
    }
    *connecting |= x->phase == T_CONNECTING;
    short ev = x->phase == T_CONNECTING ? POLLOUT : 0;
    if (w & VBX_PROTO_TUN_WANT_READ) ev |= POLLIN;
    if (w & VBX_PROTO_TUN_WANT_WRITE) ev |= POLLOUT;
    if (x->fd >= 0 && ev && np < 1 + GS_TUNNEL_MAX) p[np++] = (struct pollfd){x->fd, ev, 0};
    pp = &x->next;
  }
  return np;
}

static void *poll_main(void *arg) {
  gs_tunnels *T = arg;
  uint8_t *buf = malloc(TUN_CHUNK);
  struct pollfd p[1 + GS_TUNNEL_MAX];
  int dead = buf == NULL, again = 0, connecting = 0;
  for (;;) {
    pthread_mutex_lock(&T->lock);
    nfds_t np = T->stop ? 0 : reap_and_watch(T, p, &connecting);
    pthread_mutex_unlock(&T->lock);
    if (np == 0) break;
    p[0] = (struct pollfd){T->wake, POLLIN, 0};
    int tmo = again ? 0 : connecting ? 1000 : -1; /* a connect's deadline is checked each second */
    if (poll(p, dead ? 1 : np, tmo) < 0 && errno != EINTR) break;
    if (p[0].revents) {
      uint64_t v;
      ssize_t rr = read(T->wake, &v, sizeof v);
      (void)rr;
    }
    if (dead) continue; /* the guest is gone: wait for stop */
    /* Every tunnel, not only those with events: the handler may have
     * changed any of them. The list only grows at its head meanwhile, and
     * only this thread frees. */
    tun *snap[2 * GS_TUNNEL_MAX];
    unsigned n = 0;
    pthread_mutex_lock(&T->lock);
    for (tun *x = T->list; x != NULL && n < 2 * GS_TUNNEL_MAX; x = x->next)
      snap[n++] = x;
    pthread_mutex_unlock(&T->lock);
    again = 0;
    for (unsigned i = 0; i < n && !dead; i++) {
      int rc = serve_one(T, snap[i], buf);
      if (rc < 0) dead = 1;
      if (rc > 0) again = 1;
    }
    if (dead) { /* no frame reaches the guest any more: the gateway's ends go now */
      pthread_mutex_lock(&T->lock);
      for (tun *x = T->list; x != NULL; x = x->next) {
        vbx_proto_tunnel_reset(&x->t);
        close_sock(x);
      }
      pthread_mutex_unlock(&T->lock);
    }
  }
  free(buf);
  return NULL;
}

int gs_tunnels_start(gc_conn *c, uint32_t port, gs_tunnels **out, char *err, size_t errcap) {
  *out = NULL;
  if (!(gc_features(c) & VBX_PROTO_FEAT_TUNNEL)) {
    snprintf(err, errcap,
             "the guest agent does not offer the TUNNEL protocol feature (an agent older than "
             "this voidbox: rebuild the guest image or the agent)");
    return VBX_E_UNSUPPORTED;
  }
  if (port == 0 || port > 65535) {
    snprintf(err, errcap, "LLM gateway port %u is not a TCP port", port);
    return VBX_E_INVAL;
  }
  gs_tunnels *T = calloc(1, sizeof *T);
  if (T == NULL) {
    snprintf(err, errcap, "out of memory");
    return VBX_E_NOMEM;
  }
  T->c = c;
  T->port = (uint16_t)port;
  T->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  pthread_mutex_init(&T->lock, NULL);
  int rc = T->wake < 0 ? errno : pthread_create(&T->thread, NULL, poll_main, T);
  if (rc != 0) {
    snprintf(err, errcap, "tunnels: %s", strerror(rc));
    if (T->wake >= 0) close(T->wake);
    pthread_mutex_destroy(&T->lock);
    free(T);
    return VBX_E_LIMIT;
  }
  gc_set_guest_handler(c, on_frame, T);
  *out = T;
  return 0;
}

unsigned gs_tunnels_count(gs_tunnels *T) {
  pthread_mutex_lock(&T->lock);
  unsigned n = T->n;
  pthread_mutex_unlock(&T->lock);
  return n;
}

void gs_tunnels_stop(gs_tunnels *T) {
  if (T == NULL) return;
  gc_set_guest_handler(T->c, NULL, NULL); /* the reader is out of on_frame */
  pthread_mutex_lock(&T->lock);
  T->stop = 1;
  pthread_mutex_unlock(&T->lock);
  wake(T);
  pthread_join(T->thread, NULL);
  while (T->list != NULL) {
    tun *x = T->list;
    T->list = x->next;
    vbx_proto_tunnel_reset(&x->t); /* RST: the box is going away */
    close_sock(x);
    free_tun(x);
  }
  close(T->wake);
  pthread_mutex_destroy(&T->lock);
  free(T);
}
