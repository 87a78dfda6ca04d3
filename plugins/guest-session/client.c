/*
 * guest-session/client.c - see client.h.
 */
#include "client.h"

#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "voidbox/errors.h"

#define HOST_FEATURES (VBX_PROTO_FEAT_ALL_V1 | VBX_PROTO_FEAT_TUNNEL | VBX_PROTO_FEAT_TELEMETRY_EXT)
#define READ_BUF (64u * 1024u)  /* frames are decoded where they were read */
#define DIRECT_MIN (8u * 1024u) /* a frame missing more is read into its own item */
#define SPARE_MIN (64u * 1024u) /* items kept by gc_item_release from this size on */

struct gc_req {
  gc_req *next;
  gc_conn *c;
  uint32_t id;
  gc_item *head, *tail;
  struct vbx_proto_window win;    /* inbound data */
  struct vbx_proto_credit credit; /* outbound data */
  int credit_evt;                 /* a WINDOW_UPDATE arrived since the last next() */
};

struct gc_conn {
  int fd;
  uint32_t features;
  pthread_t reader;
  int reader_started;
  pthread_mutex_t wlock;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  gc_req *reqs;
  uint32_t next_id;
  int dead;
  char why[256];
  gc_item *spare[GC_SPARES]; /* released large items (lock) */
  pthread_mutex_t hlock;     /* the guest-id handler: set, and held while it runs */
  gc_guest_fn guest_fn;
  void *guest_ctx;
};

static int write_iov(int fd, struct iovec *iov, int n) {
  while (n > 0) {
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = iov;
    mh.msg_iovlen = (size_t)n;
    ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL); /* never SIGPIPE the host */
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return VBX_E_IO;
    size_t left = (size_t)w;
    while (n > 0 && left >= iov->iov_len)
      left -= iov->iov_len, iov++, n--;
    if (n > 0) iov->iov_base = (char *)iov->iov_base + left, iov->iov_len -= left;
  }
  return 0;
}

static int send_iov(gc_conn *c, struct iovec *iov, int n) {
  pthread_mutex_lock(&c->wlock);
  int rc = write_iov(c->fd, iov, n);
  pthread_mutex_unlock(&c->wlock);
  return rc;
}

int gc_send_buf(gc_conn *c, const struct vbx_proto_buf *b) {
  struct iovec iov = {b->data, b->len};
  return send_iov(c, &iov, 1);
}

int gc_send_data(gc_conn *c, unsigned type, uint32_t id, uint64_t off, const void *data,
                 uint32_t len) {
  uint8_t hdr[VBX_PROTO_DATA_HEADER_SIZE];
  if (vbx_proto_data_header(hdr, type, id, off, len) != 0) return VBX_E_INVAL;
  struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)data, len}};
  return send_iov(c, iov, 2);
}

int gc_send_msg(gc_conn *c, const struct vbx_proto_msg *m) {
  struct vbx_proto_buf b;
  vbx_proto_buf_init_growable(&b, 0);
  int rc = vbx_proto_encode_msg(&b, m);
  if (rc == 0) rc = gc_send_buf(c, &b);
  vbx_proto_buf_fini(&b);
  return rc;
}

uint32_t gc_features(gc_conn *c) { return c->features; }

static void die(gc_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void die(gc_conn *c, const char *fmt, ...) {
  pthread_mutex_lock(&c->lock);
  if (!c->dead) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof c->why, fmt, ap);
    va_end(ap);
    c->dead = 1;
  }
  pthread_cond_broadcast(&c->cond);
  pthread_mutex_unlock(&c->lock);
}

int gc_dead(gc_conn *c, char *msg, size_t cap) {
  pthread_mutex_lock(&c->lock);
  int d = c->dead;
  if (d && msg != NULL && cap > 0) snprintf(msg, cap, "%s", c->why);
  pthread_mutex_unlock(&c->lock);
  return d;
}

