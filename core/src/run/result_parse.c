/*
 * run/result_parse.c - reading a run report (result_json.c's output) back
 * into a vbx_result: vbx_result_from_json, and the pieces a supervising
 * process uses to rebuild a result from box reports (vbx__box_result_from_json,
 * vbx__result_derive).
 *
 * The reader is strict: every documented key must be present with its type;
 * unknown keys are ignored (newer writers may add some); "schema_version"
 * may be absent (reports before it) but not newer than VBX__REPORT_SCHEMA. Errors name the
 * JSON path ("stages[1].boxes[0].turns: not an integer").
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run.h"
#include "util/error.h"

static int bad(vbx_error *err, const char *path, const char *what) {
  return vbx__error_set(err, VBX_E_PROTOCOL, "report: %s: %s", path, what);
}

int vbx__status_from_name(const char *name, vbx_status *out) {
  static const vbx_status all[] = {VBX_STATUS_PENDING, VBX_STATUS_RUNNING,   VBX_STATUS_OK,
                                   VBX_STATUS_FAILED,  VBX_STATUS_CANCELLED, VBX_STATUS_SKIPPED};
  for (size_t i = 0; name != NULL && i < sizeof(all) / sizeof(all[0]); i++)
    if (strcmp(vbx_status_name(all[i]), name) == 0) {
      *out = all[i];
      return 0;
    }
  return VBX_E_INVAL;
}

/* Typed getters: 0 and the value, or an error naming path.key. */
static int get_str(const json_t *o, const char *path, const char *key, int nullable, char **out,
                   vbx_error *err) {
  char p[300];
  snprintf(p, sizeof(p), "%s.%s", path, key);
  const json_t *v = json_object_get(o, key);
  *out = NULL;
  if (v == NULL) return bad(err, p, "missing");
  if (json_is_null(v) && nullable) return 0;
  if (!json_is_string(v)) return bad(err, p, nullable ? "not a string or null" : "not a string");
  *out = strndup(json_string_value(v), json_string_length(v));
  return *out ? 0 : vbx__error_set(err, VBX_E_NOMEM, "out of memory");
}

static int get_u64(const json_t *o, const char *path, const char *key, uint64_t *out,
                   vbx_error *err) {
  char p[300];
  snprintf(p, sizeof(p), "%s.%s", path, key);
  const json_t *v = json_object_get(o, key);
  if (v == NULL) return bad(err, p, "missing");
  if (!json_is_integer(v) || json_integer_value(v) < 0)
    return bad(err, p, "not a non-negative integer");
  *out = (uint64_t)json_integer_value(v);
  return 0;
}

/* Milliseconds (integer or real, microsecond precision) as ns. */
static int get_ms(const json_t *o, const char *path, const char *key, uint64_t *ns,
                  vbx_error *err) {
  char p[300];
  snprintf(p, sizeof(p), "%s.%s", path, key);
  const json_t *v = json_object_get(o, key);
  *ns = 0;
  if (v == NULL) return bad(err, p, "missing");
  double ms = json_number_value(v);
  if (!json_is_number(v) || !(ms >= 0.0) || ms > 1e12) return bad(err, p, "not a duration");
  *ns = (uint64_t)(ms * 1000.0 + 0.5) * 1000u;
  return 0;
}

static int get_real(const json_t *o, const char *path, const char *key, double *out,
                    vbx_error *err) {
  char p[300];
  snprintf(p, sizeof(p), "%s.%s", path, key);
  const json_t *v = json_object_get(o, key);
  if (v == NULL) return bad(err, p, "missing");
  if (json_is_null(v)) { /* NaN/infinity were written as null */
    *out = 0.0;
    return 0;
  }
  if (!json_is_number(v)) return bad(err, p, "not a number");
  *out = json_number_value(v);
  return 0;
}

static int get_status(const json_t *o, const char *path, vbx_status *out, vbx_error *err) {
  char *s = NULL;
  int rc = get_str(o, path, "status", 0, &s, err);
  if (rc == 0 && vbx__status_from_name(s, out) != 0) {
    char p[300];
    snprintf(p, sizeof(p), "%s.status", path);
    rc = bad(err, p, "unknown status");
  }
  free(s);
  return rc;
}

static int tool_call(const json_t *o, const char *path, vbx_box_result *b, vbx_error *err) {
  char *name = NULL, *input = NULL, *output = NULL;
  uint64_t dur = 0;
  const json_t *ie = json_object_get(o, "is_error");
  int rc = get_str(o, path, "name", 0, &name, err);
  if (rc == 0) rc = get_str(o, path, "input", 0, &input, err);
  if (rc == 0) rc = get_str(o, path, "output", 0, &output, err);
  if (rc == 0) rc = get_ms(o, path, "duration_ms", &dur, err);
  if (rc == 0 && ie != NULL && !json_is_boolean(ie)) rc = bad(err, path, "is_error: not a boolean");
  if (rc == 0 && vbx__box_result_add_call(b, name, input, output, json_is_true(ie), dur) != 0)
    rc = vbx__error_set(err, VBX_E_NOMEM, "out of memory");
  free(name);
  free(input);
  free(output);
  return rc;
}

