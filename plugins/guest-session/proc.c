/*
 * guest-session/proc.c - streaming exec over the guest protocol (the proc_*
 * methods of vbx_sandbox_backend_vtable): EXEC_START with a stdin pipe,
 * then the caller's writes go out as STDIN_DATA under the guest's credit
 * and its reads take the output frame by frame. Credit goes back to the
 * guest only for bytes handed to the caller, so what the host holds for a
 * proc is bounded by its receive window (GUEST_EXEC_WINDOW) whatever the
 * process writes: a frame bigger than the caller's buffer is kept for the
 * next read, and frames that arrive while the caller writes are queued in
 * order for its reads (within the same window). EXIT is taken as it
 * arrives; end of file follows once the output before it was read.
 *
 * Threads: a proc is used by one thread at a time, except proc_kill,
 * which reads only what never changes and `ended` (atomic).
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_wire.h"

#define STDIN_CHUNK (256u * 1024u)
#define CLOSE_WAIT_NS 5000000000ull

typedef struct guest_proc {
  guest_session *b;
  gc_req *r;
  char name[64];        /* argv[0] (cut), for messages */
  gc_item *head, *tail; /* output frames not yet handed over, in order */
  size_t pos;           /* bytes of head's data already handed over */
  uint64_t off_out, off_err, in_off;
  int in_closed;        /* STDIN_CLOSE sent (or no longer possible) */
  int exited;           /* a well-formed EXIT received: res is the status */
  vbx_exec_result res;  /* exit_code, term_signal, timed_out, duration_ns */
  int err_rc;           /* a failure that ends the proc for the host, or 0 */
  gc_item *err_item;    /* the guest's ERROR, when that was the failure */
  const char *err_what; /* otherwise what went wrong (static) */
  atomic_int ended;     /* EXIT, ERROR or the connection gone: nothing to signal */
} guest_proc;

/* The proc's failure, set on call again (every later call reports it). */
static int proc_fail(guest_proc *p, vbx_call *call) {
  if (p->err_item != NULL) return guest_error_reply(p->b, p->err_item, call, p->name);
  return p->b->host->set_error(call, p->err_rc, NULL, "box %s: proc %s: %s", p->b->name, p->name,
                               p->err_what);
}

/* Record a failure found on the host side (a malformed frame); the
 * process may still run. */
static void proc_broken(guest_proc *p, const char *what) {
  if (p->err_rc != 0) return;
  p->err_rc = VBX_E_PROTOCOL;
  p->err_what = what;
}

/* Queue an output frame for the reads (dropped once the proc failed). */
static void queue_output(guest_proc *p, gc_item *it) {
  struct vbx_proto_data d;
  uint64_t *off = it->type == VBX_PROTO_T_STDOUT_DATA ? &p->off_out : &p->off_err;
  if (p->err_rc != 0 || guest_exec_data(it, off, &d) != 0) {
    proc_broken(p, "guest sent output out of order");
    free(it);
    return;
  }
  it->next = NULL;
  if (p->tail != NULL)
    p->tail->next = it;
  else
    p->head = it;
  p->tail = it;
}

/* Take one frame of the request (waiting up to wait_ms): output is queued
 * for the reads, EXIT recorded, ERROR kept as the proc's failure. 0 when a
 * frame was taken, VBX_E_AGAIN when none came, VBX_E_SANDBOX when the
 * connection is gone. */
static int pull(guest_proc *p, int wait_ms) {
  gc_item *it = NULL;
  int rc = gc_req_next(p->r, wait_ms, &it);
  if (rc == VBX_E_SANDBOX) atomic_store(&p->ended, 1);
  if (rc != 0) return rc;
  if (atomic_load(&p->ended)) {
    free(it); /* nothing follows a terminal frame */
  } else if (it->type == VBX_PROTO_T_STDOUT_DATA || it->type == VBX_PROTO_T_STDERR_DATA) {
    queue_output(p, it);
  } else if (it->type == VBX_PROTO_T_EXIT) {
    uint64_t ns = 0;
    if (guest_exec_status(it, &p->res, &ns) != 0) {
      proc_broken(p, "malformed EXIT");
    } else {
      p->res.duration_ns = ns;
      p->exited = 1;
    }
    atomic_store(&p->ended, 1);
    free(it);
  } else if (it->type == VBX_PROTO_T_ERROR) {
    if (p->err_rc == 0) {
      p->err_rc = VBX_E_SANDBOX; /* the code itself comes from guest_error_reply */
      p->err_item = it;
    } else {
      free(it);
    }
    atomic_store(&p->ended, 1);
  } else {
    free(it); /* anything else on an exec id is ignored */
  }
  return 0;
}

