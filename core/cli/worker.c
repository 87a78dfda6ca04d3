/*
 * worker.c - the child process of a supervised `voidbox run` (supervise.h):
 * loads the plugins, checks the spec and runs the pipeline as the check
 * resolved it (run/plan.h: once per box), sending its stream, events,
 * finished boxes and report to the parent over the channel; with
 * `--trace FILE` it collects the run's spans and writes FILE
 * (trace_file.h) before the report. It records the plugin call each
 * thread is in (plugin/inflight.h) and, on a fatal signal or an exit()
 * from plugin code, which thread it was, so the parent can name the
 * plugin and the call.
 *
 * The worker never writes the user's stdout (the parent owns it: plugin
 * output on stdout goes to stderr) and dies with its parent
 * (PR_SET_PDEATHSIG), taking its sandboxes with it (theirs).
 */
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "channel.h"
#include "plugin/inflight.h"
#include "run/plan.h"
#include "supervise.h"
#include "trace_file.h"
#include "util/utf8.h"

static vbx_runtime *volatile g_rt;
static volatile sig_atomic_t g_early_cancel;
static vbx__ch_writer g_ch;

static void on_cancel_signal(int sig) {
  (void)sig;
  if (g_rt)
    vbx_runtime_cancel(g_rt); /* async-signal-safe */
  else
    g_early_cancel = 1;
}

/* A fatal signal: record this thread's call, then die of the same signal. */
static void on_fatal_signal(int sig) {
  vbx__inflight_fault(sig);
  signal(sig, SIG_DFL);
  raise(sig);
}

/* exit() from plugin code (the worker itself ends with _exit). */
static void on_exit_call(void) { vbx__inflight_fault(0); }

static void install_handlers(void) {
  static char altstack[64 * 1024];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_fatal_signal;
  sa.sa_flags = SA_ONSTACK | SA_NODEFER | SA_RESETHAND;
  static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGTRAP};
  for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
    sigaction(fatal[i], &sa, NULL);
  sa.sa_handler = on_cancel_signal;
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  atexit(on_exit_call);
}

/* The parent is gone or stopped reading: stop the run. */
static void send(unsigned type, unsigned a, unsigned b, const void *p1, size_t n1, const void *p2,
                 size_t n2) {
  if (vbx__ch_send(&g_ch, type, a, b, p1, n1, p2, n2) != 0 && g_rt) vbx_runtime_cancel(g_rt);
}

/* An error frame: a the exit code, b the VBX_E_* code negated. */
static void send_text(unsigned type, int code, int vbx_code, const char *msg) {
  size_t n = strnlen(msg, vbx__ch_max_payload(type));
  unsigned neg = vbx_code < 0 && vbx_code > -65536 ? (unsigned)-vbx_code : 0;
  send(type, (unsigned)code, neg, msg, n ? n : 1, NULL, 0);
}

static void on_stream(void *user, const char *box, vbx_output_kind kind, const char *data,
                      size_t len) {
  (void)user;
  size_t bl = strnlen(box, 65535);
  while (len > 0) {
    size_t n = len < VBX_CH_STREAM_CHUNK ? len : VBX_CH_STREAM_CHUNK;
    send(VBX_CH_STREAM, (unsigned)kind, (unsigned)bl, box, bl, data, n);
    data += n, len -= n;
  }
}

/* A JSON string of at most max bytes of s (invalid UTF-8 replaced), or
 * null. */
static json_t *opt_str(const char *s, size_t max) {
  if (s == NULL) return json_null();
  char *clean = vbx__text_sanitize(s, strnlen(s, max));
  json_t *j = clean ? json_string(clean) : NULL;
  free(clean);
  return j ? j : json_null();
}

/* An unsigned count as a JSON integer, saturated at INT64_MAX. */
static json_int_t count(uint64_t v) {
  return v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v;
}

static void on_event(void *user, const vbx_event *ev) {
  (void)user;
  /* Strings are cut to bounds (the parent prints 160 bytes of a tool
   * input) and made valid UTF-8. */
  json_t *o = json_pack("{s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:I, s:I, s:f, s:I}", "type",
                        (int)ev->type, "status", (int)ev->status, "stage_index", ev->stage_index,
                        "stage", opt_str(ev->stage, 256), "box", opt_str(ev->box, 256), "tool",
                        opt_str(ev->tool, 256), "text", opt_str(ev->text, VBX_CH_TEXT_MAX), "in",
                        count(ev->input_tokens), "out", count(ev->output_tokens), "cost",
                        ev->cost_usd, "dur", count(ev->duration_ns));
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  if (s) send(VBX_CH_EVENT, 0, 0, s, strlen(s), NULL, 0);
  free(s);
  json_decref(o);
}

