/*
 * events.c - delivering runtime events to the run options' callback and
 * to the exporter instances of the run (plugin/instance.h).
 */
#include <string.h>

#include "run/run.h"

void vbx__events_emit(vbx__events *ev, vbx_event *e) {
  e->struct_size = sizeof(*e);
  e->time_ns = vbx__wall_ns();
  e->pipeline = ev->pipeline;
  if (ev->on_event) ev->on_event(ev->user, e);
  for (size_t i = 0; i < ev->n_exps; i++)
    vbx__tel_queue_event(ev->exps[i].queue, e);
}

void vbx__events_stage(vbx__events *ev, vbx_event_type type, const char *stage, int index,
                       vbx_status status, const vbx_result *res, uint64_t duration_ns,
                       const char *text) {
  vbx_event e;
  memset(&e, 0, sizeof(e));
  e.type = type;
  e.stage = stage;
  e.stage_index = index;
  e.status = status;
  e.text = text;
  e.duration_ns = duration_ns;
  if (res != NULL && stage == NULL) {
    e.input_tokens = res->input_tokens;
    e.output_tokens = res->output_tokens;
    e.cost_usd = res->cost_usd;
  } else if (res != NULL && index >= 0 && (size_t)index < res->n_stages) {
    const vbx__stage_result *sr = &res->stages[index];
    for (size_t i = 0; i < sr->n_boxes; i++) {
      e.input_tokens += sr->boxes[i].input_tokens;
      e.output_tokens += sr->boxes[i].output_tokens;
      e.cost_usd += sr->boxes[i].cost_usd;
    }
  }
  vbx__events_emit(ev, &e);
}
