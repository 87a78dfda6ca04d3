/*
 * guest-session/request.c - what every request of a guest session shares
 * (see request.h).
 */
#include "request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int guest_dead_error(guest_session *b, vbx_call *call, const char *what) {
  char st[900]; /* why_dead may add a console tail; a call message holds 1 KiB */
  b->why_dead(b->why_ctx, st, sizeof st);
  return b->host->set_error(call, VBX_E_SANDBOX_LOST, NULL, "box %s: %s failed: %s", b->name, what,
                            st);
}

int guest_error_reply(guest_session *b, const gc_item *it, vbx_call *call, const char *what) {
  struct vbx_proto_error e;
  if (vbx_proto_decode_error(it->payload, it->len, &e) != 0)
    return b->host->set_error(call, VBX_E_PROTOCOL, NULL, "box %s: malformed ERROR", b->name);
  int code = e.code < 0 && e.code >= -64 && e.code != VBX_E_SANDBOX_LOST ? e.code : VBX_E_SANDBOX;
  return b->host->set_error(call, code, NULL, "box %s: %s: %.*s", b->name, what, (int)e.message.len,
                            e.message.ptr);
}

int guest_check_box(guest_session *b, vbx_call *call) {
  if (b->conn == NULL || gc_dead(b->conn, NULL, 0)) return guest_dead_error(b, call, "request");
  if (b->expires_ns && b->host->monotonic_ns() >= b->expires_ns)
    return b->host->set_error(call, VBX_E_TIMEOUT, NULL,
                              "box %s: sandbox lifetime (timeout_secs) is over", b->name);
  return 0;
}

const char *guest_abs_path(const char *path, char *buf, size_t cap) {
  if (path[0] == '/') return path;
  snprintf(buf, cap, "%s/%s", GUEST_WORKSPACE, path);
  return buf;
}

int guest_capture_add(guest_capture *c, const uint8_t *d, size_t n) {
  if (c->sb.len + n > c->limit) {
    c->truncated = 1;
    n = c->limit - c->sb.len;
  }
  return n == 0 ? 0 : vbx__strbuf_append(&c->sb, (const char *)d, n);
}

int guest_capture_finish(const vbx_host_services *h, guest_capture *c, char **out, size_t *len,
                         int *trunc) {
  char *p = h->alloc(c->sb.len + 1);
  if (p == NULL) return VBX_E_NOMEM;
  if (c->sb.len > 0) memcpy(p, c->sb.data, c->sb.len);
  p[c->sb.len] = '\0';
  *out = p, *len = c->sb.len, *trunc = c->truncated;
  vbx__strbuf_reset(&c->sb);
  return 0;
}

void guest_capture_free(guest_capture *c) { vbx__strbuf_reset(&c->sb); }