static void on_box_done(void *user, size_t stage, size_t index, const vbx_box_result *b) {
  (void)user;
  char *s = vbx_box_result_to_json(b);
  uint32_t where[2] = {(uint32_t)stage, (uint32_t)index};
  if (s) send(VBX_CH_BOX_DONE, 0, 0, where, sizeof(where), s, strlen(s));
  free(s);
}

/* `run --trace`: write the spans and tell the parent how it went. */
static void write_trace(vbx__span_sink *sink, const char *path) {
  char why[1024] = "";
  int rc = vbx__span_sink_write(sink, path, why, sizeof(why));
  json_t *o = json_pack("{s:I, s:I, s:o}", "spans", count(vbx__span_sink_count(sink)), "dropped",
                        count(vbx__span_sink_dropped(sink)), "error",
                        rc == 0 ? json_null() : opt_str(why, sizeof(why)));
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  if (s) send(VBX_CH_TRACE, 0, 0, s, strlen(s), NULL, 0);
  free(s);
  json_decref(o);
}

_Noreturn void vbx__worker_main(const vbx__worker_args *a) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != a->parent) _exit(VBX_EXIT_FAILED);
  dup2(STDERR_FILENO, STDOUT_FILENO);
  vbx__ch_writer_init(&g_ch, a->fd);
  install_handlers();
  vbx__inflight_use(a->table);

  vbx_error err;
  memset(&err, 0, sizeof(err));
  vbx_runtime *rt = NULL;
  if (vbx__cli_runtime_new(a->common, &rt, &err) != 0) {
    send_text(VBX_CH_LOAD_ERROR, VBX_EXIT_USAGE, err.code,
              err.message[0] ? err.message : vbx_strerror(err.code));
    _exit(0);
  }
  g_rt = rt;
  if (g_early_cancel) vbx_runtime_cancel(rt);
  vbx__plan *plan = NULL;
  if (vbx__pipeline_check_plan(rt, a->p, &plan, &err) != 0) {
    send_text(VBX_CH_LOAD_ERROR, VBX_EXIT_USAGE, err.code,
              err.message[0] ? err.message : vbx_strerror(err.code));
    _exit(0);
  }
  send(VBX_CH_LOADED, 0, 0, NULL, 0, NULL, 0);

  vbx_run_options ro;
  memset(&ro, 0, sizeof(ro));
  ro.struct_size = sizeof(ro);
  ro.input = a->input;
  ro.on_stream = on_stream;
  ro.on_event = on_event;
  ro.on_box_done = on_box_done;
  ro.traceparent = a->traceparent;
  vbx__span_sink *sink = NULL;
  if (a->trace_path != NULL) {
    sink = vbx__span_sink_new(VBX_TRACE_SPANS_MAX);
    if (sink == NULL) {
      send_text(VBX_CH_RUN_ERROR, VBX_EXIT_FAILED, VBX_E_NOMEM, "out of memory");
      _exit(0);
    }
    ro.on_span = vbx__span_sink_on_span;
    ro.user = sink;
  }
  vbx_result *res = NULL;
  int rc = vbx__pipeline_run_plan(rt, plan, &ro, &res, &err);
  if (sink != NULL && res != NULL) write_trace(sink, a->trace_path);
  if (rc != 0 && res == NULL) {
    /* VBX_E_INVAL: an input refused before any box, a malformed TRACEPARENT */
    int code = rc == VBX_E_SPEC || rc == VBX_E_INVAL ? VBX_EXIT_USAGE : VBX_EXIT_FAILED;
    send_text(VBX_CH_RUN_ERROR, code, rc, err.message[0] ? err.message : vbx_strerror(rc));
  } else {
    char *doc = vbx_result_to_json(res);
    if (doc)
      send(VBX_CH_REPORT, 0, 0, doc, strlen(doc), NULL, 0);
    else
      send_text(VBX_CH_RUN_ERROR, VBX_EXIT_FAILED, VBX_E_NOMEM, "out of memory writing the report");
    free(doc);
  }
  vbx_result_free(res);
  vbx__plan_free(plan);
  g_rt = NULL;
  vbx_runtime_free(rt); /* plugins' fini: still watched by the parent */
  vbx__span_sink_free(sink);
  _exit(0);
}
