/*
 * otlp-common/otlp_logs.c - log records into an ExportLogsServiceRequest
 * (opentelemetry-proto logs/v1, JSON mapping), all under the scope
 * "voidbox" with the reporter in the "voidbox.origin" attribute. traceId
 * and spanId go together: a record without both has neither. A record
 * without a time is observed now.
 */
#include <string.h>
#include <time.h>

#include "otlp_int.h"

/* OTel SeverityNumber and its short name for a voidbox level; a level
 * out of range is taken as the nearest one (OTLP wants 1..24). */
static int severity(vbx_log_level l, const char **text) {
  static const int nums[] = {1, 5, 9, 13, 17};
  static const char *const texts[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};
  int i = (int)l < VBX_LOG_TRACE ? VBX_LOG_TRACE : (int)l > VBX_LOG_ERROR ? VBX_LOG_ERROR : (int)l;
  *text = texts[i];
  return nums[i];
}

static uint64_t realtime_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static json_t *record_json(const vbx_log_data *r) {
  const char *sev_text;
  int sev = severity(r->level, &sev_text);
  json_t *o = json_object(), *body = json_object(), *attrs = json_array();
  if (o == NULL || body == NULL || attrs == NULL) goto fail;
  if (json_object_set_new(o, "timeUnixNano", vbx__otlp_u64(r->time_ns)) != 0 ||
      json_object_set_new(o, "observedTimeUnixNano",
                          vbx__otlp_u64(r->time_ns ? r->time_ns : realtime_now())) != 0 ||
      json_object_set_new(o, "severityNumber", json_integer(sev)) != 0 ||
      json_object_set_new(o, "severityText", json_string(sev_text)) != 0 ||
      json_object_set_new(body, "stringValue", vbx__otlp_str(r->body)) != 0)
    goto fail;
  int rc = json_object_set_new(o, "body", body);
  body = NULL;
  if (rc != 0) goto fail;
  if ((r->origin && json_array_append_new(attrs, vbx__otlp_kv_str("voidbox.origin", r->origin))) ||
      (r->box && json_array_append_new(attrs, vbx__otlp_kv_str("voidbox.box", r->box))))
    goto fail;
  rc = json_object_set_new(o, "attributes", attrs);
  attrs = NULL;
  if (rc != 0) goto fail;
  if ((r->trace_id_hi != 0 || r->trace_id_lo != 0) && r->span_id != 0) { /* both or neither */
    char tid[33], sid[17];
    vbx__otlp_hex64(r->trace_id_hi, tid);
    vbx__otlp_hex64(r->trace_id_lo, tid + 16);
    vbx__otlp_hex64(r->span_id, sid);
    if (json_object_set_new(o, "traceId", json_string(tid)) != 0 ||
        json_object_set_new(o, "spanId", json_string(sid)) != 0)
      goto fail;
  }
  return o;
fail:
  json_decref(o);
  json_decref(body);
  json_decref(attrs);
  return NULL;
}

json_t *vbx_otlp_logs_json(const vbx_otlp_resource *res, const vbx_log_data *const *recs,
                           size_t n) {
  json_t *scopes = json_array();
  if (scopes == NULL) return NULL;
  json_t *list =
      vbx__otlp_scope_list(scopes, "voidbox", res ? res->service_version : NULL, "logRecords");
  for (size_t i = 0; list != NULL && i < n; i++) {
    if (recs[i] != NULL && json_array_append_new(list, record_json(recs[i])) != 0) list = NULL;
  }
  if (list == NULL) {
    json_decref(scopes);
    return NULL;
  }
  return vbx__otlp_request(res, "resourceLogs", "scopeLogs", scopes);
}
