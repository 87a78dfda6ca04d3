/*
 * guest/agent/serve.c - the reader of one client connection: the
 * authenticated handshake, then the loop that decodes frames and routes
 * them by type and id to exec, files and telemetry. Anything malformed ends
 * this connection only; other connections are untouched.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "util/wipe.h"
#include "voidbox/errors.h"

#define HANDSHAKE_MS 10000
#define AGENT_FEATURES                                                   \
  (VBX_PROTO_FEAT_STDIN | VBX_PROTO_FEAT_FILES | VBX_PROTO_FEAT_SIGNAL | \
   VBX_PROTO_FEAT_TELEMETRY | VBX_PROTO_FEAT_TUNNEL | VBX_PROTO_FEAT_TELEMETRY_EXT)

/* Read with a deadline (ms, -1 none). Returns bytes, 0 on EOF,
 * VBX_E_TIMEOUT or VBX_E_IO. */
static ssize_t read_some(int fd, uint8_t *buf, size_t cap, int timeout_ms) {
  if (timeout_ms >= 0) {
    struct pollfd p = {fd, POLLIN, 0};
    int r;
    do
      r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r <= 0) return r == 0 ? VBX_E_TIMEOUT : VBX_E_IO;
  }
  ssize_t n;
  do
    n = read(fd, buf, cap);
  while (n < 0 && errno == EINTR);
  return n < 0 ? VBX_E_IO : n;
}

struct reader {
  struct vbx_proto_decoder dec;
  uint8_t buf[65536];
  size_t have, pos;
};

/* Next whole frame. Returns 0, or (the connection ends) the decoder's
 * code for a malformed frame (ERROR sent on id 0), VBX_E_IO on EOF or a
 * read error, VBX_E_TIMEOUT. */
static int next_frame(struct vbx__conn *c, struct reader *r, struct vbx_proto_frame *f,
                      int timeout_ms) {
  for (;;) {
    if (r->pos < r->have) {
      size_t used = 0;
      int rc = vbx_proto_decoder_feed(&r->dec, r->buf + r->pos, r->have - r->pos, &used, f);
      r->pos += used;
      if (rc == 0) return 0;
      if (rc != VBX_PROTO_E_AGAIN) {
        vbx__log(1, "connection closed: bad frame (%d)", rc);
        vbx__conn_send_error(c, 0, rc, "malformed frame");
        return rc;
      }
    }
    r->pos = r->have = 0;
    ssize_t n = read_some(c->fd, r->buf, sizeof r->buf, timeout_ms);
    if (n <= 0) return n == 0 ? VBX_E_IO : (int)n;
    r->have = (size_t)n;
  }
}

/* CHALLENGE, HELLO, HELLO_OK. Returns 0 once authenticated, or
 * VBX_E_IO (no nonce, a frame not sent or not read), VBX_E_TIMEOUT,
 * VBX_E_PROTOCOL (not a HELLO), VBX_E_AUTH or VBX_E_VERSION (refused,
 * ERROR sent). */