static int structured(const json_t *o, vbx_box_result *b, vbx_error *err) {
  const json_t *v = json_object_get(o, "structured_output");
  if (v == NULL) return 0;
  /* Text stays text; any other JSON value is kept as its JSON text. */
  b->structured_output = json_is_string(v) ? strndup(json_string_value(v), json_string_length(v))
                                           : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  return b->structured_output ? 0 : vbx__error_set(err, VBX_E_NOMEM, "out of memory");
}

int vbx__box_result_from_json(const json_t *o, const char *path, vbx_box_result *b,
                              vbx_error *err) {
  char *name = NULL, *code = NULL;
  if (!json_is_object(o)) return bad(err, path, "not an object");
  int rc = get_str(o, path, "name", 0, &name, err);
  if (rc == 0 && vbx__box_result_init(b, name) != 0)
    rc = vbx__error_set(err, VBX_E_NOMEM, "out of memory");
  free(name);
  if (rc != 0) return rc;
  uint64_t turns = 0;
  if ((rc = get_status(o, path, &b->status, err)) == 0 &&
      (rc = get_str(o, path, "error", 1, &b->error, err)) == 0 &&
      (rc = get_str(o, path, "error_code", 1, &code, err)) == 0) {
    free(b->output);
    b->output = NULL;
    b->error_code = b->error ? (code ? vbx__error_code(code) : VBX_E_GENERIC) : 0;
    if ((rc = get_str(o, path, "output", 0, &b->output, err)) == 0 &&
        (rc = get_str(o, path, "model", 1, &b->model, err)) == 0 &&
        (rc = get_u64(o, path, "turns", &turns, err)) == 0 &&
        (rc = get_u64(o, path, "input_tokens", &b->input_tokens, err)) == 0 &&
        (rc = get_u64(o, path, "output_tokens", &b->output_tokens, err)) == 0 &&
        (rc = get_u64(o, path, "cache_read_tokens", &b->cache_read_tokens, err)) == 0 &&
        (rc = get_u64(o, path, "cache_write_tokens", &b->cache_write_tokens, err)) == 0 &&
        (rc = get_real(o, path, "cost_usd", &b->cost_usd, err)) == 0 &&
        (rc = get_ms(o, path, "duration_ms", &b->duration_ns, err)) == 0)
      rc = structured(o, b, err);
  }
  free(code);
  if (rc == 0 && turns > UINT32_MAX) rc = bad(err, path, "turns: out of range");
  b->turns = (uint32_t)turns;
  const json_t *calls = json_object_get(o, "tool_calls");
  if (rc == 0 && !json_is_array(calls)) rc = bad(err, path, "tool_calls: missing or not a list");
  for (size_t i = 0; rc == 0 && i < json_array_size(calls); i++) {
    char p[300];
    snprintf(p, sizeof(p), "%s.tool_calls[%zu]", path, i);
    if (!json_is_object(json_array_get(calls, i)))
      rc = bad(err, p, "not an object");
    else
      rc = tool_call(json_array_get(calls, i), p, b, err);
  }
  if (b->output == NULL && rc == 0) rc = vbx__error_set(err, VBX_E_NOMEM, "out of memory");
  if (rc != 0) vbx__box_result_clear(b);
  return rc;
}

void vbx__result_derive(vbx_result *r) {
  for (size_t i = 0; i < r->n_stages; i++) {
    vbx__stage_result *sr = &r->stages[i];
    int all_skipped = sr->n_boxes > 0;
    for (size_t j = 0; j < sr->n_boxes; j++)
      all_skipped &= sr->boxes[j].status == VBX_STATUS_SKIPPED;
    int pending = 0;
    for (size_t j = 0; j < sr->n_boxes; j++)
      pending |= sr->boxes[j].status == VBX_STATUS_PENDING;
    sr->status = all_skipped ? VBX_STATUS_SKIPPED
                 : pending   ? VBX_STATUS_PENDING
                             : vbx__stage_status(sr);
    free(sr->output);
    sr->output = NULL;
    if (sr->status != VBX_STATUS_OK) continue;
    sr->output = sr->n_boxes == 1 ? strdup(sr->boxes[0].output) : vbx__fan_out_merge(sr);
    char *text = sr->output ? strdup(sr->output) : NULL;
    if (text != NULL) {
      free(r->text);
      r->text = text;
    }
  }
  vbx__result_sum(r);
}

