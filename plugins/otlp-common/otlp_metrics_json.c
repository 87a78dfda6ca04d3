/*
 * otlp-common/otlp_metrics_json.c - the aggregator's streams into an
 * ExportMetricsServiceRequest (opentelemetry-proto metrics/v1, JSON
 * mapping): one metric per instrument under its reporter's scope, counters
 * as monotonic cumulative sums, gauges, explicit-bucket histograms.
 */
#include <stdlib.h>
#include <string.h>

#include "otlp_int.h"
#include "otlp_metrics_int.h"

#define TEMPORALITY_CUMULATIVE 2

/* The attributes, times and value(s) of one stream's data point. */
static json_t *point_json(const vbx_otlp_metrics *m, const vbx__otlp_stream *s, int kind,
                          uint64_t now_ns) {
  json_t *p = json_object(), *attrs = json_array(), *counts = NULL, *bounds = NULL;
  if (p == NULL || attrs == NULL) goto fail;
  if (vbx__otlp_attrs_append(attrs, (const char *const *)s->attrs) != 0) goto fail;
  int rc = json_object_set_new(p, "attributes", attrs);
  attrs = NULL;
  if (rc != 0) goto fail;
  if (kind != VBX_METRIC_GAUGE &&
      json_object_set_new(p, "startTimeUnixNano", vbx__otlp_u64(m->start_ns)) != 0)
    goto fail;
  if (json_object_set_new(p, "timeUnixNano", vbx__otlp_u64(now_ns)) != 0) goto fail;
  if (kind != VBX_METRIC_HISTOGRAM) {
    if (json_object_set_new(p, "asDouble", json_real(s->value)) != 0) goto fail;
    return p;
  }
  counts = json_array();
  bounds = json_array();
  if (counts == NULL || bounds == NULL) goto fail;
  for (size_t i = 0; i <= VBX__OTLP_N_BOUNDS; i++)
    if (json_array_append_new(counts, vbx__otlp_u64(s->buckets[i])) != 0) goto fail;
  for (size_t i = 0; i < VBX__OTLP_N_BOUNDS; i++)
    if (json_array_append_new(bounds, json_real(vbx__otlp_bounds[i])) != 0) goto fail;
  if (json_object_set_new(p, "count", vbx__otlp_u64(s->count)) != 0 ||
      json_object_set_new(p, "sum", json_real(s->value)) != 0)
    goto fail;
  rc = json_object_set_new(p, "bucketCounts", counts);
  counts = NULL;
  if (rc != 0) goto fail;
  rc = json_object_set_new(p, "explicitBounds", bounds);
  bounds = NULL;
  if (rc != 0) goto fail;
  if (s->count > 0 && (json_object_set_new(p, "min", json_real(s->min)) != 0 ||
                       json_object_set_new(p, "max", json_real(s->max)) != 0))
    goto fail;
  return p;
fail:
  json_decref(p);
  json_decref(attrs);
  json_decref(counts);
  json_decref(bounds);
  return NULL;
}

/* The Metric object of an instrument, its dataPoints array borrowed into
 * *points. */
static json_t *metric_json(const vbx__otlp_instr *in, json_t **points) {
  static const char *const data_key[] = {NULL, "sum", "gauge", "histogram"};
  json_t *mt = json_object(), *data = json_object(), *pts = json_array();
  if (mt == NULL || data == NULL || pts == NULL) goto fail;
  if (json_object_set_new(mt, "name", vbx__otlp_str(in->name)) != 0 ||
      (in->desc && in->desc[0] &&
       json_object_set_new(mt, "description", vbx__otlp_str(in->desc)) != 0) ||
      (in->unit && in->unit[0] && json_object_set_new(mt, "unit", vbx__otlp_str(in->unit)) != 0))
    goto fail;
  *points = pts;
  int rc = json_object_set_new(data, "dataPoints", pts);
  pts = NULL;
  if (rc != 0) goto fail;
  if (in->kind != VBX_METRIC_GAUGE &&
      json_object_set_new(data, "aggregationTemporality", json_integer(TEMPORALITY_CUMULATIVE)) !=
          0)
    goto fail;
  if (in->kind == VBX_METRIC_COUNTER && json_object_set_new(data, "isMonotonic", json_true()) != 0)
    goto fail;
  rc = json_object_set_new(mt, data_key[in->kind], data);
  data = NULL;
  if (rc != 0) goto fail;
  return mt;
fail:
  json_decref(mt);
  json_decref(data);
  json_decref(pts);
  return NULL;
}

json_t *vbx_otlp_metrics_json(const vbx_otlp_metrics *m, const vbx_otlp_resource *res,
                              uint64_t now_ns) {
  if (m == NULL || m->n_streams == 0) return NULL;
  json_t *scopes = json_array();
  json_t **metrics = calloc(m->n_instrs, sizeof(*metrics)); /* borrowed */
  json_t **points = calloc(m->n_instrs, sizeof(*points));   /* borrowed */
  if (scopes == NULL || metrics == NULL || points == NULL) goto fail;
  for (size_t i = 0; i < m->n_streams; i++) {
    const vbx__otlp_stream *s = &m->streams[i];
    const vbx__otlp_instr *in = &m->instrs[s->instr];
    if (metrics[s->instr] == NULL) { /* first stream of the instrument: its metric */
      char name[256];
      json_t *list =
          vbx__otlp_scope_list(scopes, vbx__otlp_scope_name(in->plugin, name, sizeof(name)),
                               res ? res->service_version : NULL, "metrics");
      json_t *mt = metric_json(in, &points[s->instr]);
      if (list == NULL || json_array_append_new(list, mt) != 0) goto fail;
      metrics[s->instr] = mt;
    }
    if (json_array_append_new(points[s->instr], point_json(m, s, in->kind, now_ns)) != 0) goto fail;
  }
  free(metrics);
  free(points);
  return vbx__otlp_request(res, "resourceMetrics", "scopeMetrics", scopes);
fail:
  free(metrics);
  free(points);
  json_decref(scopes);
  return NULL;
}
