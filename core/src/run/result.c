/*
 * run/result.c - building a pipeline result and the vbx_result_*
 * accessors, vbx_status_name and vbx_free of voidbox.h.
 */
#include "run/result.h"

#include <stdlib.h>
#include <string.h>

vbx_result *vbx__result_new(const vbx_pipeline *p) {
  vbx_result *r = calloc(1, sizeof(*r));
  if (r == NULL) return NULL;
  r->status = VBX_STATUS_PENDING;
  r->name = strdup(p->name ? p->name : "");
  r->text = strdup("");
  r->stages = calloc(p->n_stages ? p->n_stages : 1, sizeof(*r->stages));
  if (r->name == NULL || r->text == NULL || r->stages == NULL) goto fail;
  for (size_t i = 0; i < p->n_stages; i++) {
    const vbx__stage *st = &p->stages[i];
    vbx__stage_result *sr = &r->stages[i];
    r->n_stages = i + 1;
    sr->status = VBX_STATUS_PENDING;
    sr->name = strdup(st->name ? st->name : "");
    sr->boxes = calloc(st->n_boxes ? st->n_boxes : 1, sizeof(*sr->boxes));
    if (sr->name == NULL || sr->boxes == NULL) goto fail;
    for (size_t j = 0; j < st->n_boxes; j++) {
      if (vbx__box_result_init(&sr->boxes[j], st->boxes[j]->name) != 0) goto fail;
      sr->n_boxes = j + 1;
    }
  }
  return r;
fail:
  vbx_result_free(r);
  return NULL;
}

/* a + b, saturated at UINT64_MAX. */
static uint64_t add_sat(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

void vbx__result_sum(vbx_result *r) {
  r->input_tokens = r->output_tokens = 0;
  r->cost_usd = 0.0;
  for (size_t i = 0; i < r->n_stages; i++)
    for (size_t j = 0; j < r->stages[i].n_boxes; j++) {
      const vbx_box_result *b = &r->stages[i].boxes[j];
      r->input_tokens = add_sat(r->input_tokens, b->input_tokens);
      r->output_tokens = add_sat(r->output_tokens, b->output_tokens);
      r->cost_usd += b->cost_usd;
    }
}

void vbx_result_free(vbx_result *r) {
  if (r == NULL) return;
  for (size_t i = 0; i < r->n_stages; i++) {
    vbx__stage_result *sr = &r->stages[i];
    for (size_t j = 0; j < sr->n_boxes; j++)
      vbx__box_result_clear(&sr->boxes[j]);
    free(sr->boxes);
    free(sr->name);
    free(sr->output);
  }
  free(r->stages);
  free(r->name);
  free(r->error);
  free(r->text);
  free(r);
}

vbx_status vbx_result_status(const vbx_result *r) { return r ? r->status : VBX_STATUS_PENDING; }
const char *vbx_result_text(const vbx_result *r) { return r && r->text ? r->text : ""; }
const char *vbx_result_error(const vbx_result *r) { return r ? r->error : NULL; }
uint64_t vbx_result_input_tokens(const vbx_result *r) { return r ? r->input_tokens : 0; }
uint64_t vbx_result_output_tokens(const vbx_result *r) { return r ? r->output_tokens : 0; }
double vbx_result_cost_usd(const vbx_result *r) { return r ? r->cost_usd : 0.0; }
uint64_t vbx_result_duration_ns(const vbx_result *r) { return r ? r->duration_ns : 0; }
size_t vbx_result_stage_count(const vbx_result *r) { return r ? r->n_stages : 0; }
const char *vbx_result_trace_id(const vbx_result *r) { return r ? r->trace_id : ""; }
uint64_t vbx_result_telemetry_dropped(const vbx_result *r) { return r ? r->telemetry_dropped : 0; }

const char *vbx_result_stage_name(const vbx_result *r, size_t stage) {
  return r && stage < r->n_stages ? r->stages[stage].name : NULL;
}

size_t vbx_result_box_count(const vbx_result *r, size_t stage) {
  return r && stage < r->n_stages ? r->stages[stage].n_boxes : 0;
}

const vbx_box_result *vbx_result_box(const vbx_result *r, size_t stage, size_t idx) {
  if (r == NULL || stage >= r->n_stages || idx >= r->stages[stage].n_boxes) return NULL;
  return &r->stages[stage].boxes[idx];
}

const char *vbx_status_name(vbx_status s) {
  switch (s) {
  case VBX_STATUS_PENDING: return "pending";
  case VBX_STATUS_RUNNING: return "running";
  case VBX_STATUS_OK: return "ok";
  case VBX_STATUS_FAILED: return "failed";
  case VBX_STATUS_CANCELLED: return "cancelled";
  case VBX_STATUS_SKIPPED: return "skipped";
  }
  return "unknown";
}

void vbx_free(void *p) { free(p); }