static gc_req *find(gc_conn *c, uint32_t id) {
  for (gc_req *r = c->reqs; r != NULL; r = r->next)
    if (r->id == id) return r;
  return NULL;
}

void gc_set_guest_handler(gc_conn *c, gc_guest_fn fn, void *ctx) {
  pthread_mutex_lock(&c->hlock);
  c->guest_fn = fn;
  c->guest_ctx = ctx;
  pthread_mutex_unlock(&c->hlock);
}

/* A frame on a guest id: to the handler, or the answer without one.
 * Returns 0 or -1 (the connection dies). */
static int route_guest(gc_conn *c, const struct vbx_proto_frame *f) {
  char why[200] = "";
  int rc = 0;
  if (!(c->features & VBX_PROTO_FEAT_TUNNEL)) {
    die(c, "guest sent %s on guest id %#x without the TUNNEL feature",
        vbx_proto_type_name(f->hdr.type), f->hdr.id);
    return -1;
  }
  pthread_mutex_lock(&c->hlock);
  if (c->guest_fn != NULL) rc = c->guest_fn(c->guest_ctx, f, why, sizeof why);
  int handled = c->guest_fn != NULL;
  pthread_mutex_unlock(&c->hlock);
  if (rc != 0) {
    die(c, "guest protocol error: %s", why);
    return -1;
  }
  if (handled || f->hdr.type != VBX_PROTO_T_TUNNEL_OPEN) return 0;
  uint8_t mem[256];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  struct vbx_proto_error e = {VBX_E_UNSUPPORTED,
                              vbx_proto_str_c("this box has no LLM gateway to tunnel to")};
  if (vbx_proto_encode_error(&b, f->hdr.id, &e) != 0 || gc_send_buf(c, &b) != 0) {
    die(c, "cannot refuse the guest agent's tunnel: the connection is gone");
    return -1;
  }
  return 0;
}

/* The PONG to a PING on any id. Returns 0 or -1 (the connection died:
 * every path that ends the reader marks it dead, or the requests would
 * wait on a connection nobody reads any more). */
static int pong(gc_conn *c, const struct vbx_proto_frame *f) {
  uint64_t cookie;
  if (vbx_proto_decode_ping(f->payload, f->hdr.length, &cookie) != 0) {
    die(c, "guest sent a malformed PING on id %u", f->hdr.id);
    return -1;
  }
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_PONG, .id = f->hdr.id, .u.cookie = cookie};
  if (gc_send_msg(c, &m) != 0) {
    die(c, "cannot answer the guest agent's PING: the connection is gone");
    return -1;
  }
  return 0;
}

static int is_data(unsigned t) {
  return t == VBX_PROTO_T_STDOUT_DATA || t == VBX_PROTO_T_STDERR_DATA || t == VBX_PROTO_T_FILE_DATA;
}

/* One frame from the guest. *own, when not NULL, is an item that already
 * holds f's payload (f->payload points into it): queued as it is (*own
 * then NULL) instead of a copy; the caller frees what is left in *own.
 * Returns 0 or -1 (protocol error: close). */
