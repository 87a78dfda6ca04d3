/*
 * guest-session/exec.c - exec over the guest protocol: EXEC_START, stdin
 * under the guest's credit, output handed to on_output as it arrives with
 * credit returned only after that (host memory stays bounded by the window
 * plus the capture cap), cancellation and deadlines polled every 50 ms and
 * turned into a SIGKILL of the exec's process group, then EXIT.
 */
#include <signal.h>
#include <stdlib.h>

#include "exec_wire.h"

#define KILL_WAIT_NS 5000000000ull
#define STDIN_CHUNK (256u * 1024u)

/* One exec in flight. */
typedef struct exec_run {
  guest_session *b;
  const vbx_exec_request *req;
  vbx_exec_result *res;
  vbx_call *call;
  gc_req *r;
  uint32_t id;
  guest_capture out, err;
  size_t in_off;
  int in_closed, killed, stop_rc, cb_rc;
  uint64_t start, kill_at, off_out, off_err, deadline;
} exec_run;

/* Open the request and send EXEC_START. 0 or the error set on the call. */
static int exec_begin(exec_run *x) {
  int rc = guest_exec_open(x->b, x->req, x->req->stdin_data != NULL, "exec", x->call, &x->r);
  if (rc == 0) x->id = gc_req_id(x->r);
  return rc;
}

/* Send what stdin the guest has credit for; STDIN_CLOSE after the last. */
static void exec_feed_stdin(exec_run *x) {
  const vbx_exec_request *req = x->req;
  while (!x->in_closed && !x->killed) {
    uint32_t cr = gc_req_credit(x->r);
    size_t n = req->stdin_len - x->in_off;
    if (n == 0) {
      struct vbx_proto_msg m = {.type = VBX_PROTO_T_STDIN_CLOSE, .id = x->id};
      gc_send_msg(x->b->conn, &m);
      x->in_closed = 1;
      return;
    }
    if (cr == 0) return;
    if (n > cr) n = cr;
    if (n > STDIN_CHUNK) n = STDIN_CHUNK;
    gc_req_consume_credit(x->r, (uint32_t)n);
    if (gc_send_data(x->b->conn, VBX_PROTO_T_STDIN_DATA, x->id, x->in_off,
                     req->stdin_data + x->in_off, (uint32_t)n) != 0)
      return;
    x->in_off += n;
  }
}

/* Kill the command once cancelled, past the call's deadline or stopped by
 * on_output; an error when the guest has not confirmed the kill in 5 s. */
static int exec_watch(exec_run *x) {
  const vbx_host_services *h = x->b->host;
  uint64_t now = h->monotonic_ns();
  int late = x->deadline && now >= x->deadline;
  if (!x->killed && (h->is_cancelled(x->call) || late || x->cb_rc != 0)) {
    x->stop_rc = x->cb_rc ? x->cb_rc : late ? VBX_E_TIMEOUT : VBX_E_CANCELLED;
    guest_exec_signal(x->b, x->r, SIGKILL);
    x->killed = 1;
    x->kill_at = now;
  }
  if (x->killed && now - x->kill_at > KILL_WAIT_NS)
    return h->set_error(x->call, x->stop_rc, NULL,
                        "exec %s: stopped, but the guest did not confirm the kill within 5 s",
                        x->req->argv[0]);
  return 0;
}

/* STDOUT_DATA / STDERR_DATA: in order, to on_output, into the capture,
 * then credit back. 0 or the error set on the call. Frees it. */
