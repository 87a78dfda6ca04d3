/*
 * guest-session/telem.c - the `telemetry` method of a guest session: one
 * TELEMETRY_SUBSCRIBE per call on the box's connection, the first
 * TELEMETRY_SAMPLE (the agent sends one at once) is the answer, then
 * SUBSCRIBE(0) and a bounded wait for the agent's terminal OK, so no
 * subscription outlives the call (the wait ends at 2 s or the deadline).
 * The wait for the sample honours the call's cancellation and deadline
 * (polled every GUEST_POLL_MS). On a connection that negotiated
 * TELEMETRY_EXT the sample also carries network bytes and open fds; an
 * older agent's sample leaves them 0.
 */
#include <stdlib.h>

#include "request.h"
#include "session.h"

#define TELEM_INTERVAL_MS 60000u /* only the first sample is used */
#define UNSUB_WAIT_MS 2000       /* bound on waiting for the final OK */

/* End subscription r: SUBSCRIBE(0), then wait for OK / ERROR (at most
 * UNSUB_WAIT_MS and never past the call's deadline, 0: none), dropping
 * samples still in flight. Best effort: the request is freed by the caller
 * either way (later frames for its id are dropped) and the agent stops on
 * the SUBSCRIBE(0). */
static void unsubscribe(guest_session *b, gc_req *r, uint64_t deadline_ns) {
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_TELEMETRY_SUBSCRIBE, .id = gc_req_id(r)};
  m.u.interval_ms = 0;
  if (gc_send_msg(b->conn, &m) != 0) return;
  uint64_t until = b->host->monotonic_ns() + (uint64_t)UNSUB_WAIT_MS * 1000000u;
  if (deadline_ns != 0 && deadline_ns < until) until = deadline_ns;
  while (b->host->monotonic_ns() < until) {
    gc_item *it;
    int rc = gc_req_next(r, GUEST_POLL_MS, &it);
    if (rc == VBX_E_AGAIN) continue;
    if (rc != 0) return;
    int done = it->type != VBX_PROTO_T_TELEMETRY_SAMPLE;
    free(it);
    if (done) return;
  }
  b->host->log(b->host->ctx, VBX_LOG_WARN, "box %s: no reply to telemetry unsubscribe", b->name);
}

/* The figures of s into out, each only when out->struct_size covers it
 * (an older caller's struct is shorter). The host process's are not the
 * guest's to know: NULL and 0 (gs_box_telemetry fills them). */
static void copy_sample(const struct vbx_proto_telemetry_sample *s, vbx_sandbox_telemetry *out) {
#define SET(member, value)                                                         \
  do {                                                                             \
    if (VBX_HAS_MEMBER(out, vbx_sandbox_telemetry, member)) out->member = (value); \
  } while (0)
  SET(cpu_usec, s->cpu_usec);
  SET(mem_used_kib, s->mem_used_kib);
  SET(mem_total_kib, s->mem_total_kib);
  SET(procs, s->procs);
  SET(time_ns, s->uptime_ns);
  /* 0 from an agent older than TELEMETRY_EXT (the 40-byte sample) */
  SET(net_rx_bytes, s->net_rx_bytes);
  SET(net_tx_bytes, s->net_tx_bytes);
  SET(open_fds, s->open_fds);
  SET(host_process, NULL);
  SET(host_rss_kib, 0);
  SET(host_cpu_usec, 0);
#undef SET
}

static int err_box(guest_session *b, vbx_call *call, int code, const char *what) {
  char st[900]; /* why_dead may add a console tail; a call message holds 1 KiB */
  if (code == VBX_E_SANDBOX) {
    b->why_dead(b->why_ctx, st, sizeof st);
    what = st;
  }
  return b->host->set_error(call, code, NULL, "box %s: telemetry: %s", b->name, what);
}

int guest_telemetry(guest_session *b, vbx_sandbox_telemetry *out, vbx_call *call) {
  const vbx_host_services *h = b->host;
  if (out == NULL || out->struct_size < sizeof(uint32_t))
    return h->set_error(call, VBX_E_INVAL, NULL, "telemetry: out->struct_size is not set");
  if (b->conn == NULL || gc_dead(b->conn, NULL, 0)) return err_box(b, call, VBX_E_SANDBOX, NULL);
  if (h->is_cancelled(call))
    return h->set_error(call, VBX_E_CANCELLED, NULL, "box %s: telemetry: cancelled", b->name);
  if ((gc_features(b->conn) & VBX_PROTO_FEAT_TELEMETRY) == 0)
    return err_box(b, call, VBX_E_UNSUPPORTED, "the guest agent does not offer telemetry");
  gc_req *r;
  if (gc_req_new(b->conn, 0, &r) != 0) return err_box(b, call, VBX_E_SANDBOX, NULL);
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_TELEMETRY_SUBSCRIBE, .id = gc_req_id(r)};
  m.u.interval_ms = TELEM_INTERVAL_MS;
  int rc = gc_send_msg(b->conn, &m);
  if (rc != 0) {
    rc = err_box(b, call, VBX_E_SANDBOX, NULL);
    gc_req_free(r);
    return rc;
  }
  uint64_t dl = h->deadline_ns ? h->deadline_ns(call) : 0;
  int subscribed = 1;
  for (;;) {
    gc_item *it;
    rc = gc_req_next(r, GUEST_POLL_MS, &it);
    if (rc == VBX_E_SANDBOX) {
      rc = err_box(b, call, VBX_E_SANDBOX, NULL);
      subscribed = 0;
      break;
    }
    if (rc == VBX_E_AGAIN) {
      if (h->is_cancelled(call)) {
        rc = h->set_error(call, VBX_E_CANCELLED, NULL, "box %s: telemetry: cancelled", b->name);
        break;
      }
      if (dl && h->monotonic_ns() >= dl) {
        rc = h->set_error(call, VBX_E_TIMEOUT, NULL, "box %s: telemetry: call deadline passed",
                          b->name);
        break;
      }
      continue;
    }
    if (it->type == VBX_PROTO_T_TELEMETRY_SAMPLE) {
      struct vbx_proto_telemetry_sample s;
      rc = vbx_proto_decode_telemetry_sample(it->payload, it->len, &s);
      if (rc != 0)
        rc = err_box(b, call, VBX_E_PROTOCOL, "malformed TELEMETRY_SAMPLE");
      else if (s.ext && (gc_features(b->conn) & VBX_PROTO_FEAT_TELEMETRY_EXT) == 0)
        rc = err_box(b, call, VBX_E_PROTOCOL,
                     "extended TELEMETRY_SAMPLE without the TELEMETRY_EXT feature");
      else
        copy_sample(&s, out);
    } else if (it->type == VBX_PROTO_T_ERROR) {
      struct vbx_proto_error e;
      subscribed = 0; /* terminal */
      if (vbx_proto_decode_error(it->payload, it->len, &e) != 0)
        rc = err_box(b, call, VBX_E_PROTOCOL, "malformed ERROR");
      else
        rc = h->set_error(call, e.code < 0 && e.code >= -64 ? e.code : VBX_E_SANDBOX, NULL,
                          "box %s: telemetry: %.*s", b->name, (int)e.message.len, e.message.ptr);
    } else {
      subscribed = 0;
      rc = err_box(b, call, VBX_E_PROTOCOL, "unexpected reply to TELEMETRY_SUBSCRIBE");
    }
    free(it);
    break;
  }
  if (subscribed) unsubscribe(b, r, dl);
  gc_req_free(r);
  return rc;
}