static int route(gc_conn *c, const struct vbx_proto_frame *f, gc_item **own) {
  unsigned t = f->hdr.type;
  uint32_t id = f->hdr.id;
  if (id == 0) {
    if (t == VBX_PROTO_T_ERROR) {
      struct vbx_proto_error e;
      if (vbx_proto_decode_error(f->payload, f->hdr.length, &e) == 0) {
        die(c, "guest agent closed the connection: %.*s (%d)", (int)e.message.len, e.message.ptr,
            e.code);
        return -1;
      }
    }
    if (t == VBX_PROTO_T_PING) return pong(c, f);
    if (t == VBX_PROTO_T_PONG) return 0;
    die(c, "guest sent %s on id 0", vbx_proto_type_name(t));
    return -1;
  }
  if (t == VBX_PROTO_T_PING) return pong(c, f);
  if (id & VBX_PROTO_GUEST_ID_BIT) return route_guest(c, f);
  int rc = 0;
  pthread_mutex_lock(&c->lock);
  gc_req *r = find(c, id);
  if (r == NULL) goto out; /* request already given up: drop */
  if (t == VBX_PROTO_T_WINDOW_UPDATE) {
    uint32_t inc;
    if (vbx_proto_decode_window_update(f->payload, f->hdr.length, &inc) != 0 ||
        vbx_proto_credit_grant(&r->credit, inc) != 0)
      rc = -1;
    r->credit_evt = 1;
    pthread_cond_broadcast(&c->cond);
    goto out;
  }
  if (is_data(t)) {
    if (f->hdr.length <= VBX_PROTO_DATA_PREFIX ||
        vbx_proto_window_on_data(&r->win, f->hdr.length - VBX_PROTO_DATA_PREFIX) != 0) {
      rc = -1;
      goto out;
    }
  }
  gc_item *it = *own;
  *own = NULL;
  if (it == NULL) {
    it = malloc(sizeof *it + f->hdr.length);
    if (it == NULL) {
      rc = -1;
      goto out;
    }
    it->cap = f->hdr.length;
    if (f->hdr.length) memcpy(it->payload, f->payload, f->hdr.length);
  }
  it->next = NULL;
  it->type = (uint8_t)t;
  it->len = f->hdr.length;
  if (r->tail)
    r->tail->next = it;
  else
    r->head = it;
  r->tail = it;
  pthread_cond_broadcast(&c->cond);
out:
  pthread_mutex_unlock(&c->lock);
  if (rc != 0)
    die(c, "guest protocol error: %s on request %u overran its window or was malformed",
        vbx_proto_type_name(t), id);
  return rc;
}

/* read(2) that retries on EINTR; on EOF or an error the connection dies
 * (returns -1). */
static ssize_t read_more(gc_conn *c, void *buf, size_t cap) {
  ssize_t n;
  do
    n = read(c->fd, buf, cap);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    die(c, "guest agent connection lost (%s)", n == 0 ? "EOF" : strerror(errno));
    return -1;
  }
  return n;
}

/* The frame whose header (validated: h) and first `got` payload bytes are
 * at p: read the rest of its payload straight into the item it is queued
 * as, so a large frame is copied once. Returns 0 or -1 (close). */
static int read_direct(gc_conn *c, const struct vbx_proto_header *h, const uint8_t *p, size_t got) {
  gc_item *it = NULL;
  pthread_mutex_lock(&c->lock);
  for (int i = 0; i < GC_SPARES && it == NULL; i++)
    if (c->spare[i] != NULL && c->spare[i]->cap >= h->length) it = c->spare[i], c->spare[i] = NULL;
  pthread_mutex_unlock(&c->lock);
  if (it == NULL && (it = malloc(sizeof *it + h->length)) != NULL) /* <= VBX_PROTO_MAX_PAYLOAD */
    it->cap = h->length;
  if (it == NULL) {
    die(c, "out of memory reading a frame from the guest agent");
    return -1;
  }
  memcpy(it->payload, p, got);
  while (got < h->length) {
    ssize_t n = read_more(c, it->payload + got, h->length - got);
    if (n < 0) {
      free(it);
      return -1;
    }
    got += (size_t)n;
  }
  struct vbx_proto_frame f = {*h, it->payload};
  int rc = route(c, &f, &it);
  free(it);
  return rc;
}

