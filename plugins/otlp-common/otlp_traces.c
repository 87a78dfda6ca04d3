/*
 * otlp-common/otlp_traces.c - spans into an ExportTraceServiceRequest
 * (opentelemetry-proto trace/v1, JSON mapping).
 */
#include <string.h>

#include "otlp_int.h"

#define SPAN_HAS(s, m) VBX_HAS_MEMBER(s, vbx_span_data, m)

/* A short name of a VBX_E_* code for a failed span without a message. */
static const char *code_name(int status) {
  static const char *const names[] = {
      "VBX_E_GENERIC",     "VBX_E_NOMEM",     "VBX_E_INVAL",   "VBX_E_UNSUPPORTED",
      "VBX_E_NOTFOUND",    "VBX_E_EXISTS",    "VBX_E_STATE",   "VBX_E_IO",
      "VBX_E_TIMEOUT",     "VBX_E_CANCELLED", "VBX_E_SPEC",    "VBX_E_ABI",
      "VBX_E_PLUGIN",      "VBX_E_LIMIT",     "VBX_E_PERM",    "VBX_E_PROVIDER",
      "VBX_E_SANDBOX",     "VBX_E_TOOL",      "VBX_E_HTTP",    "VBX_E_PROTOCOL",
      "VBX_E_TOOBIG",      "VBX_E_AGAIN",     "VBX_E_VERSION", "VBX_E_AUTH",
      "VBX_E_SANDBOX_LOST"};
  if (status < 0 && (size_t)-status <= sizeof(names) / sizeof(names[0])) return names[-status - 1];
  return "error";
}

/* {"code": 1} for status 0, {"code": 2, "message": ...} otherwise. */
static json_t *status_json(const vbx_span_data *s) {
  json_t *st = json_object();
  if (st == NULL) return NULL;
  if (s->status == 0) {
    if (json_object_set_new(st, "code", json_integer(1)) != 0) goto fail;
    return st;
  }
  const char *msg = SPAN_HAS(s, status_message) ? s->status_message : NULL;
  if (msg == NULL || msg[0] == '\0') msg = code_name(s->status);
  if (json_object_set_new(st, "code", json_integer(2)) != 0 ||
      json_object_set_new(st, "message", vbx__otlp_str(msg)) != 0)
    goto fail;
  return st;
fail:
  json_decref(st);
  return NULL;
}

static json_t *span_json(const vbx_span_data *s) {
  char tid[33], sid[17], pid[17];
  vbx__otlp_hex64(s->trace_id_hi, tid);
  vbx__otlp_hex64(s->trace_id_lo, tid + 16);
  vbx__otlp_hex64(s->span_id, sid);
  vbx__otlp_hex64(s->parent_span_id, pid);
  int kind = SPAN_HAS(s, kind) ? s->kind : 0;
  if (kind < VBX_SPAN_INTERNAL || kind > VBX_SPAN_CONSUMER) kind = VBX_SPAN_INTERNAL;
  const char *box = SPAN_HAS(s, box) ? s->box : NULL;
  json_t *o = json_object(), *attrs = json_array();
  if (o == NULL || attrs == NULL) goto fail;
  if (json_object_set_new(o, "traceId", json_string(tid)) != 0 ||
      json_object_set_new(o, "spanId", json_string(sid)) != 0 ||
      (s->parent_span_id != 0 && json_object_set_new(o, "parentSpanId", json_string(pid)) != 0) ||
      json_object_set_new(o, "name", vbx__otlp_str(s->name && s->name[0] ? s->name : "unnamed")) !=
          0 ||
      json_object_set_new(o, "kind", json_integer(kind)) != 0 ||
      json_object_set_new(o, "startTimeUnixNano", vbx__otlp_u64(s->start_ns)) != 0 ||
      json_object_set_new(o, "endTimeUnixNano", vbx__otlp_u64(s->end_ns)) != 0)
    goto fail;
  const char *types = VBX_HAS_MEMBER(s, vbx_span_data, attr_types) ? s->attr_types : NULL;
  if (vbx__otlp_attrs_append_typed(attrs, s->attrs, types) != 0) goto fail;
  if (box != NULL && !vbx__otlp_attrs_has(s->attrs, "voidbox.box") &&
      json_array_append_new(attrs, vbx__otlp_kv_str("voidbox.box", box)) != 0)
    goto fail;
  int rc = json_object_set_new(o, "attributes", attrs);
  attrs = NULL;
  if (rc != 0 || json_object_set_new(o, "status", status_json(s)) != 0) goto fail;
  return o;
fail:
  json_decref(attrs);
  json_decref(o);
  return NULL;
}

json_t *vbx_otlp_traces_json(const vbx_otlp_resource *res, const vbx_span_data *const *spans,
                             size_t n) {
  json_t *scopes = json_array();
  if (scopes == NULL) return NULL;
  const char *version = res ? res->service_version : NULL;
  for (size_t i = 0; i < n; i++) {
    if (spans[i] == NULL) continue;
    char name[256];
    const char *plugin = SPAN_HAS(spans[i], plugin) ? spans[i]->plugin : NULL;
    json_t *list = vbx__otlp_scope_list(scopes, vbx__otlp_scope_name(plugin, name, sizeof(name)),
                                        version, "spans");
    if (list == NULL || json_array_append_new(list, span_json(spans[i])) != 0) {
      json_decref(scopes);
      return NULL;
    }
  }
  return vbx__otlp_request(res, "resourceSpans", "scopeSpans", scopes);
}
