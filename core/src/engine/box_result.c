/*
 * engine/box_result.c - building a box result and the vbx_box_result_*
 * accessors of voidbox.h.
 */
#include "engine/box_result.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vbx__box_result_init(vbx_box_result *r, const char *name) {
  memset(r, 0, sizeof(*r));
  r->status = VBX_STATUS_PENDING;
  r->name = strdup(name ? name : "");
  r->output = strdup("");
  if (r->name == NULL || r->output == NULL) {
    vbx__box_result_clear(r);
    return VBX_E_NOMEM;
  }
  return 0;
}

void vbx__box_result_clear(vbx_box_result *r) {
  if (r == NULL) return;
  for (size_t i = 0; i < r->n_calls; i++) {
    free(r->calls[i].name);
    free(r->calls[i].input);
    free(r->calls[i].output);
  }
  free(r->calls);
  free(r->name);
  free(r->output);
  free(r->error);
  free(r->structured_output);
  free(r->model);
  memset(r, 0, sizeof(*r));
}

int vbx__box_result_add_call(vbx_box_result *r, const char *name, const char *input,
                             const char *output, int is_error, uint64_t duration_ns) {
  if (r->n_calls == r->cap_calls) {
    size_t cap = r->cap_calls ? r->cap_calls * 2 : 8;
    vbx__tool_call *n = realloc(r->calls, cap * sizeof(*n));
    if (n == NULL) return VBX_E_NOMEM;
    r->calls = n;
    r->cap_calls = cap;
  }
  vbx__tool_call *c = &r->calls[r->n_calls];
  c->name = strdup(name ? name : "");
  c->input = strdup(input ? input : "");
  c->output = strdup(output ? output : "");
  c->is_error = is_error;
  c->duration_ns = duration_ns;
  if (c->name == NULL || c->input == NULL || c->output == NULL) {
    free(c->name);
    free(c->input);
    free(c->output);
    return VBX_E_NOMEM;
  }
  r->n_calls++;
  return 0;
}

int vbx__box_result_fail(vbx_box_result *r, int code, const char *fmt, ...) {
  if (r->error != NULL) return code;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  r->error = strdup(buf); /* on OOM the status still says failed */
  r->error_code = code;
  return code;
}

int vbx__box_result_set_output(vbx_box_result *r, const char *text) {
  char *s = strdup(text ? text : "");
  if (s == NULL) return VBX_E_NOMEM;
  free(r->output);
  r->output = s;
  return 0;
}

/* ---- public accessors (voidbox.h) ---------------------------------------- */

const char *vbx_box_result_name(const vbx_box_result *b) { return b ? b->name : NULL; }
vbx_status vbx_box_result_status(const vbx_box_result *b) {
  return b ? b->status : VBX_STATUS_PENDING;
}
const char *vbx_box_result_output(const vbx_box_result *b) {
  return b && b->output ? b->output : "";
}
const char *vbx_box_result_error(const vbx_box_result *b) { return b ? b->error : NULL; }
uint32_t vbx_box_result_turns(const vbx_box_result *b) { return b ? b->turns : 0; }
uint64_t vbx_box_result_input_tokens(const vbx_box_result *b) { return b ? b->input_tokens : 0; }
uint64_t vbx_box_result_output_tokens(const vbx_box_result *b) { return b ? b->output_tokens : 0; }
double vbx_box_result_cost_usd(const vbx_box_result *b) { return b ? b->cost_usd : 0.0; }
uint64_t vbx_box_result_duration_ns(const vbx_box_result *b) { return b ? b->duration_ns : 0; }
size_t vbx_box_result_tool_call_count(const vbx_box_result *b) { return b ? b->n_calls : 0; }

int vbx_box_result_tool_call(const vbx_box_result *b, size_t i, const char **name,
                             const char **input, const char **output, uint64_t *duration_ns) {
  if (b == NULL || i >= b->n_calls) return VBX_E_NOTFOUND;
  const vbx__tool_call *c = &b->calls[i];
  if (name) *name = c->name;
  if (input) *input = c->input;
  if (output) *output = c->output;
  if (duration_ns) *duration_ns = c->duration_ns;
  return 0;
}