static int handshake(struct vbx__conn *c, struct reader *r) {
  struct vbx__agent *a = c->agent;
  struct vbx_proto_challenge ch = {
      VBX_PROTO_VERSION_MIN, VBX_PROTO_VERSION_MAX, AGENT_FEATURES, {0}};
  if (getrandom(ch.nonce, sizeof ch.nonce, 0) != (ssize_t)sizeof ch.nonce) return VBX_E_IO;
  uint8_t mem[256];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  int rc = vbx_proto_encode_challenge(&b, &ch);
  if (rc != 0 || (rc = vbx__conn_send(c, &b)) != 0) return rc;
  struct vbx_proto_frame f;
  if ((rc = next_frame(c, r, &f, HANDSHAKE_MS)) != 0) return rc;
  struct vbx_proto_msg m;
  if (f.hdr.type != VBX_PROTO_T_HELLO || vbx_proto_decode_msg(&f, &m) != 0) {
    vbx__conn_send_error(c, 0, VBX_E_PROTOCOL, "expected HELLO");
    return VBX_E_PROTOCOL;
  }
  struct vbx_proto_hello_ok ok;
  /* Under a->lock: vbx__agent_forget_secret may wipe the secret at any
   * time; once it has, no proof verifies (an empty key would be known to
   * anyone). */
  pthread_mutex_lock(&a->lock);
  rc = a->secret_len == 0
           ? VBX_PROTO_E_AUTH
           : vbx_proto_guest_check_hello(a->secret, a->secret_len, &ch, &m.u.hello, &ok);
  pthread_mutex_unlock(&a->lock);
  if (rc != 0) {
    vbx__log(1, "handshake refused: %s", rc == VBX_PROTO_E_AUTH ? "bad proof" : "version");
    vbx__conn_send_error(
        c, 0, rc, rc == VBX_PROTO_E_AUTH ? "authentication failed" : "no common protocol version");
    return rc;
  }
  vbx_proto_buf_reset(&b);
  rc = vbx_proto_encode_hello_ok(&b, &ok);
  if (rc != 0 || (rc = vbx__conn_send(c, &b)) != 0) return rc;
  c->features = ok.features;
  return 0;
}

void vbx__agent_forget_secret(struct vbx__agent *a) {
  pthread_mutex_lock(&a->lock);
  vbx__wipe(a->secret, sizeof a->secret);
  a->secret_len = 0;
  pthread_mutex_unlock(&a->lock);
}

static void do_shutdown(struct vbx__agent *a, uint32_t grace_ms) {
  a->shutting_down = 1;
  vbx__log(1, "shutdown (grace %u ms)", grace_ms);
  vbx__reaper_kill_all(SIGTERM);
  if (grace_ms > 10000) grace_ms = 10000;
  /* The grace ends as soon as every command is gone: no box waits it out
   * when nothing runs (the usual case) or when all went at the SIGTERM. */
  if (!vbx__reaper_wait_none(grace_ms)) vbx__reaper_kill_all(SIGKILL);
  vbx__agent_forget_secret(a); /* the agent stops serving */
  if (a->is_init) vbx__init_poweroff(a->shutdown_reboot);
  _exit(0);
}

/* A TELEMETRY_SUBSCRIBE with interval 0 ends subscription id: its worker
 * sends the terminal OK. Returns 0, or VBX_E_PROTOCOL (id is another kind
 * of request) or VBX_E_IO (the ERROR not sent): close the connection. */
static int unsubscribe(struct vbx__conn *c, uint32_t id) {
  pthread_mutex_lock(&c->lock);
  struct vbx__req *t = vbx__conn_req_find(c, id);
  int kind = t != NULL ? t->kind : 0;
  if (kind == VBX__REQ_TELEM) vbx__telem_stop(t->obj);
  pthread_mutex_unlock(&c->lock);
  if (kind == VBX__REQ_TELEM) return 0;
  if (kind != 0) {
    vbx__conn_send_error(c, 0, VBX_E_PROTOCOL, "request %u is not a subscription", id);
    return VBX_E_PROTOCOL;
  }
  return vbx__conn_send_error(c, id, VBX_E_NOTFOUND, "no telemetry subscription %u", id);
}

/* A frame that starts a request (EXEC_START, FILE_PUT_BEGIN, FILE_GET,
 * MKDIR, STAT, TELEMETRY_SUBSCRIBE). Returns 0, or a negative VBX_E_* code
 * (VBX_E_PROTOCOL: the id is live): close the connection. */
