/*
 * run/stage.c - running one box of a stage on the calling thread (with its
 * BOX_STARTED and BOX_FINISHED events), as the run's plan resolved it, and
 * a stage's status.
 */
#include <stdio.h>
#include <string.h>

#include "run/run.h"

/* Event context of one box: adds the stage to the engine's events. */
typedef struct box_ctx {
  vbx__run *run;
  const char *stage;
  int index;
} box_ctx;

static void box_emit(void *user, vbx_event *ev) {
  box_ctx *bc = user;
  ev->stage = bc->stage;
  ev->stage_index = bc->index;
  vbx__events_emit(&bc->run->events, ev);
}

/* The box's figures on its span (then ended) and voidbox.box.duration. */
static void box_observed(vbx__run *run, const vbx_box_result *res, vbx_span *span) {
  const char *attrs[] = {"voidbox.pipeline",
                         run->res->name,
                         "voidbox.box",
                         res->name,
                         "voidbox.status",
                         vbx_status_name(res->status),
                         NULL};
  vbx__obs_point("voidbox.box.duration", "s", "Wall time of a box, sandbox creation included",
                 VBX_METRIC_HISTOGRAM, (double)res->duration_ns / 1e9, attrs);
  vbx__span_attr(span, "voidbox.status", vbx_status_name(res->status));
  vbx__span_attr_int(span, "voidbox.box.turns", (int64_t)res->turns);
  vbx__span_attr_int(span, "gen_ai.usage.input_tokens", (int64_t)res->input_tokens);
  vbx__span_attr_int(span, "gen_ai.usage.output_tokens", (int64_t)res->output_tokens);
  vbx__span_attr_double(span, "voidbox.cost_usd", res->cost_usd);
  vbx__span_attr_int(span, "voidbox.tool_calls", (int64_t)res->n_calls);
  vbx__span_end(span, vbx__observe_status_code(res->status), res->error);
}

void vbx__stage_run_box(vbx__run *run, size_t stage, size_t idx, const char *input,
                        vbx__fan_ctl *ctl) {
  const vbx__resolved_box *rb = vbx__plan_box(run->plan, stage, idx);
  const vbx_box *box = rb->box;
  vbx_box_result *res = &run->res->stages[stage].boxes[idx];
  box_ctx bc = {run, run->res->stages[stage].name, (int)stage};
  vbx_event ev;
  memset(&ev, 0, sizeof(ev));
  ev.type = VBX_EV_BOX_STARTED;
  ev.box = box->name;
  ev.status = VBX_STATUS_RUNNING;
  box_emit(&bc, &ev);

  char span_name[300];
  snprintf(span_name, sizeof(span_name), "box %.256s", box->name);
  vbx_span *span =
      vbx__span_start(span_name, run->stage_spans[stage], VBX_SPAN_INTERNAL, box->name);
  vbx__span_attr(span, "voidbox.box", box->name);
  vbx__span_attr(span, "gen_ai.agent.name", box->name);
  vbx__span_attr(span, "voidbox.sandbox.backend", rb->sandbox ? rb->sandbox->name : "");
  vbx__span_attr(span, "voidbox.llm.provider", rb->llm ? rb->llm->name : "");
  vbx__obs_scope saved;
  vbx__obs_enter(run->hub, span, box->name, &saved);

  vbx__engine_env env;
  memset(&env, 0, sizeof(env));
  env.run_cancel = &run->cancel;
  env.rt_cancel = &run->rt->cancel;
  env.on_stream = run->opts.on_stream;
  env.stream_user = run->opts.user;
  env.emit = box_emit;
  env.emit_user = &bc;
  if (ctl != NULL) {
    env.stage_cancel = &ctl->cancel;
    env.stage_why = ctl->why;
  }
  vbx__engine_run_box(&env, rb, input, res);
  int zero = 0;
  if (ctl != NULL && res->status == VBX_STATUS_FAILED &&
      atomic_compare_exchange_strong(&ctl->claimed, &zero, 1)) {
    snprintf(ctl->why, sizeof(ctl->why), "cancelled: box '%.100s' of the same fan_out failed",
             box->name);
    vbx__cancel_set(&ctl->cancel);
  }

  box_observed(run, res, span);
  vbx__obs_leave(&saved);

  memset(&ev, 0, sizeof(ev));
  ev.type = VBX_EV_BOX_FINISHED;
  ev.box = box->name;
  ev.status = res->status;
  ev.text = res->error;
  ev.input_tokens = res->input_tokens;
  ev.output_tokens = res->output_tokens;
  ev.cost_usd = res->cost_usd;
  ev.duration_ns = res->duration_ns;
  /* The result first: an exporter that fails on the event cannot lose it. */
  if (run->opts.on_box_done) run->opts.on_box_done(run->opts.user, stage, idx, res);
  box_emit(&bc, &ev);
}

vbx_status vbx__stage_status(const vbx__stage_result *sr) {
  vbx_status s = VBX_STATUS_OK;
  for (size_t i = 0; i < sr->n_boxes; i++) {
    vbx_status b = sr->boxes[i].status;
    if (b == VBX_STATUS_CANCELLED && s == VBX_STATUS_OK) s = VBX_STATUS_CANCELLED;
    if (b != VBX_STATUS_OK && b != VBX_STATUS_CANCELLED) s = VBX_STATUS_FAILED;
  }
  return s;
}