static void *reader_main(void *arg) {
  gc_conn *c = arg;
  uint8_t *buf = malloc(READ_BUF);
  size_t have = 0, pos = 0; /* bytes not yet decoded: buf[pos, have) */
  if (buf == NULL) die(c, "out of memory starting the reader");
  while (buf != NULL) {
    struct vbx_proto_frame f;
    size_t flen;
    int rc = vbx_proto_frame_parse(buf + pos, have - pos, 0, &f, &flen);
    if (rc == 0) {
      gc_item *none = NULL;
      if (route(c, &f, &none) != 0) break;
      pos += flen;
      continue;
    }
    if (rc != VBX_PROTO_E_AGAIN) {
      die(c, "guest sent a malformed frame (%d)", rc);
      break;
    }
    size_t part = have - pos; /* the start of a frame */
    if (part >= VBX_PROTO_HEADER_SIZE) {
      struct vbx_proto_header h; /* valid: frame_parse checked it */
      vbx_proto_header_parse(buf + pos, 0, &h);
      size_t left = VBX_PROTO_HEADER_SIZE + h.length - part;
      if (VBX_PROTO_HEADER_SIZE + h.length > READ_BUF || left > DIRECT_MIN) {
        if (read_direct(c, &h, buf + pos + VBX_PROTO_HEADER_SIZE, part - VBX_PROTO_HEADER_SIZE) !=
            0)
          break;
        pos = have = 0;
        continue;
      }
    }
    memmove(buf, buf + pos, part);
    pos = 0, have = part;
    ssize_t n = read_more(c, buf + have, READ_BUF - have);
    if (n < 0) break;
    have += (size_t)n;
  }
  free(buf);
  die(c, "guest agent connection closed"); /* a no-op when a reason is set */
  shutdown(c->fd, SHUT_RDWR);
  return NULL;
}

/* Blocking read of one whole frame during the handshake. */
static int read_frame(int fd, struct vbx_proto_decoder *d, uint8_t *buf, size_t *have, size_t *pos,
                      struct vbx_proto_frame *f, int timeout_ms) {
  for (;;) {
    if (*pos < *have) {
      size_t used = 0;
      int rc = vbx_proto_decoder_feed(d, buf + *pos, *have - *pos, &used, f);
      *pos += used;
      if (rc != VBX_PROTO_E_AGAIN) return rc;
    }
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return VBX_E_TIMEOUT;
    ssize_t n = read(fd, buf, 4096);
    if (n <= 0) return VBX_E_IO;
    *have = (size_t)n;
    *pos = 0;
  }
}