static int new_request(struct vbx__conn *c, const struct vbx_proto_msg *m) {
  uint32_t id = m->id;
  if (m->type == VBX_PROTO_T_TELEMETRY_SUBSCRIBE && m->u.interval_ms == 0)
    return unsubscribe(c, id);
  if (vbx__conn_req_live(c, id)) {
    vbx__conn_send_error(c, 0, VBX_E_PROTOCOL, "request id %u is already live", id);
    return VBX_E_PROTOCOL;
  }
  if ((c->features & VBX_PROTO_FEAT_TUNNEL) && (id & VBX_PROTO_GUEST_ID_BIT)) {
    vbx__conn_send_error(c, 0, VBX_E_PROTOCOL, "request id %#x is a guest id (tunnels)", id);
    return VBX_E_PROTOCOL;
  }
  switch (m->type) {
  case VBX_PROTO_T_EXEC_START: return vbx__exec_start(c, id, &m->u.exec);
  case VBX_PROTO_T_FILE_PUT_BEGIN: return vbx__file_put_begin(c, id, &m->u.put);
  case VBX_PROTO_T_FILE_GET: return vbx__file_get(c, id, &m->u.get);
  case VBX_PROTO_T_MKDIR: return vbx__file_mkdir(c, id, &m->u.mkdir);
  case VBX_PROTO_T_STAT: return vbx__file_stat(c, id, &m->u.stat);
  default: return vbx__telem_subscribe(c, id, m->u.interval_ms);
  }
}

/* A frame for a live request, routed by the request's kind. c->lock held:
 * a put's worker unregisters (req_del) before it frees the put, so the
 * object stays valid for this call. Returns 0, or VBX_E_PROTOCOL (a frame
 * the request does not take, or the handler's refusal). */
static int to_live(struct vbx__conn *c, struct vbx__req *r, const struct vbx_proto_msg *m) {
  switch (r->kind) {
  case VBX__REQ_EXEC:
    if (m->type == VBX_PROTO_T_STDIN_DATA) return vbx__exec_stdin(r->obj, &m->u.data);
    if (m->type == VBX_PROTO_T_STDIN_CLOSE) return vbx__exec_stdin_close(r->obj);
    if (m->type == VBX_PROTO_T_WINDOW_UPDATE) return vbx__exec_window(r->obj, m->u.increment);
    if (m->type == VBX_PROTO_T_SIGNAL) return vbx__exec_signal(r->obj, m->u.signo);
    return VBX_E_PROTOCOL;
  case VBX__REQ_GET:
    return m->type == VBX_PROTO_T_WINDOW_UPDATE ? vbx__file_get_window(r->obj, m->u.increment)
                                                : VBX_E_PROTOCOL;
  case VBX__REQ_PUT:
    return m->type == VBX_PROTO_T_FILE_DATA  ? vbx__file_put_data(c, r->obj, &m->u.data)
           : m->type == VBX_PROTO_T_FILE_END ? vbx__file_put_end(c, m->id, r->obj, &m->u.end)
                                             : VBX_E_PROTOCOL;
  case VBX__REQ_TUNNEL: return vbx__tunnel_frame(r->obj, m);
  default: return VBX_E_PROTOCOL;
  }
}

/* A host frame that may arrive for a tunnel this side already forgot
 * (it crossed our TUNNEL_CLOSE or the end of the worker). */
static int is_tunnel_late(unsigned type) {
  return type == VBX_PROTO_T_TUNNEL_OPENED || type == VBX_PROTO_T_TUNNEL_DATA ||
         type == VBX_PROTO_T_TUNNEL_EOF || type == VBX_PROTO_T_TUNNEL_CLOSE ||
         type == VBX_PROTO_T_ERROR;
}

/* A frame for a request by id. Unknown ids are ignored for the frames that
 * race with the request's terminal frame. Returns 0, or VBX_E_PROTOCOL
 * (ERROR sent on id 0): close the connection. */