static int exec_output(exec_run *x, gc_item *it) {
  const vbx_host_services *h = x->b->host;
  struct vbx_proto_data d;
  int is_out = it->type == VBX_PROTO_T_STDOUT_DATA;
  if (guest_exec_data(it, is_out ? &x->off_out : &x->off_err, &d) != 0) {
    free(it);
    return h->set_error(x->call, VBX_E_PROTOCOL, NULL, "exec: guest sent output out of order");
  }
  if (x->req->on_output && x->cb_rc == 0 && !x->killed)
    x->cb_rc = x->req->on_output(x->req->user, is_out ? VBX_STREAM_STDOUT : VBX_STREAM_STDERR,
                                 (const char *)d.data, d.len);
  if (guest_capture_add(is_out ? &x->out : &x->err, d.data, d.len) != 0) {
    free(it);
    return h->set_error(x->call, VBX_E_NOMEM, NULL, "out of memory");
  }
  uint32_t n = d.len;
  gc_item_release(x->b->conn, it);
  return gc_req_consumed(x->r, n) != 0 ? guest_dead_error(x->b, x->call, "exec") : 0;
}

/* EXIT: the result, or the reason the command was stopped. Frees it. */
static int exec_exit(exec_run *x, gc_item *it) {
  const vbx_host_services *h = x->b->host;
  vbx_exec_result *res = x->res;
  int bad = guest_exec_status(it, res, NULL);
  free(it);
  if (bad) return h->set_error(x->call, VBX_E_PROTOCOL, NULL, "exec: malformed EXIT");
  if (x->stop_rc != 0)
    return h->set_error(x->call, x->stop_rc, NULL, "exec %s: %s", x->req->argv[0],
                        x->stop_rc == VBX_E_CANCELLED ? "cancelled"
                        : x->stop_rc == VBX_E_TIMEOUT ? "call deadline passed"
                                                      : "stopped by the output callback");
  res->duration_ns = h->monotonic_ns() - x->start;
  int rc =
      guest_capture_finish(h, &x->out, &res->stdout_data, &res->stdout_len, &res->stdout_truncated);
  if (rc == 0)
    rc = guest_capture_finish(h, &x->err, &res->stderr_data, &res->stderr_len,
                              &res->stderr_truncated);
  return rc == 0 ? 0 : h->set_error(x->call, rc, NULL, "out of memory");
}

/* Feed, watch and read until EXIT or an error. */
static int exec_loop(exec_run *x) {
  for (;;) {
    exec_feed_stdin(x);
    gc_item *it = NULL;
    int rc = gc_req_next(x->r, GUEST_POLL_MS, &it);
    if (rc == VBX_E_SANDBOX) return guest_dead_error(x->b, x->call, "exec");
    int wrc = exec_watch(x);
    if (wrc != 0) {
      if (rc != VBX_E_AGAIN) free(it);
      return wrc;
    }
    if (rc == VBX_E_AGAIN) continue;
    if (it->type == VBX_PROTO_T_STDOUT_DATA || it->type == VBX_PROTO_T_STDERR_DATA) {
      if ((rc = exec_output(x, it)) != 0) return rc;
    } else if (it->type == VBX_PROTO_T_EXIT) {
      return exec_exit(x, it);
    } else if (it->type == VBX_PROTO_T_ERROR) {
      rc = guest_error_reply(x->b, it, x->call, x->req->argv[0]);
      free(it);
      return rc;
    } else {
      free(it); /* anything else on an exec id is ignored */
    }
  }
}

int guest_exec(guest_session *b, const vbx_exec_request *req, vbx_exec_result *res,
               vbx_call *call) {
  const vbx_host_services *h = b->host;
  int rc = guest_check_box(b, call);
  if (rc != 0) return rc;
  if (req->argv == NULL || req->argv[0] == NULL)
    return h->set_error(call, VBX_E_INVAL, NULL, "exec: empty argv");
  size_t limit = req->max_output_bytes ? req->max_output_bytes : GUEST_DEFAULT_OUTPUT_CAP;
  exec_run x = {.b = b, .req = req, .res = res, .call = call};
  x.out.limit = x.err.limit = limit;
  x.start = h->monotonic_ns();
  x.in_closed = req->stdin_data == NULL;
  rc = exec_begin(&x);
  if (rc == 0) {
    x.deadline = h->deadline_ns ? h->deadline_ns(call) : 0;
    rc = exec_loop(&x);
  }
  guest_capture_free(&x.out);
  guest_capture_free(&x.err);
  gc_req_free(x.r);
  return rc;
}