int gc_connect_fd(int fd, const void *secret, size_t secret_len, int timeout_ms, gc_conn **out,
                  char *err, size_t errcap) {
  *out = NULL;
  struct vbx_proto_decoder d;
  vbx_proto_decoder_init(&d, 4096, NULL, 0);
  uint8_t buf[4096];
  size_t have = 0, pos = 0;
  struct vbx_proto_frame f;
  struct vbx_proto_msg m;
  int rc = read_frame(fd, &d, buf, &have, &pos, &f, timeout_ms);
  if (rc != 0 || f.hdr.type != VBX_PROTO_T_CHALLENGE || vbx_proto_decode_msg(&f, &m) != 0) {
    snprintf(err, errcap, "handshake: no valid CHALLENGE from the guest agent (%d)", rc);
    rc = rc == VBX_E_TIMEOUT ? rc : VBX_E_PROTOCOL;
    goto fail;
  }
  struct vbx_proto_hello hello = {
      VBX_PROTO_VERSION_MIN, VBX_PROTO_VERSION_MAX, HOST_FEATURES, {0}, {0}};
  vbx_proto_host_proof(secret, secret_len, m.u.challenge.nonce, hello.proof);
  if (getrandom(hello.host_nonce, sizeof hello.host_nonce, 0) != sizeof hello.host_nonce) {
    rc = VBX_E_IO;
    snprintf(err, errcap, "getrandom failed");
    goto fail;
  }
  uint8_t mem[256];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  vbx_proto_encode_hello(&b, &hello);
  struct iovec iov = {b.data, b.len};
  if (write_iov(fd, &iov, 1) != 0) {
    rc = VBX_E_IO;
    snprintf(err, errcap, "handshake: write failed");
    goto fail;
  }
  rc = read_frame(fd, &d, buf, &have, &pos, &f, timeout_ms);
  if (rc == 0 && f.hdr.type == VBX_PROTO_T_ERROR && vbx_proto_decode_msg(&f, &m) == 0) {
    rc = m.u.error.code == VBX_E_AUTH ? VBX_E_AUTH : VBX_E_PROTOCOL;
    snprintf(err, errcap, "handshake refused by the guest agent: %.*s", (int)m.u.error.message.len,
             m.u.error.message.ptr);
    goto fail;
  }
  if (rc != 0 || f.hdr.type != VBX_PROTO_T_HELLO_OK || vbx_proto_decode_msg(&f, &m) != 0) {
    snprintf(err, errcap, "handshake: no valid HELLO_OK from the guest agent (%d)", rc);
    rc = rc == VBX_E_TIMEOUT ? rc : VBX_E_PROTOCOL;
    goto fail;
  }
  rc = vbx_proto_host_check_hello_ok(secret, secret_len, &hello, &m.u.hello_ok);
  if (rc != 0) {
    snprintf(err, errcap, "handshake: the guest agent failed to prove the session secret");
    rc = VBX_E_AUTH;
    goto fail;
  }
  if (pos != have) {
    rc = VBX_E_PROTOCOL;
    snprintf(err, errcap, "handshake: unexpected bytes after HELLO_OK");
    goto fail;
  }
  gc_conn *c = calloc(1, sizeof *c);
  if (c == NULL) {
    rc = VBX_E_NOMEM;
    snprintf(err, errcap, "out of memory");
    goto fail;
  }
  c->fd = fd;
  c->features = m.u.hello_ok.features;
  c->next_id = 1;
  pthread_mutex_init(&c->wlock, NULL);
  pthread_mutex_init(&c->lock, NULL);
  pthread_mutex_init(&c->hlock, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&c->cond, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&c->reader, NULL, reader_main, c) != 0) {
    free(c);
    rc = VBX_E_NOMEM;
    snprintf(err, errcap, "cannot start the reader thread");
    goto fail;
  }
  c->reader_started = 1;
  vbx_proto_decoder_fini(&d);
  *out = c;
  return 0;
fail:
  vbx_proto_decoder_fini(&d);
  close(fd);
  return rc;
}

int gc_connect_unix(const char *path, const void *secret, size_t secret_len, int timeout_ms,
                    gc_conn **out, char *err, size_t errcap) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) {
    snprintf(err, errcap, "socket path too long: %s", path);
    return VBX_E_INVAL;
  }
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    snprintf(err, errcap, "connect %s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    return VBX_E_IO;
  }
  return gc_connect_fd(fd, secret, secret_len, timeout_ms, out, err, errcap);
}

void gc_item_release(gc_conn *c, gc_item *it) {
  if (it != NULL && it->cap >= SPARE_MIN) {
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < GC_SPARES && it != NULL; i++)
      if (c->spare[i] == NULL) c->spare[i] = it, it = NULL;
    pthread_mutex_unlock(&c->lock);
  }
  free(it);
}

void gc_close(gc_conn *c) {
  if (c == NULL) return;
  shutdown(c->fd, SHUT_RDWR);
  if (c->reader_started) pthread_join(c->reader, NULL);
  for (int i = 0; i < GC_SPARES; i++)
    free(c->spare[i]);
  close(c->fd);
  pthread_mutex_destroy(&c->wlock);
  pthread_mutex_destroy(&c->lock);
  pthread_mutex_destroy(&c->hlock);
  pthread_cond_destroy(&c->cond);
  free(c);
}

