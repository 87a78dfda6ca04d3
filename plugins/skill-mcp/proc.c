/*
 * skill-mcp/proc.c - the MCP transport over the sandbox's streaming exec
 * (vbx_sandbox_ref proc_open .. proc_close, ABI 1.3; skill_mcp.h): the
 * server runs inside the box, its stdout is what `read` returns, its stderr
 * is drained into a bounded tail as stdout is read, and its exit status is
 * fetched at end of file.
 *
 * proc_write waits as long as the host call's deadline allows, which may be
 * never; a watchdog thread bounds each write by the transport's own
 * deadline instead: past it, it kills the server (proc_kill is allowed
 * from any thread) so the write returns.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "skill_mcp.h"

#define TERM_GRACE_MS 100 /* between SIGTERM and proc_close's SIGKILL */

struct mcp_proc {
  const vbx_host_services *h;
  vbx_sandbox_ref ref; /* the methods of the last host call */
  vbx_call *call;      /* the host call in progress */
  void *proc;
  int eof; /* proc_read gave end of file */
  int have_status;
  vbx_exec_result st;
  int host_code;   /* a proc_* failure of the sandbox itself */
  int failed;      /* a proc_* call failed with this code */
  int call_failed; /* ... during the host call in progress (its message is on it) */
  vbx_mcp_tail tail;
  /* the write watchdog */
  pthread_t thread;
  int thread_up;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  uint64_t armed_ns; /* deadline of the write in progress; 0: none */
  int fired, stop;
};

int mcp_proc_supported(const vbx_sandbox_ref *sb) {
  return sb != NULL && VBX_HAS_METHOD(sb, vbx_sandbox_ref, proc_open) &&
         VBX_HAS_METHOD(sb, vbx_sandbox_ref, proc_write) &&
         VBX_HAS_METHOD(sb, vbx_sandbox_ref, proc_read) &&
         VBX_HAS_METHOD(sb, vbx_sandbox_ref, proc_status) &&
         VBX_HAS_METHOD(sb, vbx_sandbox_ref, proc_kill) &&
         VBX_HAS_METHOD(sb, vbx_sandbox_ref, proc_close);
}

void mcp_proc_bind(mcp_proc *p, const vbx_sandbox_ref *sb, vbx_call *call) {
  if (mcp_proc_supported(sb)) {
    pthread_mutex_lock(&p->mu); /* the watchdog reads ref.proc_kill */
    memset(&p->ref, 0, sizeof p->ref);
    memcpy(&p->ref, sb, sb->struct_size < sizeof p->ref ? sb->struct_size : sizeof p->ref);
    p->ref.struct_size = sizeof p->ref;
    pthread_mutex_unlock(&p->mu);
  }
  p->call = call;
  p->call_failed = 0;
}

/* ---- the watchdog ---------------------------------------------------------- */