static int for_request(struct vbx__conn *c, const struct vbx_proto_msg *m) {
  int rc;
  pthread_mutex_lock(&c->lock);
  struct vbx__req *r = vbx__conn_req_find(c, m->id);
  if (r != NULL)
    rc = to_live(c, r, m);
  else
    rc = m->type == VBX_PROTO_T_STDIN_DATA || m->type == VBX_PROTO_T_STDIN_CLOSE ||
                 m->type == VBX_PROTO_T_SIGNAL || m->type == VBX_PROTO_T_WINDOW_UPDATE ||
                 m->type == VBX_PROTO_T_FILE_DATA || m->type == VBX_PROTO_T_FILE_END ||
                 is_tunnel_late(m->type)
             ? 0
             : VBX_E_PROTOCOL;
  pthread_mutex_unlock(&c->lock);
  if (rc != 0)
    vbx__conn_send_error(c, 0, VBX_E_PROTOCOL, "unexpected %s on request %u",
                         vbx_proto_type_name(m->type), m->id);
  return rc;
}

/* Handle one post-handshake frame. Returns 0, or a negative VBX_E_* code
 * (VBX_E_PROTOCOL and the decoder's codes: the host broke the protocol;
 * VBX_E_NOMEM; VBX_E_IO: a frame could not be sent): close the
 * connection. */
static int dispatch(struct vbx__conn *c, const struct vbx_proto_frame *f) {
  struct vbx_proto_msg m;
  int rc = vbx_proto_decode_msg(f, &m);
  if (rc != 0) {
    vbx__conn_send_error(c, 0, rc, "malformed %s payload",
                         vbx_proto_type_name(f->hdr.type) ? vbx_proto_type_name(f->hdr.type) : "?");
    return rc;
  }
  switch (m.type) {
  case VBX_PROTO_T_PING: {
    uint8_t mem[64];
    struct vbx_proto_buf b;
    vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
    vbx_proto_encode_ping(&b, VBX_PROTO_T_PONG, m.id, m.u.cookie);
    return vbx__conn_send(c, &b);
  }
  case VBX_PROTO_T_PONG: return 0;
  case VBX_PROTO_T_ERROR: /* the host refuses one of our tunnels, else nothing to do */
    return (m.id & VBX_PROTO_GUEST_ID_BIT) && (c->features & VBX_PROTO_FEAT_TUNNEL)
               ? for_request(c, &m)
               : 0;
  case VBX_PROTO_T_SHUTDOWN:
    do_shutdown(c->agent, m.u.grace_ms);
    return VBX_E_STATE; /* not reached: do_shutdown ends the agent */
  case VBX_PROTO_T_EXEC_START:
  case VBX_PROTO_T_FILE_PUT_BEGIN:
  case VBX_PROTO_T_FILE_GET:
  case VBX_PROTO_T_MKDIR:
  case VBX_PROTO_T_STAT:
  case VBX_PROTO_T_TELEMETRY_SUBSCRIBE: return new_request(c, &m);
  default: return for_request(c, &m);
  }
}

/* The reader is leaving: every live request is abandoned. */
static void abandon_all(struct vbx__conn *c) {
  pthread_mutex_lock(&c->wlock);
  c->broken = 1;
  pthread_mutex_unlock(&c->wlock);
  shutdown(c->fd, SHUT_RDWR);
  vbx__tunnel_conn_down(c); /* no new tunnel comes here */
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
    else if (r->kind == VBX__REQ_TUNNEL)
      vbx__tunnel_abandon(r->obj);
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
    /* registered first: once this line is logged, tunnels come here */
    if (c->features & VBX_PROTO_FEAT_TUNNEL) vbx__tunnel_conn_up(c);
    vbx__log(1, "connection authenticated (features 0x%x)", c->features);
    struct vbx_proto_frame f;
    while (!c->broken && next_frame(c, r, &f, -1) == 0)
      if (dispatch(c, &f) != 0) break;
  }
  if (vbx_proto_decoder_pending(&r->dec) != 0)
    vbx__log(1, "connection closed with a partial frame");
  vbx_proto_decoder_fini(&r->dec);
  free(r);
  abandon_all(c);
  vbx__conn_put(c);
}