int gc_req_new(gc_conn *c, uint32_t in_window, gc_req **out) {
  gc_req *r = calloc(1, sizeof *r);
  if (r == NULL) return VBX_E_NOMEM;
  r->c = c;
  vbx_proto_window_init(&r->win, in_window ? in_window : VBX_PROTO_INITIAL_WINDOW);
  vbx_proto_credit_init(&r->credit);
  pthread_mutex_lock(&c->lock);
  if (c->dead) {
    pthread_mutex_unlock(&c->lock);
    free(r);
    return VBX_E_STATE;
  }
  do { /* 1..0x7fffffff: ids with VBX_PROTO_GUEST_ID_BIT are the guest's */
    r->id = c->next_id++ & ~VBX_PROTO_GUEST_ID_BIT;
  } while (r->id == 0 || find(c, r->id) != NULL);
  r->next = c->reqs;
  c->reqs = r;
  pthread_mutex_unlock(&c->lock);
  *out = r;
  return 0;
}

uint32_t gc_req_id(const gc_req *r) { return r->id; }

static void deadline_ts(struct timespec *ts, int timeout_ms) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += timeout_ms / 1000;
  ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}

int gc_req_next(gc_req *r, int timeout_ms, gc_item **item) {
  gc_conn *c = r->c;
  struct timespec ts;
  if (timeout_ms >= 0) deadline_ts(&ts, timeout_ms);
  int rc = 0;
  pthread_mutex_lock(&c->lock);
  while (r->head == NULL && !c->dead && !r->credit_evt) {
    if (timeout_ms < 0)
      pthread_cond_wait(&c->cond, &c->lock);
    else if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) == ETIMEDOUT)
      break;
  }
  r->credit_evt = 0;
  if (r->head != NULL) {
    *item = r->head;
    r->head = r->head->next;
    if (r->head == NULL) r->tail = NULL;
  } else {
    rc = c->dead ? VBX_E_SANDBOX : VBX_E_AGAIN;
  }
  pthread_mutex_unlock(&c->lock);
  return rc;
}

int gc_req_consumed(gc_req *r, uint32_t n) {
  gc_conn *c = r->c;
  pthread_mutex_lock(&c->lock);
  vbx_proto_window_on_consumed(&r->win, n);
  uint32_t inc = vbx_proto_window_grant(&r->win);
  pthread_mutex_unlock(&c->lock);
  if (inc == 0) return 0;
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_WINDOW_UPDATE, .id = r->id, .u.increment = inc};
  return gc_send_msg(c, &m);
}

uint32_t gc_req_credit(gc_req *r) {
  pthread_mutex_lock(&r->c->lock);
  uint32_t a = vbx_proto_credit_available(&r->credit);
  pthread_mutex_unlock(&r->c->lock);
  return a;
}

uint32_t gc_req_wait_credit(gc_req *r, int timeout_ms) {
  gc_conn *c = r->c;
  struct timespec ts;
  deadline_ts(&ts, timeout_ms);
  pthread_mutex_lock(&c->lock);
  uint32_t a;
  while ((a = vbx_proto_credit_available(&r->credit)) == 0 && !c->dead)
    if (pthread_cond_timedwait(&c->cond, &c->lock, &ts) == ETIMEDOUT) break;
  if (c->dead) a = 0;
  pthread_mutex_unlock(&c->lock);
  return a;
}

void gc_req_consume_credit(gc_req *r, uint32_t n) {
  pthread_mutex_lock(&r->c->lock);
  vbx_proto_credit_consume(&r->credit, n);
  pthread_mutex_unlock(&r->c->lock);
}

void gc_req_free(gc_req *r) {
  if (r == NULL) return;
  gc_conn *c = r->c;
  pthread_mutex_lock(&c->lock);
  for (gc_req **pp = &c->reqs; *pp != NULL; pp = &(*pp)->next)
    if (*pp == r) {
      *pp = r->next;
      break;
    }
  pthread_mutex_unlock(&c->lock);
  gc_item *it = r->head;
  while (it != NULL) {
    gc_item *n = it->next;
    free(it);
    it = n;
  }
  free(r);
}
