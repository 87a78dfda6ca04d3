/*
 * otlp-common/otlp_metrics_int.h - the aggregator's state, shared by
 * otlp_metrics.c (adding points) and otlp_metrics_json.c (encoding).
 *
 * Instruments (one per metric name: kind, unit, description, scope from
 * the first point) and streams (one per name + sorted attribute set) live
 * in arrays in creation order; two open-addressing indexes find them by
 * name and by stream key.
 */
#ifndef VBX_OTLP_METRICS_INT_H
#define VBX_OTLP_METRICS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "otlp_json.h"

#define VBX__OTLP_MAX_STREAMS 2000
#define VBX__OTLP_INDEX_CAP 4096 /* power of two, over twice the streams */
#define VBX__OTLP_N_BOUNDS 15
#define VBX__OTLP_METRIC_NAME_MAX 255 /* OTel's instrument name limit */
#define VBX__OTLP_METRIC_ATTRS_MAX 64 /* attribute pairs of one point */
#define VBX__OTLP_METRIC_KEY_MAX 256
#define VBX__OTLP_METRIC_VALUE_MAX 4096
#define VBX__OTLP_METRIC_TEXT_MAX 1024                /* unit, description, plugin */
#define VBX__OTLP_METRIC_BYTES_MAX ((size_t)16 << 20) /* all stream keys together */

/* OTel's default explicit bucket bounds. */
extern const double vbx__otlp_bounds[VBX__OTLP_N_BOUNDS];

typedef struct vbx__otlp_instr {
  char *name, *unit, *desc, *plugin; /* unit/desc/plugin may be NULL */
  int kind;
} vbx__otlp_instr;

typedef struct vbx__otlp_stream {
  char *key;      /* canonical name + attributes */
  uint32_t instr; /* index into instrs */
  char **attrs;   /* sorted by key, unique: key, value, ..., NULL */
  double value;   /* counter: sum; gauge: last; histogram: sum */
  uint64_t count; /* histogram observations */
  uint64_t buckets[VBX__OTLP_N_BOUNDS + 1];
  double min, max;
} vbx__otlp_stream;

struct vbx_otlp_metrics {
  uint64_t start_ns;
  uint64_t dropped;
  size_t key_bytes; /* the streams' keys (their attributes) together */
  vbx__otlp_instr *instrs;
  size_t n_instrs;
  vbx__otlp_stream *streams;
  size_t n_streams;
  uint32_t instr_index[VBX__OTLP_INDEX_CAP];  /* instr + 1, 0: empty */
  uint32_t stream_index[VBX__OTLP_INDEX_CAP]; /* stream + 1, 0: empty */
};

#endif
