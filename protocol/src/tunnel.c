/*
 * tunnel.c - one end of a tunnel as a state machine without I/O (see
 * voidbox/protocol/tunnel.h and docs/protocol.md 4.5).
 */
#include <string.h>

#include "voidbox/protocol/tunnel.h"
#include "voidbox/protocol/wire.h"

/* State bits. */
#define OPEN (1u << 0)       /* TUNNEL_OPENED sent / received */
#define RD_EOF (1u << 1)     /* the socket reached end of file */
#define SENT_EOF (1u << 2)   /* TUNNEL_EOF sent */
#define GOT_EOF (1u << 3)    /* the peer's TUNNEL_EOF arrived */
#define SHUT (1u << 4)       /* the socket's write side is shut down */
#define RESET (1u << 5)      /* this end or the peer reset */
#define SENT_CLOSE (1u << 6) /* TUNNEL_CLOSE sent: our last frame */
#define GOT_CLOSE (1u << 7)  /* the peer's TUNNEL_CLOSE arrived: its last */
#define CLOSED (1u << 8)     /* the socket is closed */

static int all(uint32_t st, uint32_t bits) { return (st & bits) == bits; }

int vbx_proto_tunnel_init(struct vbx_proto_tunnel *t, uint32_t id, uint8_t *ring, uint32_t cap) {
  if (!t || !ring || !(id & VBX_PROTO_GUEST_ID_BIT) || cap < VBX_PROTO_INITIAL_WINDOW ||
      cap > VBX_PROTO_MAX_WINDOW)
    return VBX_PROTO_E_INVAL;
  memset(t, 0, sizeof *t);
  t->id = id;
  t->ring = ring;
  t->cap = cap;
  vbx_proto_credit_init(&t->tx);
  vbx_proto_window_init(&t->rx, cap);
  return 0;
}

void vbx_proto_tunnel_open(struct vbx_proto_tunnel *t) { t->state |= OPEN; }

/* The peer's bytes into the ring (n <= free space: the window checked it). */
static void ring_put(struct vbx_proto_tunnel *t, const uint8_t *p, uint32_t n) {
  uint32_t at = (t->head + t->len) % t->cap;
  uint32_t first = n < t->cap - at ? n : t->cap - at;
  memcpy(t->ring + at, p, first);
  memcpy(t->ring, p + first, n - first);
  t->len += n;
}

static int recv_data(struct vbx_proto_tunnel *t, const struct vbx_proto_data *d) {
  if (!(t->state & OPEN) || (t->state & (GOT_EOF | GOT_CLOSE))) return VBX_PROTO_E_PROTOCOL;
  if (t->state & (RESET | SENT_CLOSE)) return 0; /* in flight when we gave up */
  if (d->offset != t->rx.received || vbx_proto_window_on_data(&t->rx, d->len) != 0)
    return VBX_PROTO_E_PROTOCOL;
  ring_put(t, d->data, d->len);
  return 0;
}

int vbx_proto_tunnel_recv(struct vbx_proto_tunnel *t, const struct vbx_proto_msg *m) {
  uint32_t st = t->state;

  if (m->id != t->id) return VBX_PROTO_E_INVAL;
  switch (m->type) {
  case VBX_PROTO_T_TUNNEL_DATA: return recv_data(t, &m->u.data);
  case VBX_PROTO_T_TUNNEL_EOF:
    if (!(st & OPEN) || (st & (GOT_EOF | GOT_CLOSE))) return VBX_PROTO_E_PROTOCOL;
    if (!(st & (RESET | SENT_CLOSE)) && m->u.size != t->rx.received) return VBX_PROTO_E_PROTOCOL;
    t->state |= GOT_EOF;
    return 0;
  case VBX_PROTO_T_TUNNEL_CLOSE:
    if (st & GOT_CLOSE) return VBX_PROTO_E_PROTOCOL;
    if (m->u.close_flags & VBX_PROTO_TUNNEL_CLOSE_F_RESET) {
      /* As TCP: what arrived before the reset is still delivered - the
       * endpoint writes what its socket takes now, then resets it. */
      t->state |= GOT_CLOSE | RESET;
      return 0;
    }
    /* A clean close comes only after both EOFs. */
    if (!all(st, GOT_EOF | SENT_EOF)) return VBX_PROTO_E_PROTOCOL;
    t->state |= GOT_CLOSE;
    return 0;
  case VBX_PROTO_T_WINDOW_UPDATE:
    if (!(st & OPEN) || (st & GOT_CLOSE)) return VBX_PROTO_E_PROTOCOL;
    if (st & (RESET | SENT_CLOSE)) return 0;
    return vbx_proto_credit_grant(&t->tx, m->u.increment) != 0 ? VBX_PROTO_E_PROTOCOL : 0;
  default: return VBX_PROTO_E_PROTOCOL;
  }
}

/* The WINDOW_UPDATE increment due now (vbx_proto_window_grant's rule,
 * without recording it), 0 when none: no credit is given once the peer
 * has said it sends no more. */