/* Fill r's stages from the report's "stages" list. */
static int stages(const json_t *list, vbx_result *r, vbx_error *err) {
  if (!json_is_array(list)) return bad(err, "stages", "missing or not a list");
  size_t n = json_array_size(list);
  if ((r->stages = calloc(n ? n : 1, sizeof(*r->stages))) == NULL)
    return vbx__error_set(err, VBX_E_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    char p[32];
    snprintf(p, sizeof(p), "stages[%zu]", i);
    const json_t *st = json_array_get(list, i);
    if (!json_is_object(st)) return bad(err, p, "not an object");
    vbx__stage_result *sr = &r->stages[i];
    r->n_stages = i + 1;
    int rc = get_str(st, p, "name", 0, &sr->name, err);
    if (rc != 0) return rc;
    const json_t *boxes = json_object_get(st, "boxes");
    if (!json_is_array(boxes)) return bad(err, p, "boxes: missing or not a list");
    size_t nb = json_array_size(boxes);
    if ((sr->boxes = calloc(nb ? nb : 1, sizeof(*sr->boxes))) == NULL)
      return vbx__error_set(err, VBX_E_NOMEM, "out of memory");
    for (size_t j = 0; j < nb; j++) {
      char bp[80];
      snprintf(bp, sizeof(bp), "%s.boxes[%zu]", p, j);
      if ((rc = vbx__box_result_from_json(json_array_get(boxes, j), bp, &sr->boxes[j], err)) != 0)
        return rc;
      sr->n_boxes = j + 1;
    }
  }
  return 0;
}

/* The optional "trace_id" (32 lower-case hex digits) and
 * "telemetry_dropped" (a count) of a report. */
static int get_trace(const json_t *root, vbx_result *r, vbx_error *err) {
  const json_t *t = json_object_get(root, "trace_id");
  if (t != NULL) {
    const char *v = json_string_value(t);
    if (v == NULL || strlen(v) != 32 || strspn(v, "0123456789abcdef") != 32)
      return bad(err, "$.trace_id", "not 32 lower-case hex digits");
    memcpy(r->trace_id, v, 33);
  }
  const json_t *d = json_object_get(root, "telemetry_dropped");
  if (d != NULL) {
    if (!json_is_integer(d) || json_integer_value(d) < 0)
      return bad(err, "$.telemetry_dropped", "not a count");
    r->telemetry_dropped = (uint64_t)json_integer_value(d);
  }
  return 0;
}

int vbx_result_from_json(const char *text, size_t len, vbx_result **out, vbx_error *err) {
  if (out == NULL) return vbx__error_set(err, VBX_E_INVAL, "vbx_result_from_json: out is NULL");
  *out = NULL;
  if (text == NULL) return vbx__error_set(err, VBX_E_INVAL, "vbx_result_from_json: no text");
  if (len > VBX__REPORT_MAX)
    return vbx__error_set(err, VBX_E_TOOBIG, "report: %zu bytes, over the %u MiB bound", len,
                          (unsigned)(VBX__REPORT_MAX >> 20));
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (root == NULL)
    return vbx__error_set(err, VBX_E_PROTOCOL, "report: JSON error at line %d: %s", je.line,
                          je.text);
  vbx_result *r = calloc(1, sizeof(*r));
  int rc = r ? 0 : vbx__error_set(err, VBX_E_NOMEM, "out of memory");
  const json_t *totals = json_object_get(root, "totals");
  if (rc == 0 && !json_is_object(root)) rc = bad(err, "$", "not an object");
  const json_t *sv = json_object_get(root, "schema_version");
  if (rc == 0 && sv != NULL && (!json_is_integer(sv) || json_integer_value(sv) < 1))
    rc = bad(err, "$.schema_version", "not a positive integer");
  if (rc == 0 && sv != NULL && json_integer_value(sv) > VBX__REPORT_SCHEMA)
    rc = vbx__error_set(err, VBX_E_VERSION, "report: schema_version %lld is newer than %d",
                        (long long)json_integer_value(sv), VBX__REPORT_SCHEMA);
  if (rc == 0) rc = get_str(root, "$", "name", 0, &r->name, err);
  if (rc == 0) rc = get_status(root, "$", &r->status, err);
  if (rc == 0) rc = get_str(root, "$", "error", 1, &r->error, err);
  if (rc == 0) rc = stages(json_object_get(root, "stages"), r, err);
  if (rc == 0 && !json_is_object(totals)) rc = bad(err, "totals", "missing or not an object");
  if (rc == 0) rc = get_ms(totals, "totals", "duration_ms", &r->duration_ns, err);
  if (rc == 0) rc = get_trace(root, r, err);
  if (rc == 0 && (r->text = strdup("")) == NULL)
    rc = vbx__error_set(err, VBX_E_NOMEM, "out of memory");
  if (rc == 0) vbx__result_derive(r);
  json_decref(root);
  if (rc != 0) {
    vbx_result_free(r);
    return rc;
  }
  *out = r;
  return 0;
}
