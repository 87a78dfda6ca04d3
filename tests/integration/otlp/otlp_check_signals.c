/*
 * tests/integration/otlp/otlp_check_signals.c - the three OTLP/JSON export
 * requests (ExportTraceServiceRequest, ExportMetricsServiceRequest,
 * ExportLogsServiceRequest) as field tables, with the rules that span
 * fields: times in order, one data kind per metric, histogram buckets.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_check.h"
#include "otlp_check_int.h"

#define END \
  { NULL, F_STR, 0, 0, 0, NULL }
#define U32(name) \
  { name, F_INT, 0, 0, UINT32_MAX, NULL }

/* ---- traces ------------------------------------------------------------ */

static int check_status(ck *c, const json_t *v) {
  static const ck_field f[] = {
      {"message", F_STR, 0, 0, 0, NULL}, {"code", F_INT, 0, 0, 2, NULL}, END};
  return ck_msg(c, v, f);
}

static int check_event(ck *c, const json_t *v) {
  static const ck_field f[] = {{"timeUnixNano", F_U64S, 1, 0, 0, NULL},
                               {"name", F_NESTR, 1, 0, 0, NULL},
                               {"attributes", F_ATTRS, 0, 0, 0, NULL},
                               U32("droppedAttributesCount"),
                               END};
  return ck_msg(c, v, f);
}

static int check_link(ck *c, const json_t *v) {
  static const ck_field f[] = {{"traceId", F_TRACEID, 1, 0, 0, NULL},
                               {"spanId", F_SPANID, 1, 0, 0, NULL},
                               {"traceState", F_STR, 0, 0, 0, NULL},
                               {"attributes", F_ATTRS, 0, 0, 0, NULL},
                               U32("droppedAttributesCount"),
                               U32("flags"),
                               END};
  return ck_msg(c, v, f);
}

static int check_span(ck *c, const json_t *v) {
  static const ck_field f[] = {{"traceId", F_TRACEID, 1, 0, 0, NULL},
                               {"spanId", F_SPANID, 1, 0, 0, NULL},
                               {"traceState", F_STR, 0, 0, 0, NULL},
                               {"parentSpanId", F_OPTSID, 0, 0, 0, NULL},
                               U32("flags"),
                               {"name", F_NESTR, 1, 0, 0, NULL},
                               {"kind", F_INT, 0, 0, 5, NULL},
                               {"startTimeUnixNano", F_U64S, 1, 0, 0, NULL},
                               {"endTimeUnixNano", F_U64S, 1, 0, 0, NULL},
                               {"attributes", F_ATTRS, 0, 0, 0, NULL},
                               U32("droppedAttributesCount"),
                               {"events", F_ARR, 0, 0, 0, check_event},
                               U32("droppedEventsCount"),
                               {"links", F_ARR, 0, 0, 0, check_link},
                               U32("droppedLinksCount"),
                               {"status", F_OBJ, 0, 0, 0, check_status},
                               END};
  if (ck_msg(c, v, f) != 0) return -1;
  return ck_times(c, v, "startTimeUnixNano", "endTimeUnixNano", 1);
}

static int check_scope_spans(ck *c, const json_t *v) {
  static const ck_field f[] = {{"scope", F_OBJ, 1, 0, 0, ck_scope},
                               {"spans", F_NEARR, 1, 0, 0, check_span},
                               {"schemaUrl", F_STR, 0, 0, 0, NULL},
                               END};
  return ck_msg(c, v, f);
}

static int check_resource_spans(ck *c, const json_t *v) {
  static const ck_field f[] = {{"resource", F_OBJ, 1, 0, 0, ck_resource},
                               {"scopeSpans", F_NEARR, 1, 0, 0, check_scope_spans},
                               {"schemaUrl", F_STR, 0, 0, 0, NULL},
                               END};
  return ck_msg(c, v, f);
}

/* ---- metrics ----------------------------------------------------------- */

static int check_exemplar(ck *c, const json_t *v) {
  static const ck_field f[] = {{"filteredAttributes", F_ATTRS, 0, 0, 0, NULL},
                               {"timeUnixNano", F_U64S, 1, 0, 0, NULL},
                               {"asDouble", F_DOUBLE, 0, 0, 0, NULL},
                               {"asInt", F_I64S, 0, 0, 0, NULL},
                               {"spanId", F_OPTSID, 0, 0, 0, NULL},
                               {"traceId", F_OPTTID, 0, 0, 0, NULL},
                               END};
  return ck_msg(c, v, f);
}

