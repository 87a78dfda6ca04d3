/*
 * engine/observe_llm.c - see observe_llm.h.
 */
#include "engine/observe_llm.h"

#include <stdio.h>

#include "util/error.h"

/* What one LLM call came to. */
typedef struct vbx__llm_outcome {
  int rc;
  const char *message;
  const char *response_model, *stop_reason;
  uint64_t input_tokens, output_tokens, duration_ns;
  double cost_usd;
} vbx__llm_outcome;

/* Attribute list base[] then the model when known, then extra k/v (may be
 * NULL), NULL-terminated, in out[10]. */
static void gen_ai_attrs(const char *out[10], const vbx__llm_call_info *ci, const char *k,
                         const char *v) {
  size_t n = 0;
  out[n++] = "gen_ai.operation.name";
  out[n++] = "chat";
  out[n++] = "gen_ai.system";
  out[n++] = ci->system;
  if (ci->model != NULL) {
    out[n++] = "gen_ai.request.model";
    out[n++] = ci->model;
  }
  if (k != NULL) {
    out[n++] = k;
    out[n++] = v;
  }
  out[n] = NULL;
}

vbx_span *vbx__obs_llm_begin(const vbx__llm_call_info *ci, vbx__obs_scope *saved) {
  char name[300];
  snprintf(name, sizeof(name), "chat%s%.256s", ci->model ? " " : "", ci->model ? ci->model : "");
  vbx_span *s = vbx__span_start(name, NULL, VBX_SPAN_CLIENT, NULL);
  vbx__span_attr(s, "gen_ai.operation.name", "chat");
  vbx__span_attr(s, "gen_ai.system", ci->system);
  if (ci->model != NULL) vbx__span_attr(s, "gen_ai.request.model", ci->model);
  vbx__span_attr_int(s, "gen_ai.request.max_tokens", (int64_t)ci->max_tokens);
  if (ci->turn > 0) vbx__span_attr_int(s, "voidbox.turn", ci->turn);
  vbx__obs_enter(NULL, s, NULL, saved);
  return s;
}

void vbx__obs_llm_end(const vbx__llm_call_info *ci, vbx_span *span, const vbx__obs_scope *saved,
                      int rc, const char *message, const vbx_llm_response *resp,
                      uint64_t duration_ns) {
  vbx__obs_leave(saved);
  const vbx__llm_outcome oc = {.rc = rc,
                               .message = rc != 0 ? message : NULL,
                               .response_model = resp->model,
                               .stop_reason = resp->stop_reason,
                               .input_tokens = resp->usage.input_tokens,
                               .output_tokens = resp->usage.output_tokens,
                               .duration_ns = duration_ns,
                               .cost_usd = resp->usage.cost_usd};
  const vbx__llm_outcome *o = &oc;
  if (o->response_model != NULL) vbx__span_attr(span, "gen_ai.response.model", o->response_model);
  if (o->stop_reason != NULL)
    vbx__span_attr(span, "gen_ai.response.finish_reasons", o->stop_reason);
  vbx__span_attr_int(span, "gen_ai.usage.input_tokens", (int64_t)o->input_tokens);
  vbx__span_attr_int(span, "gen_ai.usage.output_tokens", (int64_t)o->output_tokens);
  vbx__span_attr_double(span, "voidbox.cost_usd", o->cost_usd);
  if (o->rc != 0) vbx__span_attr(span, "error.type", vbx__error_text(o->rc));
  const char *a[10];
  gen_ai_attrs(a, ci, o->rc != 0 ? "error.type" : NULL, "error");
  vbx__obs_point("gen_ai.client.operation.duration", "s", "GenAI operation duration",
                 VBX_METRIC_HISTOGRAM, (double)o->duration_ns / 1e9, a);
  if (o->rc == 0) {
    static const char *desc = "Measures number of input and output tokens used";
    gen_ai_attrs(a, ci, "gen_ai.token.type", "input");
    vbx__obs_point("gen_ai.client.token.usage", "{token}", desc, VBX_METRIC_HISTOGRAM,
                   (double)o->input_tokens, a);
    gen_ai_attrs(a, ci, "gen_ai.token.type", "output");
    vbx__obs_point("gen_ai.client.token.usage", "{token}", desc, VBX_METRIC_HISTOGRAM,
                   (double)o->output_tokens, a);
  }
  if (o->cost_usd > 0) {
    gen_ai_attrs(a, ci, "voidbox.box", ci->box ? ci->box : "");
    vbx__obs_point("voidbox.llm.cost", "USD", "Cost of LLM calls as priced by the provider plugin",
                   VBX_METRIC_COUNTER, o->cost_usd, a);
  }
  vbx__span_end(span, o->rc, o->message);
}
