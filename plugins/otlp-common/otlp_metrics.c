/*
 * otlp-common/otlp_metrics.c - aggregating metric data points into
 * cumulative streams: counters sum, gauges keep the last value,
 * histograms count into OTel's default explicit buckets (bucket i holds
 * v with bounds[i-1] < v <= bounds[i]). A stream is a metric name plus
 * its attribute set, sorted by key with the last value of a repeated key.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_metrics_int.h"

const double vbx__otlp_bounds[VBX__OTLP_N_BOUNDS] = {0,   5,   10,   25,   50,   75,   100,  250,
                                                     500, 750, 1000, 2500, 5000, 7500, 10000};

typedef struct pair {
  const char *k, *v;
  size_t pos; /* order in the point, so the last of a repeated key wins */
} pair;

static int pair_cmp(const void *a, const void *b) {
  const pair *x = a, *y = b;
  int c = strcmp(x->k, y->k);
  if (c != 0) return c;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static uint32_t hash(const char *s) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

/* The slot of `key` in index ix (holding idx + 1), or the empty slot where
 * it goes. key_at(m, idx) gives an entry's key. */
static uint32_t *slot(const vbx_otlp_metrics *m, uint32_t *ix, const char *key,
                      const char *(*key_at)(const vbx_otlp_metrics *, uint32_t)) {
  uint32_t i = hash(key) & (VBX__OTLP_INDEX_CAP - 1);
  while (ix[i] != 0 && strcmp(key_at(m, ix[i] - 1), key) != 0)
    i = (i + 1) & (VBX__OTLP_INDEX_CAP - 1);
  return &ix[i];
}

static const char *instr_key(const vbx_otlp_metrics *m, uint32_t i) { return m->instrs[i].name; }
static const char *stream_key(const vbx_otlp_metrics *m, uint32_t i) { return m->streams[i].key; }

/* Bounded strdup: NULL for NULL; *oom set on failure. */
static char *dup_text(const char *s, int *oom) {
  if (s == NULL) return NULL;
  char *d = strndup(s, VBX__OTLP_METRIC_TEXT_MAX);
  if (d == NULL) *oom = 1;
  return d;
}

/* Append "LEN:TEXT" to the growing buffer *buf. 0 or -1 on OOM. */
static int key_put(char **buf, size_t *len, size_t *cap, const char *s) {
  size_t n = strlen(s);
  char head[24];
  int h = snprintf(head, sizeof(head), "%zu:", n);
  if (*len + (size_t)h + n + 1 > *cap) {
    size_t c = (*cap ? *cap : 128);
    while (c < *len + (size_t)h + n + 1)
      c *= 2;
    char *b = realloc(*buf, c);
    if (b == NULL) return -1;
    *buf = b;
    *cap = c;
  }
  memcpy(*buf + *len, head, (size_t)h);
  memcpy(*buf + *len + h, s, n);
  *len += (size_t)h + n;
  (*buf)[*len] = '\0';
  return 0;
}

/* OTel's instrument name syntax: a letter, then up to 254 of
 * [A-Za-z0-9_./-]. */
static int instrument_name(const char *s) {
  if (s == NULL || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return 0;
  size_t n = strnlen(s, VBX__OTLP_METRIC_NAME_MAX + 1);
  return n <= VBX__OTLP_METRIC_NAME_MAX &&
         strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-") == n;
}

/* Check a point and collect its attributes sorted and unique into
 * p[0..*np). 0 or VBX_E_INVAL. */
static int check_point(const vbx_metric_data *d, pair *p, size_t *np) {
  if (!instrument_name(d->name)) return VBX_E_INVAL;
  if (d->kind < VBX_METRIC_COUNTER || d->kind > VBX_METRIC_HISTOGRAM || !isfinite(d->value) ||
      (d->kind == VBX_METRIC_COUNTER && d->value < 0))
    return VBX_E_INVAL;
  size_t n = 0;
  for (size_t i = 0; d->attrs != NULL && d->attrs[i] != NULL && d->attrs[i + 1] != NULL; i += 2) {
    if (d->attrs[i][0] == '\0') continue; /* OTLP keys are non-empty */
    if (n == VBX__OTLP_METRIC_ATTRS_MAX ||
        strnlen(d->attrs[i], VBX__OTLP_METRIC_KEY_MAX + 1) > VBX__OTLP_METRIC_KEY_MAX ||
        strnlen(d->attrs[i + 1], VBX__OTLP_METRIC_VALUE_MAX + 1) > VBX__OTLP_METRIC_VALUE_MAX)
      return VBX_E_INVAL;
    p[n] = (pair){d->attrs[i], d->attrs[i + 1], n};
    n++;
  }
  qsort(p, n, sizeof(*p), pair_cmp);
  size_t u = 0; /* keep the last of each run of equal keys */
  for (size_t i = 0; i < n; i++) {
    if (i + 1 < n && strcmp(p[i].k, p[i + 1].k) == 0) continue;
    p[u++] = p[i];
  }
  *np = u;
  return 0;
}

/* The stream's value updated by one point; VBX_E_INVAL when a sum would
 * overflow to infinity (nothing changed then). */
static int apply(vbx__otlp_stream *s, int kind, double v) {
  if (kind == VBX_METRIC_GAUGE) {
    s->value = v;
    return 0;
  }
  if (!isfinite(s->value + v)) return VBX_E_INVAL;
  s->value += v;
  if (kind == VBX_METRIC_COUNTER) return 0;
  size_t b = 0;
  while (b < VBX__OTLP_N_BOUNDS && v > vbx__otlp_bounds[b])
    b++;
  s->buckets[b]++;
  if (s->count == 0 || v < s->min) s->min = v;
  if (s->count == 0 || v > s->max) s->max = v;
  s->count++;
  return 0;
}

/* The index of a new instrument for d's name at the empty index slot sl.
 * 0 or VBX_E_NOMEM. */
static int instr_new(vbx_otlp_metrics *m, const vbx_metric_data *d, uint32_t *sl, uint32_t *idx) {
  if ((m->n_instrs & (m->n_instrs - 1)) == 0) { /* grow at powers of two */
    size_t cap = m->n_instrs ? m->n_instrs * 2 : 8;
    vbx__otlp_instr *a = realloc(m->instrs, cap * sizeof(*a));
    if (a == NULL) return VBX_E_NOMEM;
    m->instrs = a;
  }
  vbx__otlp_instr *in = &m->instrs[m->n_instrs];
  int oom = 0;
  *in = (vbx__otlp_instr){.kind = d->kind};
  in->name = dup_text(d->name, &oom);
  in->unit = dup_text(d->unit, &oom);
  in->desc = dup_text(d->description, &oom);
  in->plugin = dup_text(d->plugin, &oom);
  if (oom) {
    free(in->name);
    free(in->unit);
    free(in->desc);
    free(in->plugin);
    return VBX_E_NOMEM;
  }
  *idx = (uint32_t)m->n_instrs++;
  *sl = *idx + 1;
  return 0;
}

/* A new stream for key (taken) with the point's attributes. */
static int stream_new(vbx_otlp_metrics *m, uint32_t instr, char *key, const pair *p, size_t np,
                      uint32_t *sl) {
  if ((m->n_streams & (m->n_streams - 1)) == 0) {
    size_t cap = m->n_streams ? m->n_streams * 2 : 8;
    vbx__otlp_stream *a = realloc(m->streams, cap * sizeof(*a));
    if (a == NULL) goto oom;
    m->streams = a;
  }
  char **attrs = calloc(2 * np + 1, sizeof(*attrs));
  if (attrs == NULL) goto oom;
  for (size_t i = 0; i < np; i++) {
    attrs[2 * i] = strdup(p[i].k);
    attrs[2 * i + 1] = strdup(p[i].v);
    if (attrs[2 * i] == NULL || attrs[2 * i + 1] == NULL) {
      for (size_t j = 0; j <= 2 * i + 1; j++)
        free(attrs[j]);
      free(attrs);
      goto oom;
    }
  }
  m->streams[m->n_streams] = (vbx__otlp_stream){.key = key, .instr = instr, .attrs = attrs};
  *sl = (uint32_t)++m->n_streams;
  return 0;
oom:
  free(key);
  return VBX_E_NOMEM;
}

vbx_otlp_metrics *vbx_otlp_metrics_new(uint64_t start_ns) {
  vbx_otlp_metrics *m = calloc(1, sizeof(*m));
  if (m != NULL) m->start_ns = start_ns;
  return m;
}

int vbx_otlp_metrics_add(vbx_otlp_metrics *m, const vbx_metric_data *d) {
  if (m == NULL || d == NULL) return VBX_E_INVAL;
  pair p[VBX__OTLP_METRIC_ATTRS_MAX];
  size_t np = 0;
  int rc = check_point(d, p, &np);
  if (rc != 0) return rc;
  char *key = NULL;
  size_t len = 0, cap = 0;
  rc = key_put(&key, &len, &cap, d->name);
  for (size_t i = 0; rc == 0 && i < np; i++)
    if ((rc = key_put(&key, &len, &cap, p[i].k)) == 0) rc = key_put(&key, &len, &cap, p[i].v);
  if (rc != 0) {
    free(key);
    return VBX_E_NOMEM;
  }
  uint32_t *sl = slot(m, m->stream_index, key, stream_key);
  if (*sl != 0) {
    free(key);
    vbx__otlp_stream *s = &m->streams[*sl - 1];
    if (m->instrs[s->instr].kind != d->kind) return VBX_E_INVAL;
    return apply(s, d->kind, d->value);
  }
  uint32_t *isl = slot(m, m->instr_index, d->name, instr_key), instr = 0;
  if (*isl != 0 && m->instrs[*isl - 1].kind != d->kind)
    rc = VBX_E_INVAL;
  else if (m->n_streams >= VBX__OTLP_MAX_STREAMS || m->key_bytes + len > VBX__OTLP_METRIC_BYTES_MAX)
    rc = VBX_E_LIMIT;
  else if (*isl != 0)
    instr = *isl - 1;
  else
    rc = instr_new(m, d, isl, &instr);
  if (rc != 0) {
    free(key);
    if (rc == VBX_E_LIMIT) m->dropped++;
    return rc;
  }
  if ((rc = stream_new(m, instr, key, p, np, sl)) != 0) return rc;
  m->key_bytes += len;
  return apply(&m->streams[m->n_streams - 1], d->kind, d->value); /* from zero: cannot fail */
}

uint64_t vbx_otlp_metrics_dropped(const vbx_otlp_metrics *m) { return m ? m->dropped : 0; }

void vbx_otlp_metrics_free(vbx_otlp_metrics *m) {
  if (m == NULL) return;
  for (size_t i = 0; i < m->n_instrs; i++) {
    free(m->instrs[i].name);
    free(m->instrs[i].unit);
    free(m->instrs[i].desc);
    free(m->instrs[i].plugin);
  }
  for (size_t i = 0; i < m->n_streams; i++) {
    free(m->streams[i].key);
    for (size_t j = 0; m->streams[i].attrs[j] != NULL; j++)
      free(m->streams[i].attrs[j]);
    free(m->streams[i].attrs);
  }
  free(m->instrs);
  free(m->streams);
  free(m);
}
