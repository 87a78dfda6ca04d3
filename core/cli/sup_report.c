/*
 * sup_report.c - the supervising parent's view of the run: the worker's
 * frames applied to the printer and to a partial result, and, when the
 * worker ends without a report, that partial result settled into the report
 * with the reason named (see sup_state.h).
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "run/run.h"
#include "sup_state.h"
#include "util/strbuf.h"

#define PARTIAL_TEXT_MAX (1u << 20) /* model text kept for a box still running */
#define PARTIAL_CALLS_MAX 4096      /* tool calls kept for a box still running */

/* The box of stage `stage` named `name`, or NULL. */
void vbx__sup_vsay(vbx__sup *s, const char *fmt, va_list ap) {
  char buf[2048];
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof(buf)) n = sizeof(buf) - 1;
  vbx__outq_push(&s->err, "voidbox: ", 9);
  vbx__outq_push(&s->err, buf, (size_t)n);
  vbx__outq_push(&s->err, "\n", 1);
}

static vbx_box_result *box_at(vbx_result *r, int stage, const char *name) {
  if (r == NULL || name == NULL || stage < 0 || (size_t)stage >= r->n_stages) return NULL;
  vbx__stage_result *sr = &r->stages[stage];
  for (size_t i = 0; i < sr->n_boxes; i++)
    if (strcmp(sr->boxes[i].name, name) == 0) return &sr->boxes[i];
  return NULL;
}

/* The running box named `name` (a box may appear in several stages; one
 * runs at a time), or NULL. */
static vbx_box_result *running_box(vbx_result *r, const char *name) {
  for (size_t s = 0; r != NULL && name != NULL && s < r->n_stages; s++)
    for (size_t i = 0; i < r->stages[s].n_boxes; i++) {
      vbx_box_result *b = &r->stages[s].boxes[i];
      if (b->status == VBX_STATUS_RUNNING && strcmp(b->name, name) == 0) return b;
    }
  return NULL;
}

static void keep_text(vbx_box_result *b, const char *data, size_t len) {
  size_t have = strlen(b->output);
  if (have >= PARTIAL_TEXT_MAX) return;
  if (len > PARTIAL_TEXT_MAX - have) len = PARTIAL_TEXT_MAX - have;
  char *o = realloc(b->output, have + len + 1);
  if (o == NULL) return;
  memcpy(o + have, data, len);
  o[have + len] = '\0';
  b->output = o;
}

static int on_stream(vbx__sup *s, const vbx__ch_header *h, const uint8_t *p) {
  char box[256];
  size_t bl = h->b < sizeof(box) - 1 ? h->b : sizeof(box) - 1;
  if (h->a < VBX_OUT_TEXT || h->a > VBX_OUT_TOOL_STDERR) return -1;
  memcpy(box, p, bl);
  box[bl] = '\0';
  const char *data = (const char *)p + h->b;
  size_t len = h->len - h->b;
  vbx__printer_stream(s->printer, box, (vbx_output_kind)h->a, data, len);
  vbx_box_result *b = h->a == VBX_OUT_TEXT ? running_box(s->partial, box) : NULL;
  if (b != NULL) keep_text(b, data, len);
  return 0;
}