static int check_number_point(ck *c, const json_t *v) {
  static const ck_field f[] = {{"attributes", F_ATTRS, 0, 0, 0, NULL},
                               {"startTimeUnixNano", F_U64S, 0, 0, 0, NULL},
                               {"timeUnixNano", F_U64S, 1, 0, 0, NULL},
                               {"asDouble", F_DOUBLE, 0, 0, 0, NULL},
                               {"asInt", F_I64S, 0, 0, 0, NULL},
                               {"exemplars", F_ARR, 0, 0, 0, check_exemplar},
                               U32("flags"),
                               END};
  if (ck_msg(c, v, f) != 0) return -1;
  int n = (json_object_get(v, "asDouble") != NULL) + (json_object_get(v, "asInt") != NULL);
  if (n != 1) return ck_fail(c, "a number data point has exactly one of asDouble and asInt");
  return ck_times(c, v, "startTimeUnixNano", "timeUnixNano", 1);
}

static int check_histogram_point(ck *c, const json_t *v) {
  static const ck_field f[] = {{"attributes", F_ATTRS, 0, 0, 0, NULL},
                               {"startTimeUnixNano", F_U64S, 0, 0, 0, NULL},
                               {"timeUnixNano", F_U64S, 1, 0, 0, NULL},
                               {"count", F_U64S, 1, 0, 0, NULL},
                               {"sum", F_DOUBLE, 0, 0, 0, NULL},
                               {"bucketCounts", F_U64SARR, 0, 0, 0, NULL},
                               {"explicitBounds", F_DBLARR, 0, 0, 0, NULL},
                               {"exemplars", F_ARR, 0, 0, 0, check_exemplar},
                               U32("flags"),
                               {"min", F_DOUBLE, 0, 0, 0, NULL},
                               {"max", F_DOUBLE, 0, 0, 0, NULL},
                               END};
  if (ck_msg(c, v, f) != 0) return -1;
  if (ck_times(c, v, "startTimeUnixNano", "timeUnixNano", 1) != 0) return -1;
  const json_t *bc = json_object_get(v, "bucketCounts");
  const json_t *eb = json_object_get(v, "explicitBounds");
  size_t nb = json_array_size(bc), ne = json_array_size(eb);
  if (bc == NULL && ne > 0) return ck_fail(c, "explicitBounds without bucketCounts");
  if (bc != NULL && nb != ne + 1)
    return ck_fail(c, "bucketCounts has %zu entries, explicitBounds %zu: want %zu", nb, ne, ne + 1);
  for (size_t i = 1; i < ne; i++)
    if (json_number_value(json_array_get(eb, i)) <= json_number_value(json_array_get(eb, i - 1)))
      return ck_fail(c, "explicitBounds not strictly increasing at [%zu]", i);
  uint64_t sum = 0, count = ck_u64(v, "count");
  for (size_t i = 0; i < nb; i++)
    sum += strtoull(json_string_value(json_array_get(bc, i)), NULL, 10);
  if (bc != NULL && sum != count)
    return ck_fail(c, "bucketCounts sum to %" PRIu64 ", count is %" PRIu64, sum, count);
  const json_t *mn = json_object_get(v, "min"), *mx = json_object_get(v, "max");
  if (mn && mx && json_number_value(mn) > json_number_value(mx))
    return ck_fail(c, "min %g > max %g", json_number_value(mn), json_number_value(mx));
  return 0;
}

static int check_gauge(ck *c, const json_t *v) {
  static const ck_field f[] = {{"dataPoints", F_NEARR, 1, 0, 0, check_number_point}, END};
  return ck_msg(c, v, f);
}

static int check_sum(ck *c, const json_t *v) {
  static const ck_field f[] = {{"dataPoints", F_NEARR, 1, 0, 0, check_number_point},
                               {"aggregationTemporality", F_INT, 1, 1, 2, NULL},
                               {"isMonotonic", F_BOOL, 1, 0, 0, NULL},
                               END};
  return ck_msg(c, v, f);
}

static int check_histogram(ck *c, const json_t *v) {
  static const ck_field f[] = {{"dataPoints", F_NEARR, 1, 0, 0, check_histogram_point},
                               {"aggregationTemporality", F_INT, 1, 1, 2, NULL},
                               END};
  return ck_msg(c, v, f);
}

/* An instrument name: a letter, then up to 254 of [A-Za-z0-9_./-]. */
static int instrument_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 255 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
    return 0;
  for (size_t i = 1; i < n; i++)
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-", s[i]))
      return 0;
  return 1;
}

static int check_metric(ck *c, const json_t *v) {
  static const ck_field f[] = {{"name", F_NESTR, 1, 0, 0, NULL},
                               {"description", F_STR, 0, 0, 0, NULL},
                               {"unit", F_STR, 0, 0, 0, NULL},
                               {"gauge", F_OBJ, 0, 0, 0, check_gauge},
                               {"sum", F_OBJ, 0, 0, 0, check_sum},
                               {"histogram", F_OBJ, 0, 0, 0, check_histogram},
                               {"exponentialHistogram", F_OBJ, 0, 0, 0, NULL},
                               {"summary", F_OBJ, 0, 0, 0, NULL},
                               {"metadata", F_ATTRS, 0, 0, 0, NULL},
                               END};
  if (ck_msg(c, v, f) != 0) return -1;
  const char *name = json_string_value(json_object_get(v, "name"));
  if (!instrument_name(name)) {
    size_t saved = ck_push_key(c, "name");
    ck_fail(c, "'%s' is not an instrument name (a letter, then [A-Za-z0-9_./-])", name);
    ck_pop(c, saved);
    return -1;
  }
  static const char *const kinds[] = {"gauge", "sum", "histogram", "exponentialHistogram",
                                      "summary"};
  int n = 0;
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
    n += json_object_get(v, kinds[i]) != NULL;
  return n == 1 ? 0
                : ck_fail(c, "metric '%s' has %d data kinds (gauge, sum, histogram, ...): want 1",
                          name, n);
}

