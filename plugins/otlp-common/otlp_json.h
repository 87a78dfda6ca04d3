/*
 * otlp-common/otlp_json.h - OTLP/JSON (OpenTelemetry protocol, JSON
 * encoding, opentelemetry-proto 1.x) for voidbox's telemetry records:
 * spans, log records and aggregated metrics into the export request
 * bodies of /v1/traces, /v1/logs and /v1/metrics, and a trace file read
 * back into spans.
 *
 * A static, position-independent library linked into the exporter-otlp
 * plugin and the CLI (`run --trace`, `voidbox trace`). It uses jansson
 * and nothing of the host.
 *
 * Encoding follows the OTLP/JSON rules: lowerCamelCase keys, trace and
 * span ids as lower-case hex (32 and 16 digits), enums as integers,
 * 64-bit integers (times, counts) as decimal strings.
 *
 * Threads: no shared state; a vbx_otlp_metrics is used by one thread at a
 * time.
 */
#ifndef VBX_OTLP_JSON_H
#define VBX_OTLP_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "voidbox/plugin.h"

/* The resource every record of one export belongs to. attrs: key, value,
 * ..., NULL (may be NULL). service_name becomes "service.name" unless
 * attrs already holds one. */
typedef struct vbx_otlp_resource {
  const char *service_name;
  const char *service_version; /* may be NULL */
  const char *const *attrs;
} vbx_otlp_resource;

/* ---- owned copies of borrowed records ---------------------------------- */

/* A deep copy of a span (every string and the attrs array), malloc'd, or
 * NULL on OOM. Fields an older struct_size lacks are zero/NULL. Free with
 * vbx_otlp_span_free. */
vbx_span_data *vbx_otlp_span_dup(const vbx_span_data *s);
void vbx_otlp_span_free(vbx_span_data *s);
/* The same for log records. */
vbx_log_data *vbx_otlp_log_dup(const vbx_log_data *r);
void vbx_otlp_log_free(vbx_log_data *r);

/* ---- encoding ---------------------------------------------------------- */

/* An ExportTraceServiceRequest: one resourceSpans for `res`, one
 * scopeSpans per distinct span->plugin (scope name "voidbox" or
 * "voidbox.plugin.NAME"), each span with traceId, spanId, parentSpanId
 * (omitted for a root), name, kind, start/endTimeUnixNano, attributes
 * (string values; "voidbox.box" added from span->box) and status (code 1
 * OK, 2 ERROR with message). New reference, NULL on OOM. */
json_t *vbx_otlp_traces_json(const vbx_otlp_resource *res, const vbx_span_data *const *spans,
                             size_t n);

/* An ExportLogsServiceRequest: severityNumber/severityText mapped from the
 * level (trace 1, debug 5, info 9, warn 13, error 17), body as a string
 * value, traceId/spanId when non-zero, "voidbox.box" and "voidbox.origin"
 * attributes. New reference, NULL on OOM. */
json_t *vbx_otlp_logs_json(const vbx_otlp_resource *res, const vbx_log_data *const *recs, size_t n);

/* Metric aggregation: counters become cumulative monotonic sums, gauges
 * keep their last value, histograms are bucketed with OTel's default
 * explicit bounds (0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500,
 * 5000, 7500, 10000) plus count, sum, min and max; one stream per (name,
 * attribute set), at most 2000 streams (further new streams are dropped
 * and counted). */
typedef struct vbx_otlp_metrics vbx_otlp_metrics;
/* start_ns: the start time of every cumulative stream (CLOCK_REALTIME).
 * NULL on OOM. */
vbx_otlp_metrics *vbx_otlp_metrics_new(uint64_t start_ns);
/* Add one data point. Returns 0, or VBX_E_LIMIT when the stream limit
 * dropped it, VBX_E_INVAL for a bad kind/NaN value. */
int vbx_otlp_metrics_add(vbx_otlp_metrics *m, const vbx_metric_data *d);
/* An ExportMetricsServiceRequest of every stream at `now_ns`
 * (aggregationTemporality 2, cumulative), or NULL when there is no
 * stream or on OOM. */
json_t *vbx_otlp_metrics_json(const vbx_otlp_metrics *m, const vbx_otlp_resource *res,
                              uint64_t now_ns);
/* Streams dropped at the limit so far. */
uint64_t vbx_otlp_metrics_dropped(const vbx_otlp_metrics *m);
void vbx_otlp_metrics_free(vbx_otlp_metrics *m);

/* ---- reading a trace file ---------------------------------------------- */

/* One span read back from OTLP/JSON. */
typedef struct vbx_otlp_span_rec {
  char trace_id[33], span_id[17], parent_id[17]; /* hex, "" when absent */
  char *name;
  char *scope; /* scope name or NULL */
  char *box;   /* "voidbox.box" attribute or NULL */
  uint64_t start_ns, end_ns;
  int kind;
  int status_code; /* 0 unset, 1 ok, 2 error */
  char *status_message;
  json_t *attrs; /* object key -> string/number/bool value (new reference) */
} vbx_otlp_span_rec;

/* Read every span of `text`: one ExportTraceServiceRequest, or several as
 * JSON lines (the OTel collector's file exporter). At most 1,000,000 spans
 * and 256 MiB; ids must be hex of the right length; times decimal strings
 * or integers with end >= start. On error returns VBX_E_INVAL (VBX_E_LIMIT,
 * VBX_E_NOMEM) with `why` naming the line and JSON path ("line 3:
 * resourceSpans[0].scopeSpans[1].spans[4].traceId: not 32 hex digits").
 * *out (malloc'd array) is freed with vbx_otlp_span_recs_free. */
int vbx_otlp_read_traces(const char *text, size_t len, vbx_otlp_span_rec **out, size_t *n,
                         char *why, size_t why_len);
void vbx_otlp_span_recs_free(vbx_otlp_span_rec *recs, size_t n);

#endif
