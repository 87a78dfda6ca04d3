/*
 * guest/agent/conn.c - one client connection: the authenticated handshake,
 * then the read loop that dispatches frames by type and id. Anything
 * malformed ends this connection only; other connections are untouched.
 */
#include <errno.h>
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

#define HANDSHAKE_MS 10000
#define AGENT_FEATURES                                                                     \
  (VBX_PROTO_FEAT_STDIN | VBX_PROTO_FEAT_FILES | VBX_PROTO_FEAT_SIGNAL | VBX_PROTO_FEAT_TELEMETRY)

static int write_all(struct vbx__conn *c, struct iovec *iov, int n) {
  while (n > 0) {
    ssize_t w = writev(c->fd, iov, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
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

static int send_iov(struct vbx__conn *c, struct iovec *iov, int n) {
  int rc = -1;
  pthread_mutex_lock(&c->wlock);
  if (!c->broken) {
    rc = write_all(c, iov, n);
    if (rc != 0)
      c->broken = 1;
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
  if (vbx_proto_data_header(hdr, type, id, off, len) != 0)
    return -1;
  struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)data, len}};
  return send_iov(c, iov, 2);
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
  if (vbx_proto_encode_error(&b, id, &e) != 0)
    return -1;
  return vbx__conn_send(c, &b);
}

int vbx__conn_send_window(struct vbx__conn *c, uint32_t id, uint32_t inc) {
  uint8_t mem[64];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  if (vbx_proto_encode_window_update(&b, id, inc) != 0)
    return -1;
  return vbx__conn_send(c, &b);
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
  if (!last)
    return;
  close(c->fd);
  pthread_mutex_destroy(&c->lock);
  pthread_mutex_destroy(&c->wlock);
  free(c);
}

static struct vbx__req *req_find(struct vbx__conn *c, uint32_t id) {
  for (struct vbx__req *r = c->reqs; r != NULL; r = r->next)
    if (r->id == id)
      return r;
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

/* Register id (the reader thread only). -1 if already live or no memory. */
static int req_add(struct vbx__conn *c, uint32_t id, int kind, void *obj) {
  struct vbx__req *r = calloc(1, sizeof *r);
  if (r == NULL)
    return -1;
  r->id = id, r->kind = kind, r->obj = obj;
  pthread_mutex_lock(&c->lock);
  r->next = c->reqs;
  c->reqs = r;
  pthread_mutex_unlock(&c->lock);
  return 0;
}

/* Is id live? (reader thread; callers refuse a new request on a live id) */
static int req_live(struct vbx__conn *c, uint32_t id) {
  pthread_mutex_lock(&c->lock);
  int live = req_find(c, id) != NULL;
  pthread_mutex_unlock(&c->lock);
  return live;
}

/* Read with a deadline (ms, -1 none). Returns bytes, 0 on EOF, -1 error. */
static ssize_t read_some(int fd, uint8_t *buf, size_t cap, int timeout_ms) {
  if (timeout_ms >= 0) {
    struct pollfd p = {fd, POLLIN, 0};
    int r;
    do
      r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r <= 0)
      return -1;
  }
  ssize_t n;
  do
    n = read(fd, buf, cap);
  while (n < 0 && errno == EINTR);
  return n;
}

struct reader {
  struct vbx_proto_decoder dec;
  uint8_t buf[65536];
  size_t have, pos;
};

/* Next whole frame. Returns 0, or -1 on EOF / error / timeout. */
static int next_frame(struct vbx__conn *c, struct reader *r, struct vbx_proto_frame *f,
                      int timeout_ms) {
  for (;;) {
    if (r->pos < r->have) {
      size_t used = 0;
      int rc = vbx_proto_decoder_feed(&r->dec, r->buf + r->pos, r->have - r->pos, &used, f);
      r->pos += used;
      if (rc == 0)
        return 0;
      if (rc != VBX_PROTO_E_AGAIN) {
        vbx__log(1, "connection closed: bad frame (%d)", rc);
        vbx__conn_send_error(c, 0, rc, "malformed frame");
        return -1;
      }
    }
    r->pos = r->have = 0;
    ssize_t n = read_some(c->fd, r->buf, sizeof r->buf, timeout_ms);
    if (n <= 0)
      return -1;
    r->have = (size_t)n;
  }
}

static int handshake(struct vbx__conn *c, struct reader *r) {
  struct vbx__agent *a = c->agent;
  struct vbx_proto_challenge ch = {VBX_PROTO_VERSION_MIN, VBX_PROTO_VERSION_MAX, AGENT_FEATURES,
                                   {0}};
  if (getrandom(ch.nonce, sizeof ch.nonce, 0) != (ssize_t)sizeof ch.nonce)
    return -1;
  uint8_t mem[256];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  if (vbx_proto_encode_challenge(&b, &ch) != 0 || vbx__conn_send(c, &b) != 0)
    return -1;
  struct vbx_proto_frame f;
  if (next_frame(c, r, &f, HANDSHAKE_MS) != 0)
    return -1;
  struct vbx_proto_msg m;
  if (f.hdr.type != VBX_PROTO_T_HELLO || vbx_proto_decode_msg(&f, &m) != 0) {
    vbx__conn_send_error(c, 0, VBX_E_PROTOCOL, "expected HELLO");
    return -1;
  }
  struct vbx_proto_hello_ok ok;
  int rc = vbx_proto_guest_check_hello(a->secret, a->secret_len, &ch, &m.u.hello, &ok);
  if (rc != 0) {
    vbx__log(1, "handshake refused: %s", rc == VBX_PROTO_E_AUTH ? "bad proof" : "version");
    vbx__conn_send_error(c, 0, rc, rc == VBX_PROTO_E_AUTH ? "authentication failed"
                                                          : "no common protocol version");
    return -1;
  }
  vbx_proto_buf_reset(&b);
  if (vbx_proto_encode_hello_ok(&b, &ok) != 0 || vbx__conn_send(c, &b) != 0)
    return -1;
  c->features = ok.features;
  return 0;
}

static void do_shutdown(struct vbx__agent *a, uint32_t grace_ms) {
  a->shutting_down = 1;
  vbx__log(1, "shutdown (grace %u ms)", grace_ms);
  vbx__reaper_kill_all(SIGTERM);
  if (grace_ms > 10000)
    grace_ms = 10000;
  usleep(grace_ms * 1000u);
  vbx__reaper_kill_all(SIGKILL);
  if (a->is_init)
    vbx__init_poweroff(a->shutdown_reboot);
  _exit(0);
}

/* Handle one post-handshake frame. Returns 0 or -1 (close connection). */
static int dispatch(struct vbx__conn *c, const struct vbx_proto_frame *f) {
  struct vbx_proto_msg m;
  int rc = vbx_proto_decode_msg(f, &m);
  if (rc != 0) {
    vbx__conn_send_error(c, 0, rc, "malformed %s payload",
                         vbx_proto_type_name(f->hdr.type) ? vbx_proto_type_name(f->hdr.type) : "?");
    return -1;
  }
  uint32_t id = m.id;
  switch (m.type) {
  case VBX_PROTO_T_PING: {
    uint8_t mem[64];
    struct vbx_proto_buf b;
    vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
    vbx_proto_encode_ping(&b, VBX_PROTO_T_PONG, id, m.u.cookie);
    return vbx__conn_send(c, &b);
  }
  case VBX_PROTO_T_PONG:
  case VBX_PROTO_T_ERROR:
    return 0;
  case VBX_PROTO_T_SHUTDOWN:
    do_shutdown(c->agent, m.u.grace_ms);
    return -1;
  case VBX_PROTO_T_EXEC_START:
  case VBX_PROTO_T_FILE_PUT_BEGIN:
  case VBX_PROTO_T_FILE_GET:
  case VBX_PROTO_T_MKDIR:
  case VBX_PROTO_T_STAT:
  case VBX_PROTO_T_TELEMETRY_SUBSCRIBE:
    if (m.type == VBX_PROTO_T_TELEMETRY_SUBSCRIBE && m.u.interval_ms == 0) {
      /* Unsubscribe: the subscription's worker sends the terminal OK. */
      pthread_mutex_lock(&c->lock);
      struct vbx__req *t = req_find(c, id);
      int kind = t != NULL ? t->kind : 0;
      if (kind == VBX__REQ_TELEM)
        vbx__telem_stop(t->obj);
      pthread_mutex_unlock(&c->lock);
      if (kind == VBX__REQ_TELEM)
        return 0;
      if (kind != 0) {
        vbx__conn_send_error(c, 0, VBX_E_PROTOCOL, "request %u is not a subscription", id);
        return -1;
      }
      return vbx__conn_send_error(c, id, VBX_E_NOTFOUND, "no telemetry subscription %u", id) < 0
                 ? -1 : 0;
    }
    if (req_live(c, id)) {
      vbx__conn_send_error(c, 0, VBX_E_PROTOCOL, "request id %u is already live", id);
      return -1;
    }
    if (m.type == VBX_PROTO_T_EXEC_START)
      return vbx__exec_start(c, id, &m.u.exec);
    if (m.type == VBX_PROTO_T_FILE_PUT_BEGIN)
      return vbx__file_put_begin(c, id, &m.u.put);
    if (m.type == VBX_PROTO_T_FILE_GET)
      return vbx__file_get(c, id, &m.u.get);
    if (m.type == VBX_PROTO_T_MKDIR)
      return vbx__file_mkdir(c, id, &m.u.mkdir);
    if (m.type == VBX_PROTO_T_STAT)
      return vbx__file_stat(c, id, &m.u.stat);
    return vbx__telem_subscribe(c, id, m.u.interval_ms);
  default:
    break;
  }
  /* Frames for a live request: look it up; unknown ids are ignored (they
   * race with the request's terminal frame). */
  rc = 0;
  pthread_mutex_lock(&c->lock);
  struct vbx__req *r = req_find(c, id);
  if (r == NULL) {
    if (m.type != VBX_PROTO_T_STDIN_DATA && m.type != VBX_PROTO_T_STDIN_CLOSE &&
        m.type != VBX_PROTO_T_SIGNAL && m.type != VBX_PROTO_T_WINDOW_UPDATE &&
        m.type != VBX_PROTO_T_FILE_DATA && m.type != VBX_PROTO_T_FILE_END)
      rc = -1;
  } else if (r->kind == VBX__REQ_EXEC) {
    if (m.type == VBX_PROTO_T_STDIN_DATA)
      rc = vbx__exec_stdin(r->obj, &m.u.data);
    else if (m.type == VBX_PROTO_T_STDIN_CLOSE)
      rc = vbx__exec_stdin_close(r->obj);
    else if (m.type == VBX_PROTO_T_WINDOW_UPDATE)
      rc = vbx__exec_window(r->obj, m.u.increment);
    else if (m.type == VBX_PROTO_T_SIGNAL)
      rc = vbx__exec_signal(r->obj, m.u.signo);
    else
      rc = -1;
  } else if (r->kind == VBX__REQ_GET) {
    rc = m.type == VBX_PROTO_T_WINDOW_UPDATE ? vbx__file_get_window(r->obj, m.u.increment) : -1;
  } else if (r->kind == VBX__REQ_PUT) {
    /* Under c->lock: the put's worker unregisters (req_del) before it
     * frees the put, so the object stays valid for this call. */
    rc = m.type == VBX_PROTO_T_FILE_DATA  ? vbx__file_put_data(c, r->obj, &m.u.data)
         : m.type == VBX_PROTO_T_FILE_END ? vbx__file_put_end(c, id, r->obj, &m.u.end)
                                          : -1;
  } else {
    rc = -1;
  }
  pthread_mutex_unlock(&c->lock);
  if (rc != 0)
    vbx__conn_send_error(c, 0, VBX_E_PROTOCOL, "unexpected %s on request %u",
                         vbx_proto_type_name(m.type), id);
  return rc;
}

/* The reader is leaving: every live request is abandoned. */
static void abandon_all(struct vbx__conn *c) {
  pthread_mutex_lock(&c->wlock);
  c->broken = 1;
  pthread_mutex_unlock(&c->wlock);
  shutdown(c->fd, SHUT_RDWR);
  pthread_mutex_lock(&c->lock);
  /* Every worker unregisters itself; MKDIR and STAT (VBX__REQ_FILE) end on
   * their own. */
  for (struct vbx__req *r = c->reqs; r != NULL; r = r->next) {
    if (r->kind == VBX__REQ_EXEC)
      vbx__exec_abandon(r->obj);
    else if (r->kind == VBX__REQ_GET)
      vbx__file_get_abandon(r->obj);
    else if (r->kind == VBX__REQ_TELEM)
      vbx__telem_abandon(r->obj);
    else if (r->kind == VBX__REQ_PUT)
      vbx__file_put_abandon(r->obj);
  }
  pthread_mutex_unlock(&c->lock);
}

void vbx__conn_serve(struct vbx__agent *a, int fd) {
  struct vbx__conn *c = calloc(1, sizeof *c);
  struct reader *r = calloc(1, sizeof *r);
  if (c == NULL || r == NULL) {
    free(c);
    free(r);
    close(fd);
    return;
  }
  c->agent = a;
  c->fd = fd;
  c->refs = 1;
  pthread_mutex_init(&c->lock, NULL);
  pthread_mutex_init(&c->wlock, NULL);
  vbx_proto_decoder_init(&r->dec, 0, NULL, 0);
  if (handshake(c, r) == 0) {
    vbx__log(1, "connection authenticated (features 0x%x)", c->features);
    struct vbx_proto_frame f;
    while (!c->broken && next_frame(c, r, &f, -1) == 0)
      if (dispatch(c, &f) != 0)
        break;
  }
  if (vbx_proto_decoder_pending(&r->dec) != 0)
    vbx__log(1, "connection closed with a partial frame");
  vbx_proto_decoder_fini(&r->dec);
  free(r);
  abandon_all(c);
  vbx__conn_put(c);
}

int vbx__conn_req_add(struct vbx__conn *c, uint32_t id, int kind, void *obj) {
  return req_add(c, id, kind, obj);
}