static int check_scope_metrics(ck *c, const json_t *v) {
  static const ck_field f[] = {{"scope", F_OBJ, 1, 0, 0, ck_scope},
                               {"metrics", F_NEARR, 1, 0, 0, check_metric},
                               {"schemaUrl", F_STR, 0, 0, 0, NULL},
                               END};
  return ck_msg(c, v, f);
}

static int check_resource_metrics(ck *c, const json_t *v) {
  static const ck_field f[] = {{"resource", F_OBJ, 1, 0, 0, ck_resource},
                               {"scopeMetrics", F_NEARR, 1, 0, 0, check_scope_metrics},
                               {"schemaUrl", F_STR, 0, 0, 0, NULL},
                               END};
  return ck_msg(c, v, f);
}

/* ---- logs -------------------------------------------------------------- */

static int check_log_record(ck *c, const json_t *v) {
  static const ck_field f[] = {{"timeUnixNano", F_U64S, 0, 0, 0, NULL},
                               {"observedTimeUnixNano", F_U64S, 0, 0, 0, NULL},
                               {"severityNumber", F_INT, 1, 1, 24, NULL},
                               {"severityText", F_STR, 0, 0, 0, NULL},
                               {"body", F_ANY, 0, 0, 0, NULL},
                               {"attributes", F_ATTRS, 0, 0, 0, NULL},
                               U32("droppedAttributesCount"),
                               U32("flags"),
                               {"traceId", F_OPTTID, 0, 0, 0, NULL},
                               {"spanId", F_OPTSID, 0, 0, 0, NULL},
                               {"eventName", F_STR, 0, 0, 0, NULL},
                               END};
  if (ck_msg(c, v, f) != 0) return -1;
  if (ck_u64(v, "timeUnixNano") == 0 && ck_u64(v, "observedTimeUnixNano") == 0)
    return ck_fail(c, "neither timeUnixNano nor observedTimeUnixNano is set");
  int has_trace = json_string_length(json_object_get(v, "traceId")) > 0;
  int has_span = json_string_length(json_object_get(v, "spanId")) > 0;
  if (has_trace != has_span) return ck_fail(c, "traceId and spanId go together");
  return 0;
}

static int check_scope_logs(ck *c, const json_t *v) {
  static const ck_field f[] = {{"scope", F_OBJ, 1, 0, 0, ck_scope},
                               {"logRecords", F_NEARR, 1, 0, 0, check_log_record},
                               {"schemaUrl", F_STR, 0, 0, 0, NULL},
                               END};
  return ck_msg(c, v, f);
}

static int check_resource_logs(ck *c, const json_t *v) {
  static const ck_field f[] = {{"resource", F_OBJ, 1, 0, 0, ck_resource},
                               {"scopeLogs", F_NEARR, 1, 0, 0, check_scope_logs},
                               {"schemaUrl", F_STR, 0, 0, 0, NULL},
                               END};
  return ck_msg(c, v, f);
}

/* ---- the requests ------------------------------------------------------ */

const char *otlp_signal_name(otlp_signal sig) {
  return sig == OTLP_TRACES ? "traces" : sig == OTLP_METRICS ? "metrics" : "logs";
}

int otlp_signal_of_path(const char *path) {
  if (strcmp(path, "/v1/traces") == 0) return OTLP_TRACES;
  if (strcmp(path, "/v1/metrics") == 0) return OTLP_METRICS;
  if (strcmp(path, "/v1/logs") == 0) return OTLP_LOGS;
  return -1;
}

int otlp_check(otlp_signal sig, const json_t *doc, char *why, size_t cap) {
  static const ck_field traces[] = {{"resourceSpans", F_NEARR, 1, 0, 0, check_resource_spans}, END};
  static const ck_field metrics[] = {{"resourceMetrics", F_NEARR, 1, 0, 0, check_resource_metrics},
                                     END};
  static const ck_field logs[] = {{"resourceLogs", F_NEARR, 1, 0, 0, check_resource_logs}, END};
  ck c = {.why = why, .cap = cap};
  if (cap > 0) why[0] = '\0';
  return ck_msg(&c, doc, sig == OTLP_TRACES ? traces : sig == OTLP_METRICS ? metrics : logs);
}