/* Take every frame already there without waiting. 0 or VBX_E_SANDBOX. */
static int pull_ready(guest_proc *p) {
  int rc;
  while ((rc = pull(p, 0)) == 0)
    ;
  return rc == VBX_E_AGAIN ? 0 : rc;
}

/* VBX_E_TIMEOUT / VBX_E_CANCELLED (set on call) once the call is past
 * its deadline `dl` (0: none) or cancelled, else 0. The deadline first:
 * is_cancelled is also true past it. */
static int stopped(guest_proc *p, uint64_t dl, const char *doing, vbx_call *call) {
  const vbx_host_services *h = p->b->host;
  if (dl != 0 && h->monotonic_ns() >= dl)
    return h->set_error(call, VBX_E_TIMEOUT, NULL, "box %s: proc %s: %s: call deadline passed",
                        p->b->name, p->name, doing);
  if (h->is_cancelled(call))
    return h->set_error(call, VBX_E_CANCELLED, NULL, "box %s: proc %s: %s: cancelled", p->b->name,
                        p->name, doing);
  return 0;
}

int guest_vt_proc_open(void *sandbox, const vbx_exec_request *req, void **out, vbx_call *call) {
  guest_session *b = sandbox;
  const vbx_host_services *h = b->host;
  *out = NULL;
  int rc = guest_check_box(b, call);
  if (rc != 0) return rc;
  if (req->argv == NULL || req->argv[0] == NULL)
    return h->set_error(call, VBX_E_INVAL, NULL, "proc: empty argv");
  if (h->is_cancelled(call))
    return h->set_error(call, VBX_E_CANCELLED, NULL, "box %s: proc %s: cancelled", b->name,
                        req->argv[0]);
  if ((gc_features(b->conn) & VBX_PROTO_FEAT_STDIN) == 0)
    return h->set_error(call, VBX_E_UNSUPPORTED, NULL,
                        "box %s: the guest agent does not offer stdin streaming", b->name);
  guest_proc *p = calloc(1, sizeof *p);
  if (p == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  p->b = b;
  snprintf(p->name, sizeof p->name, "%s", req->argv[0]);
  atomic_init(&p->ended, 0);
  rc = guest_exec_open(b, req, 1, "proc", call, &p->r);
  if (rc != 0) {
    free(p);
    return rc;
  }
  *out = p;
  return 0;
}

int guest_vt_proc_write(void *proc, const void *data, size_t len, vbx_call *call) {
  guest_proc *p = proc;
  const vbx_host_services *h = p->b->host;
  if (p->err_rc != 0) return proc_fail(p, call);
  if (p->in_closed)
    return h->set_error(call, VBX_E_STATE, NULL, "box %s: proc %s: stdin is closed", p->b->name,
                        p->name);
  if (pull_ready(p) != 0) return guest_dead_error(p->b, call, "proc write");
  uint64_t dl = h->deadline_ns ? h->deadline_ns(call) : 0;
  size_t done = 0;
  while (done < len) {
    if (p->err_rc != 0) return proc_fail(p, call);
    if (p->exited)
      return h->set_error(call, VBX_E_STATE, NULL,
                          "box %s: proc %s has ended (%zu of %zu bytes written)", p->b->name,
                          p->name, done, len);
    uint32_t cr = gc_req_credit(p->r);
    if (cr > 0) {
      size_t n = len - done;
      if (n > cr) n = cr;
      if (n > STDIN_CHUNK) n = STDIN_CHUNK;
      gc_req_consume_credit(p->r, (uint32_t)n);
      if (gc_send_data(p->b->conn, VBX_PROTO_T_STDIN_DATA, gc_req_id(p->r), p->in_off,
                       (const char *)data + done, (uint32_t)n) != 0)
        return guest_dead_error(p->b, call, "proc write");
      p->in_off += n;
      done += n;
      continue;
    }
    int rc = stopped(p, dl, "write", call);
    if (rc != 0) return rc;
    /* No credit: wait for it (gc_req_next returns when it comes) and keep
     * what output arrives meanwhile; EXIT ends the wait. */
    if (pull(p, GUEST_POLL_MS) == VBX_E_SANDBOX) return guest_dead_error(p->b, call, "proc write");
  }
  return 0;
}

int guest_vt_proc_close_stdin(void *proc, vbx_call *call) {
  guest_proc *p = proc;
  if (p->in_closed) return 0;
  p->in_closed = 1;
  if (atomic_load(&p->ended)) return 0; /* the process is gone, and its stdin */
  struct vbx_proto_msg m = {.type = VBX_PROTO_T_STDIN_CLOSE, .id = gc_req_id(p->r)};
  return gc_send_msg(p->b->conn, &m) == 0 ? 0 : guest_dead_error(p->b, call, "proc close_stdin");
}

/* Hand up to cap bytes of the first queued frame to the caller and give
 * the guest credit for them. Returns 0. */
static int hand_over(guest_proc *p, vbx_stream *stream, char *buf, size_t cap, size_t *len) {
  gc_item *it = p->head;
  const uint8_t *data = it->payload + VBX_PROTO_DATA_PREFIX;
  size_t left = it->len - VBX_PROTO_DATA_PREFIX - p->pos;
  size_t n = left < cap ? left : cap;
  memcpy(buf, data + p->pos, n);
  *stream = it->type == VBX_PROTO_T_STDOUT_DATA ? VBX_STREAM_STDOUT : VBX_STREAM_STDERR;
  *len = n;
  p->pos += n;
  if (n == left) {
    p->head = it->next;
    if (p->head == NULL) p->tail = NULL;
    p->pos = 0;
    gc_item_release(p->b->conn, it);
  }
  gc_req_consumed(p->r, (uint32_t)n); /* a dead connection shows at the next pull */
  return 0;
}

int guest_vt_proc_read(void *proc, uint32_t timeout_ms, vbx_stream *stream, char *buf, size_t cap,
                       size_t *len, vbx_call *call) {
  guest_proc *p = proc;
  const vbx_host_services *h = p->b->host;
  *len = 0;
  if (cap == 0 || buf == NULL)
    return h->set_error(call, VBX_E_INVAL, NULL, "proc read: no buffer to read into");
  uint64_t dl = h->deadline_ns ? h->deadline_ns(call) : 0;
  uint64_t until = h->monotonic_ns() + (uint64_t)timeout_ms * 1000000u;
  for (;;) {
    if (p->head != NULL) return hand_over(p, stream, buf, cap, len);
    if (p->err_rc != 0) return proc_fail(p, call);
    if (p->exited) return 0; /* end of file: all output precedes EXIT */
    int rc = stopped(p, dl, "read", call);
    if (rc != 0) return rc;
    uint64_t now = h->monotonic_ns(), end = dl != 0 && dl < until ? dl : until;
    uint64_t wait = now < end ? (end - now + 999999u) / 1000000u : 0;
    rc = pull(p, wait < GUEST_POLL_MS ? (int)wait : GUEST_POLL_MS);
    if (rc == VBX_E_SANDBOX) return guest_dead_error(p->b, call, "proc read");
    if (rc == VBX_E_AGAIN && wait == 0 && now >= until)
      return h->set_error(call, VBX_E_AGAIN, NULL, "box %s: proc %s: no output within %u ms",
                          p->b->name, p->name, timeout_ms);
  }
}

int guest_vt_proc_status(void *proc, vbx_exec_result *res, vbx_call *call) {
  guest_proc *p = proc;
  if (!p->exited || p->head != NULL)
    return p->b->host->set_error(call, VBX_E_STATE, NULL,
                                 "box %s: proc %s: no exit status before end of file", p->b->name,
                                 p->name);
  res->exit_code = p->res.exit_code;
  res->term_signal = p->res.term_signal;
  res->timed_out = p->res.timed_out;
  res->duration_ns = p->res.duration_ns;
  return 0;
}

int guest_vt_proc_kill(void *proc, int signo) {
  guest_proc *p = proc;
  if (signo < 1 || signo > 64) return VBX_E_INVAL;
  if (atomic_load(&p->ended)) return VBX_E_STATE;
  /* A dead connection took the process with it: that is "ended" too. */
  return guest_exec_signal(p->b, p->r, signo) == 0 ? 0 : VBX_E_STATE;
}

void guest_vt_proc_close(void *proc) {
  guest_proc *p = proc;
  if (p == NULL) return;
  const vbx_host_services *h = p->b->host;
  if (!atomic_load(&p->ended) && guest_exec_signal(p->b, p->r, SIGKILL) == 0) {
    /* Wait for EXIT, dropping output (with credit back, so the guest can
     * drain the pipes and report). */
    uint64_t until = h->monotonic_ns() + CLOSE_WAIT_NS;
    while (!atomic_load(&p->ended) && h->monotonic_ns() < until) {
      if (pull(p, GUEST_POLL_MS) == VBX_E_SANDBOX) break;
      while (p->head != NULL) {
        gc_item *it = p->head;
        p->head = it->next;
        gc_req_consumed(p->r, (uint32_t)(it->len - VBX_PROTO_DATA_PREFIX - p->pos));
        p->pos = 0;
        free(it);
      }
      p->tail = NULL;
    }
    if (!atomic_load(&p->ended))
      h->log(h->ctx, VBX_LOG_WARN, "box %s: proc %s: no EXIT within 5 s of SIGKILL", p->b->name,
             p->name);
  }
  for (gc_item *it = p->head, *next; it != NULL; it = next) {
    next = it->next;
    free(it);
  }
  free(p->err_item);
  gc_req_free(p->r);
  free(p);
}