static const char *jstr(const json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static uint64_t ju64(const json_t *o, const char *k) {
  json_int_t v = json_integer_value(json_object_get(o, k));
  return v > 0 ? (uint64_t)v : 0;
}

/* Keep what a box still running has done, in case the worker dies. */
static void track(vbx__sup *s, const vbx_event *ev) {
  vbx_box_result *b = box_at(s->partial, ev->stage_index, ev->box);
  if (b == NULL) return;
  switch (ev->type) {
  case VBX_EV_BOX_STARTED:
    /* While RUNNING, duration_ns holds the start (CLOCK_MONOTONIC);
     * settle_boxes turns it into the duration. */
    if (b->status == VBX_STATUS_PENDING) b->status = VBX_STATUS_RUNNING;
    b->duration_ns = vbx__now_ns();
    break;
  case VBX_EV_LLM_TURN:
    if (b->status != VBX_STATUS_RUNNING) break;
    b->turns++;
    b->input_tokens += ev->input_tokens;
    b->output_tokens += ev->output_tokens;
    b->cost_usd += ev->cost_usd;
    break;
  case VBX_EV_TOOL_CALL:
    if (b->status == VBX_STATUS_RUNNING && ev->status != VBX_STATUS_RUNNING &&
        b->n_calls < PARTIAL_CALLS_MAX)
      vbx__box_result_add_call(b, ev->tool, ev->text, "", ev->status == VBX_STATUS_FAILED,
                               ev->duration_ns);
    break;
  default: break;
  }
}

static int on_event(vbx__sup *s, const uint8_t *p, size_t len) {
  json_t *o = json_loadb((const char *)p, len, 0, NULL);
  if (!json_is_object(o)) {
    json_decref(o);
    return -1;
  }
  vbx_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.struct_size = sizeof(ev);
  ev.type = (vbx_event_type)json_integer_value(json_object_get(o, "type"));
  ev.status = (vbx_status)json_integer_value(json_object_get(o, "status"));
  ev.stage_index = (int)json_integer_value(json_object_get(o, "stage_index"));
  ev.stage = jstr(o, "stage");
  ev.box = jstr(o, "box");
  ev.tool = jstr(o, "tool");
  ev.text = jstr(o, "text");
  ev.input_tokens = ju64(o, "in");
  ev.output_tokens = ju64(o, "out");
  ev.cost_usd = json_number_value(json_object_get(o, "cost"));
  ev.duration_ns = ju64(o, "dur");
  vbx__printer_event(s->printer, &ev);
  track(s, &ev);
  json_decref(o);
  return 0;
}

static int on_box_done(vbx__sup *s, const uint8_t *p, size_t len) {
  uint32_t where[2];
  if (len < sizeof(where)) return -1;
  memcpy(where, p, sizeof(where));
  vbx_result *r = s->partial;
  if (where[0] >= r->n_stages || where[1] >= r->stages[where[0]].n_boxes) return -1;
  json_t *o = json_loadb((const char *)p + sizeof(where), len - sizeof(where), 0, NULL);
  vbx_box_result fresh;
  vbx_error err;
  int rc = vbx__box_result_from_json(o, "box", &fresh, &err);
  json_decref(o);
  if (rc != 0) return -1;
  vbx_box_result *b = &r->stages[where[0]].boxes[where[1]];
  vbx__box_result_clear(b);
  *b = fresh;
  return 0;
}

static char *dup_text(const uint8_t *p, size_t len) {
  char *t = malloc(len + 1);
  if (t != NULL) {
    memcpy(t, p, len);
    t[len] = '\0';
  }
  return t;
}

int vbx__sup_frame(void *user, const vbx__ch_header *h, const uint8_t *p) {
  vbx__sup *s = user;
  switch (h->type) {
  case VBX_CH_LOADED: s->loaded = 1; return 0;
  case VBX_CH_LOAD_ERROR:
  case VBX_CH_RUN_ERROR: {
    char **slot = h->type == VBX_CH_LOAD_ERROR ? &s->load_error : &s->run_error;
    if (*slot != NULL) return -1;
    *slot = dup_text(p, h->len);
    if (h->type == VBX_CH_LOAD_ERROR)
      s->load_code = h->a, s->load_vbx_code = -(int)h->b;
    else
      s->run_code = h->a, s->run_vbx_code = -(int)h->b;
    return 0;
  }
  case VBX_CH_STREAM: return s->loaded ? on_stream(s, h, p) : -1;
  case VBX_CH_EVENT: return s->loaded ? on_event(s, p, h->len) : -1;
  case VBX_CH_BOX_DONE: return s->loaded ? on_box_done(s, p, h->len) : -1;
  case VBX_CH_TRACE: return s->loaded ? vbx__sup_trace_frame(s, p, h->len) : -1;
  case VBX_CH_REPORT: {
    vbx_error err;
    if (!s->loaded || s->final != NULL) return -1;
    return vbx_result_from_json((const char *)p, h->len, &s->final, &err) == 0 ? 0 : -1;
  }
  default: return -1;
  }
}

void vbx__sup_signal_text(int sig, char *buf, size_t cap) {
  const char *abbrev = sigabbrev_np(sig);
  const char *desc = sigdescr_np(sig);
  snprintf(buf, cap, "signal %d (%s%s%s%s)", sig, abbrev ? "SIG" : "", abbrev ? abbrev : "?",
           desc ? ": " : "", desc ? desc : "");
}

/* How the worker ended, around the call in flight ("crashed in ..."). */
static void death_text(const vbx__sup *s, int have, const vbx__inflight_entry *who, char *buf,
                       size_t cap) {
  char call[300], sig[96];
  if (have)
    vbx__inflight_entry_text(who, call, sizeof(call));
  else
    vbx__inflight_list(s->table, call, sizeof(call));
  int fault = s->table ? atomic_load(&s->table->fault_signal) : -1;
  if (WIFSIGNALED(s->wstatus)) {
    vbx__sup_signal_text(WTERMSIG(s->wstatus), sig, sizeof(sig));
    if (have)
      snprintf(buf, cap, "%s crashed: %s", call, sig);
    else
      snprintf(buf, cap, "the worker process died of %s (in flight: %s)", sig, call);
  } else if (have && fault == 0) {
    snprintf(buf, cap, "%s called exit(%d)", call, WEXITSTATUS(s->wstatus));
  } else if (have) {
    snprintf(buf, cap, "%s ended the process with status %d", call, WEXITSTATUS(s->wstatus));
  } else {
    snprintf(buf, cap,
             "the worker process exited with status %d before the run ended (in "
             "flight: %s)",
             WEXITSTATUS(s->wstatus), call);
  }
}

void vbx__sup_load_failure(const vbx__sup *s, char *buf, size_t cap) {
  vbx__inflight_entry who;
  int have = vbx__inflight_culprit(s->table, &who);
  char call[300];
  if (have)
    vbx__inflight_entry_text(&who, call, sizeof(call));
  else
    vbx__inflight_list(s->table, call, sizeof(call));
  if (s->kill == VBX_SUP_KILL_LOAD)
    snprintf(buf, cap, "loading plugins took longer than %u s: %s did not return",
             s->o->load_timeout_s, call);
  else if (s->kill == VBX_SUP_KILL_FRAME)
    snprintf(buf, cap, "the worker sent a malformed frame while loading plugins (in flight: %s)",
             call);
  else
    death_text(s, have, &who, buf, cap);
}

/* How boxes still running end. */
typedef struct ending {
  vbx_status status;
  int code;
  const char *why;
} ending;

/* Every box still running ends as `culprit_end` when it is `culprit`, else
 * as `other_end`; its duration runs until now. Boxes never started are
 * SKIPPED. */
static void settle_boxes(vbx_result *r, const vbx_box_result *culprit, const ending *culprit_end,
                         const ending *other_end) {
  for (size_t st = 0; st < r->n_stages; st++)
    for (size_t i = 0; i < r->stages[st].n_boxes; i++) {
      vbx_box_result *b = &r->stages[st].boxes[i];
      if (b->status == VBX_STATUS_PENDING) b->status = VBX_STATUS_SKIPPED;
      if (b->status != VBX_STATUS_RUNNING) continue;
      const ending *e = b == culprit ? culprit_end : other_end;
      b->duration_ns = vbx__now_ns() - b->duration_ns;
      b->status = e->status;
      free(b->error);
      b->error = NULL;
      vbx__box_result_fail(b, e->code, "%s", e->why);
    }
}

const char *vbx__sup_settle(vbx__sup *s) {
  static char why[1200];
  char call[300], buf[1000];
  vbx_result *r = s->partial;
  vbx__inflight_entry who;
  int have = 0;
  vbx_status status = VBX_STATUS_FAILED;
  int code = VBX_E_PLUGIN;
  vbx_box_result *culprit = NULL;
  switch (s->kill) {
  case VBX_SUP_KILL_HANG:
    who = s->hung;
    have = 1;
    code = VBX_E_TIMEOUT;
    vbx__inflight_entry_text(&who, call, sizeof(call));
    snprintf(why, sizeof(why),
             "box timeout reached: %s did not return within %d ms after its deadline; the run "
             "was stopped",
             call, VBX_SUP_DEADLINE_GRACE_MS);
    break;
  case VBX_SUP_KILL_CANCEL:
  case VBX_SUP_KILL_USER:
    status = VBX_STATUS_CANCELLED;
    code = VBX_E_CANCELLED;
    vbx__inflight_list(s->table, call, sizeof(call));
    if (s->kill == VBX_SUP_KILL_USER)
      snprintf(why, sizeof(why),
               "cancelled (%s); stopped at once by a second signal (in flight: "
               "%s)",
               s->cancel_why ? s->cancel_why : "interrupted", call);
    else
      snprintf(why, sizeof(why),
               "cancelled (%s); the worker was stopped because it did not end within %d ms (in "
               "flight: %s)",
               s->cancel_why ? s->cancel_why : "interrupted", VBX_SUP_CANCEL_GRACE_MS, call);
    break;
  case VBX_SUP_KILL_FRAME:
    vbx__inflight_list(s->table, call, sizeof(call));
    snprintf(why, sizeof(why), "the worker sent a malformed frame and was stopped (in flight: %s)",
             call);
    break;
  default:
    have = vbx__inflight_culprit(s->table, &who);
    death_text(s, have, &who, buf, sizeof(buf));
    snprintf(why, sizeof(why), "%s", buf);
    break;
  }
  if (have && who.box[0]) culprit = running_box(r, who.box);
  ending mine = {status, code, why}, others = mine;
  if (culprit != NULL) {
    snprintf(buf, sizeof(buf), "stopped: box '%s' failed", culprit->name);
    others = (ending){VBX_STATUS_CANCELLED, VBX_E_CANCELLED, buf};
  }
  settle_boxes(r, culprit, &mine, &others);
  vbx__result_derive(r);
  r->status = status;
  free(r->error);
  r->error = strdup(why);
  r->duration_ns = vbx__now_ns() - s->t_start;
  return why;
}