static uint32_t grant_due(const struct vbx_proto_tunnel *t) {
  uint64_t target = t->rx.consumed + t->rx.window;
  if (t->state & (GOT_EOF | GOT_CLOSE | RESET | SENT_CLOSE) || target <= t->rx.granted) return 0;
  return target - t->rx.granted >= t->rx.window / 2 ? (uint32_t)(target - t->rx.granted) : 0;
}

/* Both EOFs exchanged, the peer's bytes written and the socket shut down:
 * the tunnel ends cleanly. */
static int clean_end(uint32_t st) { return all(st, SENT_EOF | GOT_EOF | SHUT); }

static int frame_due(const struct vbx_proto_tunnel *t) {
  uint32_t st = t->state;
  if (st & SENT_CLOSE) return 0;
  if (st & RESET) return 1;
  if (grant_due(t)) return 1;
  if ((st & RD_EOF) && !(st & SENT_EOF)) return 1;
  return clean_end(st);
}

uint32_t vbx_proto_tunnel_room(const struct vbx_proto_tunnel *t) {
  if (!(t->state & OPEN) || (t->state & (RD_EOF | RESET | SENT_CLOSE | CLOSED))) return 0;
  return vbx_proto_credit_available(&t->tx);
}

unsigned vbx_proto_tunnel_wants(const struct vbx_proto_tunnel *t) {
  uint32_t st = t->state;
  unsigned w = 0;
  if (!(st & CLOSED)) {
    if (vbx_proto_tunnel_room(t) > 0) w |= VBX_PROTO_TUN_WANT_READ;
    if (t->len > 0) w |= VBX_PROTO_TUN_WANT_WRITE;
    if ((st & GOT_EOF) && !(st & (RESET | SHUT)) && t->len == 0) w |= VBX_PROTO_TUN_WANT_SHUTDOWN;
    if ((st & RESET) || clean_end(st)) w |= VBX_PROTO_TUN_WANT_CLOSE;
  }
  if (frame_due(t)) w |= VBX_PROTO_TUN_WANT_FRAME;
  if (all(st, SENT_CLOSE | GOT_CLOSE | CLOSED)) w |= VBX_PROTO_TUN_DONE;
  return w;
}

uint32_t vbx_proto_tunnel_pending(const struct vbx_proto_tunnel *t, const uint8_t **p) {
  if (t->state & CLOSED || t->len == 0) return 0;
  *p = t->ring + t->head;
  return t->len < t->cap - t->head ? t->len : t->cap - t->head;
}

void vbx_proto_tunnel_written(struct vbx_proto_tunnel *t, uint32_t n) {
  const uint8_t *p;
  uint32_t have = vbx_proto_tunnel_pending(t, &p);
  if (n > have) n = have;
  t->head = (t->head + n) % t->cap;
  t->len -= n;
  vbx_proto_window_on_consumed(&t->rx, n);
}

int vbx_proto_tunnel_sent(struct vbx_proto_tunnel *t, uint32_t n, uint64_t *offset) {
  if (n == 0 || n > vbx_proto_tunnel_room(t)) return VBX_PROTO_E_INVAL;
  *offset = t->tx.sent;
  vbx_proto_credit_consume(&t->tx, n);
  return 0;
}

void vbx_proto_tunnel_read_eof(struct vbx_proto_tunnel *t) { t->state |= RD_EOF; }

void vbx_proto_tunnel_reset(struct vbx_proto_tunnel *t) {
  t->state |= RESET;
  t->len = 0;
}

int vbx_proto_tunnel_is_reset(const struct vbx_proto_tunnel *t) { return (t->state & RESET) != 0; }

void vbx_proto_tunnel_shutdown_done(struct vbx_proto_tunnel *t) { t->state |= SHUT; }

void vbx_proto_tunnel_closed(struct vbx_proto_tunnel *t) {
  t->state |= CLOSED;
  t->len = 0;
}

int vbx_proto_tunnel_next_frame(struct vbx_proto_tunnel *t, struct vbx_proto_buf *b) {
  uint32_t st = t->state, inc;
  int rc;

  if (!frame_due(t)) return 0;
  if (st & RESET) {
    rc = vbx_proto_encode_tunnel_close(b, t->id, VBX_PROTO_TUNNEL_CLOSE_F_RESET);
    if (rc == 0) t->state |= SENT_CLOSE;
  } else if ((inc = grant_due(t)) != 0) {
    rc = vbx_proto_encode_window_update(b, t->id, inc);
    if (rc == 0) vbx_proto_window_grant(&t->rx);
  } else if ((st & RD_EOF) && !(st & SENT_EOF)) {
    rc = vbx_proto_encode_tunnel_eof(b, t->id, t->tx.sent);
    if (rc == 0) t->state |= SENT_EOF;
  } else {
    rc = vbx_proto_encode_tunnel_close(b, t->id, 0);
    if (rc == 0) t->state |= SENT_CLOSE;
  }
  return rc == 0 ? 1 : rc;
}
