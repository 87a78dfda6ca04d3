/*
 * run/observe_run.c - the telemetry of one run: its hub (plugin/observe.h)
 * delivering spans to the run options' on_span and to every exporter's
 * queue, metric points and log records to the queues; the root span and
 * the stage spans.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"
#include "util/error.h"

static void hub_span(void *user, const vbx_span_data *span) {
  vbx__run *run = user;
  if (run->opts.on_span != NULL) run->opts.on_span(run->opts.user, span);
  for (size_t i = 0; i < run->events.n_exps; i++)
    vbx__tel_queue_span(run->events.exps[i].queue, span);
}

static void hub_metric(void *user, const vbx_metric_data *metric) {
  vbx__run *run = user;
  for (size_t i = 0; i < run->events.n_exps; i++)
    vbx__tel_queue_metric(run->events.exps[i].queue, metric);
}

static void hub_log(void *user, const vbx_log_data *record) {
  vbx__run *run = user;
  for (size_t i = 0; i < run->events.n_exps; i++)
    vbx__tel_queue_log(run->events.exps[i].queue, record);
}

static const vbx__tel_ops hub_ops = {hub_span, hub_metric, hub_log};

int vbx__observe_status_code(vbx_status st) {
  switch (st) {
  case VBX_STATUS_OK:
  case VBX_STATUS_SKIPPED:
  case VBX_STATUS_PENDING:
  case VBX_STATUS_RUNNING: return 0;
  case VBX_STATUS_CANCELLED: return VBX_E_CANCELLED;
  default: return VBX_E_GENERIC;
  }
}

int vbx__observe_open(vbx__run *run, vbx_error *err) {
  run->stage_spans = calloc(run->res->n_stages ? run->res->n_stages : 1, sizeof(vbx_span *));
  run->hub = vbx__tel_hub_new(&hub_ops, run);
  if (run->stage_spans == NULL || run->hub == NULL)
    return vbx__error_set(err, VBX_E_NOMEM, "out of memory");
  char name[300];
  snprintf(name, sizeof(name), "run %.256s", run->res->name);
  const char *tp = run->opts.traceparent;
  int rc = vbx__span_root(run->hub, name, tp, &run->root);
  if (rc == VBX_E_INVAL)
    return vbx__error_set(err, rc,
                          "traceparent '%.80s' is not a W3C trace context "
                          "(00-<32 hex trace id>-<16 hex span id>-<2 hex flags>)",
                          tp);
  if (rc != 0) return vbx__error_set(err, rc, "out of memory");
  vbx__span_attr(run->root, "voidbox.pipeline", run->res->name);
  vbx__span_attr_int(run->root, "voidbox.stages", (int64_t)run->res->n_stages);
  vbx__span_trace_id(run->root, run->res->trace_id);
  return 0;
}

void vbx__observe_close(vbx__run *run) {
  if (run->root != NULL) {
    vbx_result *res = run->res;
    vbx__span_attr(run->root, "voidbox.status", vbx_status_name(res->status));
    vbx__span_attr_int(run->root, "gen_ai.usage.input_tokens", (int64_t)res->input_tokens);
    vbx__span_attr_int(run->root, "gen_ai.usage.output_tokens", (int64_t)res->output_tokens);
    vbx__span_attr_double(run->root, "voidbox.cost_usd", res->cost_usd);
    vbx__span_end(run->root, vbx__observe_status_code(res->status), res->error);
    run->root = NULL;
  }
  vbx__tel_hub_close(run->hub);
  run->hub = NULL;
  free(run->stage_spans);
  run->stage_spans = NULL;
}

void vbx__observe_stage_begin(vbx__run *run, size_t i, vbx__obs_scope *saved) {
  char name[300];
  const char *stage = run->res->stages[i].name;
  snprintf(name, sizeof(name), "stage %.256s", stage);
  vbx_span *s = vbx__span_start(name, run->root, VBX_SPAN_INTERNAL, NULL);
  vbx__span_attr(s, "voidbox.stage", stage);
  vbx__span_attr_int(s, "voidbox.stage.index", (int64_t)i);
  vbx__span_attr_int(s, "voidbox.stage.boxes", (int64_t)run->res->stages[i].n_boxes);
  run->stage_spans[i] = s;
  vbx__obs_enter(run->hub, s, NULL, saved);
}

void vbx__observe_stage_end(vbx__run *run, size_t i, uint64_t duration_ns,
                            const vbx__obs_scope *saved) {
  const vbx__stage_result *sr = &run->res->stages[i];
  const char *attrs[] = {"voidbox.pipeline",
                         run->res->name,
                         "voidbox.stage",
                         sr->name,
                         "voidbox.status",
                         vbx_status_name(sr->status),
                         NULL};
  vbx__obs_point("voidbox.stage.duration", "s", "Wall time of a pipeline stage",
                 VBX_METRIC_HISTOGRAM, (double)duration_ns / 1e9, attrs);
  vbx_span *s = run->stage_spans[i];
  run->stage_spans[i] = NULL;
  vbx__span_attr(s, "voidbox.status", vbx_status_name(sr->status));
  vbx__span_end(s, vbx__observe_status_code(sr->status), NULL);
  vbx__obs_leave(saved);
}
