/*
 * flow.c - credit accounting for senders and the grant policy for
 * receivers (one stream direction each).
 */
#include "voidbox/protocol/flow.h"
#include "voidbox/protocol/wire.h"

void vbx_proto_credit_init(struct vbx_proto_credit *c) {
  c->sent = 0;
  c->granted = VBX_PROTO_INITIAL_WINDOW;
}

uint32_t vbx_proto_credit_available(const struct vbx_proto_credit *c) {
  /* granted - sent <= VBX_PROTO_MAX_WINDOW by construction. */
  return (uint32_t)(c->granted - c->sent);
}

int vbx_proto_credit_consume(struct vbx_proto_credit *c, uint32_t n) {
  if (n > vbx_proto_credit_available(c)) return VBX_PROTO_E_AGAIN;
  c->sent += n;
  return 0;
}

int vbx_proto_credit_grant(struct vbx_proto_credit *c, uint32_t increment) {
  if (increment == 0 || (uint64_t)vbx_proto_credit_available(c) + increment > VBX_PROTO_MAX_WINDOW)
    return VBX_PROTO_E_PROTOCOL;
  c->granted += increment;
  return 0;
}

void vbx_proto_window_init(struct vbx_proto_window *w, uint32_t window) {
  if (window < VBX_PROTO_INITIAL_WINDOW) window = VBX_PROTO_INITIAL_WINDOW;
  if (window > VBX_PROTO_MAX_WINDOW) window = VBX_PROTO_MAX_WINDOW;
  w->granted = VBX_PROTO_INITIAL_WINDOW;
  w->received = 0;
  w->consumed = 0;
  w->window = window;
}

int vbx_proto_window_on_data(struct vbx_proto_window *w, uint32_t n) {
  if (n > w->granted - w->received) return VBX_PROTO_E_PROTOCOL;
  w->received += n;
  return 0;
}

int vbx_proto_window_on_consumed(struct vbx_proto_window *w, uint32_t n) {
  if (n > w->received - w->consumed) return VBX_PROTO_E_INVAL;
  w->consumed += n;
  return 0;
}

uint32_t vbx_proto_window_buffered(const struct vbx_proto_window *w) {
  return (uint32_t)(w->received - w->consumed);
}

uint32_t vbx_proto_window_grant(struct vbx_proto_window *w) {
  uint64_t target = w->consumed + w->window;
  uint64_t inc;

  if (target <= w->granted) return 0;
  inc = target - w->granted;
  if (inc < w->window / 2) return 0;
  w->granted = target;
  return (uint32_t)inc;
}
