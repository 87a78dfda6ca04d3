/*
 * run/result_json.c - vbx_result_to_json and vbx_box_result_to_json: the
 * run report documented in docs/cli.md.
 *
 *   {"schema_version","name","status","error","stages":[{"name","boxes":[{"name","status",
 *    "error","error_code","output","model","turns","input_tokens",
 *    "output_tokens","cache_read_tokens","cache_write_tokens","cost_usd",
 *    "duration_ms","tool_calls":[{"name","input","output","is_error",
 *    "duration_ms"}],"structured_output"?}]}],
 *    "totals":{"input_tokens","output_tokens","cost_usd","duration_ms"},
 *    "trace_id"?,"telemetry_dropped"}
 *
 * "structured_output" appears on a box whose output_file was read: the
 * file's JSON value when its content is valid JSON, else its text.
 * Token counts are unsigned: a count past 2^63-1 (what a JSON integer of
 * jansson holds) is written as 2^63-1, never as a negative number.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "run/result.h"
#include "util/error.h"

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

/* Milliseconds with microsecond precision. */
static json_t *ms(uint64_t ns) { return json_real((double)(ns / 1000u) / 1000.0); }

/* An unsigned count, saturated at INT64_MAX. */
static json_t *count(uint64_t v) {
  return json_integer(v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v);
}

static json_t *real(double v) {
  json_t *j = json_real(v);
  return j ? j : json_null(); /* NaN or infinity: not representable */
}

/* Set key to value; a NULL value marks the build failed. */
static void put(json_t *obj, const char *key, json_t *value, int *bad) {
  if (value == NULL || json_object_set_new(obj, key, value) != 0) *bad = 1;
}

static json_t *tool_calls(const vbx_box_result *b, int *bad) {
  json_t *arr = json_array();
  if (arr == NULL) return NULL;
  for (size_t i = 0; i < b->n_calls; i++) {
    const vbx__tool_call *c = &b->calls[i];
    json_t *o = json_object();
    if (o == NULL || json_array_append_new(arr, o) != 0) {
      *bad = 1;
      break;
    }
    put(o, "name", json_string(c->name), bad);
    put(o, "input", json_string(c->input), bad);
    put(o, "output", json_string(c->output), bad);
    put(o, "is_error", json_boolean(c->is_error), bad);
    put(o, "duration_ms", ms(c->duration_ns), bad);
  }
  return arr;
}

static json_t *box_json(const vbx_box_result *b, int *bad) {
  json_t *o = json_object();
  if (o == NULL) return NULL;
  put(o, "name", json_string(b->name), bad);
  put(o, "status", json_string(vbx_status_name(b->status)), bad);
  put(o, "error", str_or_null(b->error), bad);
  char code[32];
  vbx__error_name(b->error_code, code, sizeof(code));
  put(o, "error_code", b->error ? json_string(code) : json_null(), bad);
  put(o, "output", json_string(b->output ? b->output : ""), bad);
  put(o, "model", str_or_null(b->model), bad);
  put(o, "turns", json_integer(b->turns), bad);
  put(o, "input_tokens", count(b->input_tokens), bad);
  put(o, "output_tokens", count(b->output_tokens), bad);
  put(o, "cache_read_tokens", count(b->cache_read_tokens), bad);
  put(o, "cache_write_tokens", count(b->cache_write_tokens), bad);
  put(o, "cost_usd", real(b->cost_usd), bad);
  put(o, "duration_ms", ms(b->duration_ns), bad);
  put(o, "tool_calls", tool_calls(b, bad), bad);
  if (b->structured_output != NULL) {
    json_t *v = json_loads(b->structured_output, JSON_DECODE_ANY, NULL);
    put(o, "structured_output", v ? v : json_string(b->structured_output), bad);
  }
  return o;
}

char *vbx_box_result_to_json(const vbx_box_result *b) {
  if (b == NULL) return NULL;
  int bad = 0;
  json_t *o = box_json(b, &bad);
  char *text = o && !bad ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
  json_decref(o);
  return text;
}

char *vbx_result_to_json(const vbx_result *r) {
  if (r == NULL) return NULL;
  int bad = 0;
  json_t *root = json_object();
  json_t *stages = json_array();
  json_t *totals = json_object();
  if (root == NULL || stages == NULL || totals == NULL) {
    json_decref(root);
    json_decref(stages);
    json_decref(totals);
    return NULL;
  }
  put(root, "schema_version", json_integer(VBX__REPORT_SCHEMA), &bad);
  put(root, "name", json_string(r->name), &bad);
  put(root, "status", json_string(vbx_status_name(r->status)), &bad);
  put(root, "error", str_or_null(r->error), &bad);
  put(root, "stages", stages, &bad);
  for (size_t i = 0; i < r->n_stages && !bad; i++) {
    json_t *st = json_object();
    json_t *boxes = json_array();
    put(st, "name", json_string(r->stages[i].name), &bad);
    put(st, "boxes", boxes, &bad);
    if (st == NULL || json_array_append_new(stages, st) != 0) bad = 1;
    for (size_t j = 0; boxes && j < r->stages[i].n_boxes; j++)
      if (json_array_append_new(boxes, box_json(&r->stages[i].boxes[j], &bad)) != 0) bad = 1;
  }
  put(root, "totals", totals, &bad);
  put(totals, "input_tokens", count(r->input_tokens), &bad);
  put(totals, "output_tokens", count(r->output_tokens), &bad);
  put(totals, "cost_usd", real(r->cost_usd), &bad);
  put(totals, "duration_ms", ms(r->duration_ns), &bad);
  if (r->trace_id[0] != '\0') put(root, "trace_id", json_string(r->trace_id), &bad);
  put(root, "telemetry_dropped", count(r->telemetry_dropped), &bad);
  char *text = bad ? NULL : json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
  json_decref(root);
  return text;
}