static void *watchdog(void *arg) {
  mcp_proc *p = arg;
  pthread_mutex_lock(&p->mu);
  while (!p->stop) {
    if (p->armed_ns == 0) {
      pthread_cond_wait(&p->cv, &p->mu);
      continue;
    }
    uint64_t now = vbx_mcp_now_ns();
    if (now >= p->armed_ns) {
      p->fired = 1;
      p->armed_ns = 0;
      p->ref.proc_kill(p->proc, SIGKILL);
      continue;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t wait = p->armed_ns - now;
    uint64_t ns = (uint64_t)ts.tv_nsec + wait % 1000000000ull;
    ts.tv_sec += (time_t)(wait / 1000000000ull + ns / 1000000000ull);
    ts.tv_nsec = (long)(ns % 1000000000ull);
    pthread_cond_timedwait(&p->cv, &p->mu, &ts);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

static void arm(mcp_proc *p, uint64_t deadline_ns) {
  pthread_mutex_lock(&p->mu);
  p->armed_ns = deadline_ns;
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
}

/* ---- the transport ------------------------------------------------------- */

/* Note a failed proc_* call: the sandbox's own failures end the skill's call. */
static int failed(mcp_proc *p, int rc) {
  if (rc == VBX_E_SANDBOX_LOST || rc == VBX_E_CANCELLED ||
      (rc == VBX_E_TIMEOUT && p->h->deadline_ns(p->call) != 0 &&
       p->h->monotonic_ns() >= p->h->deadline_ns(p->call)))
    p->host_code = rc;
  p->failed = p->call_failed = rc;
  return rc;
}

static int t_write(void *ctx, const char *data, size_t len, uint64_t deadline_ns) {
  mcp_proc *p = ctx;
  if (p->eof) return VBX_E_STATE;
  if (p->thread_up && deadline_ns != 0) arm(p, deadline_ns);
  int rc = p->ref.proc_write(p->proc, data, len, p->call);
  if (p->thread_up) arm(p, 0);
  pthread_mutex_lock(&p->mu);
  int fired = p->fired;
  pthread_mutex_unlock(&p->mu);
  if (fired) return VBX_E_TIMEOUT; /* the server did not take its input in time */
  /* VBX_E_STATE: the process has ended (or its stdin is closed), which is
   * no failure of the sandbox's: its end, read next, says how it ended */
  if (rc == VBX_E_STATE) return rc;
  return rc == 0 ? 0 : failed(p, rc);
}

/* After end of file: the exit status, once. */
static void fetch_status(mcp_proc *p) {
  if (p->have_status) return;
  memset(&p->st, 0, sizeof p->st);
  p->st.struct_size = sizeof p->st;
  if (p->ref.proc_status(p->proc, &p->st, p->call) == 0) p->have_status = 1;
}

static int t_read(void *ctx, char *buf, size_t cap, size_t *len, uint32_t timeout_ms) {
  mcp_proc *p = ctx;
  uint64_t deadline = vbx_mcp_deadline_ms(timeout_ms);
  *len = 0;
  for (;;) {
    if (p->eof) return 0;
    vbx_stream stream = VBX_STREAM_STDOUT;
    size_t n = 0;
    int rc = p->ref.proc_read(p->proc, vbx_mcp_left_ms(deadline, timeout_ms), &stream, buf, cap, &n,
                              p->call);
    if (rc == VBX_E_AGAIN) return rc;
    if (rc != 0) return failed(p, rc);
    if (n == 0) {
      p->eof = 1;
      fetch_status(p);
      return 0;
    }
    if (stream != VBX_STREAM_STDERR) {
      *len = n;
      return 0;
    }
    vbx_mcp_tail_add(&p->tail, buf, n);
    if (vbx_mcp_left_ms(deadline, 1) == 0) return VBX_E_AGAIN;
  }
}

static int t_cancelled(void *ctx) {
  mcp_proc *p = ctx;
  return p->call != NULL && p->h->is_cancelled(p->call);
}

static void t_describe(void *ctx, char *buf, size_t cap) {
  mcp_proc *p = ctx;
  int n;
  if (p->fired)
    n = snprintf(buf, cap, "it did not read its input in time and was killed");
  else if (p->host_code == VBX_E_SANDBOX_LOST)
    n = snprintf(buf, cap, "the sandbox is gone");
  else if (!p->eof && p->failed)
    n = snprintf(buf, cap, "the sandbox's streaming exec failed (error %d)", p->failed);
  else if (!p->eof)
    n = snprintf(buf, cap, "it is still running");
  else if (!p->have_status)
    n = snprintf(buf, cap, "it ended; its exit status is unknown");
  else if (p->st.timed_out)
    n = snprintf(buf, cap, "it ran past its time limit and was killed");
  else if (p->st.term_signal != 0)
    n = snprintf(buf, cap, "it was killed by signal %d", p->st.term_signal);
  else
    n = snprintf(buf, cap, "it exited with status %d", p->st.exit_code);
  if (n < 0 || (size_t)n >= cap) return;
  if (p->tail.len == 0) {
    if (p->eof) snprintf(buf + n, cap - (size_t)n, "; it wrote nothing to stderr");
    return;
  }
  char tail[VBX_MCP_TAIL_BYTES + 512];
  vbx_mcp_tail_lines(&p->tail, VBX_MCP_TAIL_LINES, tail, VBX_MCP_TAIL_SHOWN);
  snprintf(buf + n, cap - (size_t)n, "; last stderr: %s", tail);
}

static void t_kill(void *ctx) {
  mcp_proc *p = ctx;
  if (!p->eof) p->ref.proc_kill(p->proc, SIGKILL);
}

vbx_mcp_transport mcp_proc_transport(mcp_proc *p) {
  vbx_mcp_transport t = {p, t_write, t_read, t_cancelled, t_describe, t_kill};
  return t;
}

int mcp_proc_host_code(const mcp_proc *p) { return p->host_code; }
int mcp_proc_call_failed(const mcp_proc *p) { return p->call_failed; }

/* ---- open and close ---------------------------------------------------------- */

int mcp_proc_open(const vbx_host_services *h, const vbx_sandbox_ref *sb, const mcp_opts *o,
                  vbx_call *call, mcp_proc **out) {
  *out = NULL;
  mcp_proc *p = calloc(1, sizeof *p);
  if (p == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  p->h = h;
  pthread_mutex_init(&p->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_cond_init(&p->cv, &ca);
  pthread_condattr_destroy(&ca);
  mcp_proc_bind(p, sb, call);
  vbx_exec_request req;
  memset(&req, 0, sizeof req);
  req.struct_size = sizeof req;
  req.argv = (const char *const *)o->argv;
  req.env = (const char *const *)o->env;
  req.cwd = "/workspace";
  int rc = sb->proc_open(sb->handle, &req, &p->proc, call);
  if (rc != 0) {
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
    return rc; /* the sandbox set the message */
  }
  p->thread_up = pthread_create(&p->thread, NULL, watchdog, p) == 0;
  if (!p->thread_up)
    h->log(h->ctx, VBX_LOG_WARN,
           "mcp server '%s': no watchdog thread; a server that stops reading its input can "
           "hold a write until the box's deadline",
           o->server);
  *out = p;
  return 0;
}

void mcp_proc_close(mcp_proc *p) {
  if (p == NULL) return;
  if (p->thread_up) {
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
  }
  if (!p->eof && p->ref.proc_kill(p->proc, SIGTERM) == 0) {
    struct timespec ts = {0, TERM_GRACE_MS * 1000000L};
    nanosleep(&ts, NULL);
  }
  p->ref.proc_close(p->proc);
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  free(p);
}
