/*
 * otlp-common/otlp_copy.c - owned copies of the span and log records the
 * host lends to an exporter for one callback. A producer built against an
 * older ABI sends a shorter struct: fields past its struct_size read as
 * zero/NULL. Strings longer than the bounds of otlp_int.h are cut at a
 * UTF-8 boundary, attributes past VBX__OTLP_MAX_ATTRS pairs dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "otlp_int.h"

/* *dst = a copy of src cut to max bytes (NULL stays NULL). 0 or -1 (OOM). */
static int dup_str(const char **dst, const char *src, size_t max) {
  *dst = NULL;
  if (src == NULL) return 0;
  size_t n = vbx__otlp_utf8_cut(src, strnlen(src, max + 1), max);
  char *d = malloc(n + 1);
  if (d == NULL) return -1;
  memcpy(d, src, n);
  d[n] = '\0';
  *dst = d;
  return 0;
}

/* A copy of a key, value, ..., NULL list (NULL stays NULL). */
static int dup_attrs(const char *const **dst, const char *const *src) {
  *dst = NULL;
  if (src == NULL) return 0;
  size_t pairs = 0;
  while (pairs < VBX__OTLP_MAX_ATTRS && src[2 * pairs] != NULL && src[2 * pairs + 1] != NULL)
    pairs++;
  const char **a = calloc(2 * pairs + 1, sizeof(*a));
  if (a == NULL) return -1;
  *dst = a;
  for (size_t i = 0; i < 2 * pairs; i++) {
    size_t max = (i % 2 == 0) ? VBX__OTLP_MAX_NAME : VBX__OTLP_MAX_VALUE;
    if (dup_str(&a[i], src[i], max) != 0) return -1; /* the caller frees what is there */
  }
  return 0;
}

static void free_attrs(const char *const *attrs) {
  for (size_t i = 0; attrs != NULL && attrs[i] != NULL; i++)
    free((char *)attrs[i]);
  free((void *)attrs);
}

#define SPAN_HAS(s, m) VBX_HAS_MEMBER(s, vbx_span_data, m)

vbx_span_data *vbx_otlp_span_dup(const vbx_span_data *s) {
  if (s == NULL) return NULL;
  vbx_span_data *d = calloc(1, sizeof(*d));
  if (d == NULL) return NULL;
  d->struct_size = sizeof(*d);
  if (SPAN_HAS(s, trace_id_hi)) d->trace_id_hi = s->trace_id_hi;
  if (SPAN_HAS(s, trace_id_lo)) d->trace_id_lo = s->trace_id_lo;
  if (SPAN_HAS(s, span_id)) d->span_id = s->span_id;
  if (SPAN_HAS(s, parent_span_id)) d->parent_span_id = s->parent_span_id;
  if (SPAN_HAS(s, start_ns)) d->start_ns = s->start_ns;
  if (SPAN_HAS(s, end_ns)) d->end_ns = s->end_ns;
  if (SPAN_HAS(s, status)) d->status = s->status;
  if (SPAN_HAS(s, kind)) d->kind = s->kind;
  if ((SPAN_HAS(s, name) && dup_str(&d->name, s->name, VBX__OTLP_MAX_NAME) != 0) ||
      (SPAN_HAS(s, plugin) && dup_str(&d->plugin, s->plugin, VBX__OTLP_MAX_NAME) != 0) ||
      (SPAN_HAS(s, attrs) && dup_attrs(&d->attrs, s->attrs) != 0) ||
      (SPAN_HAS(s, status_message) &&
       dup_str(&d->status_message, s->status_message, VBX__OTLP_MAX_VALUE) != 0) ||
      (SPAN_HAS(s, box) && dup_str(&d->box, s->box, VBX__OTLP_MAX_NAME) != 0) ||
      (SPAN_HAS(s, attr_types) &&
       dup_str(&d->attr_types, s->attr_types, VBX__OTLP_MAX_NAME) != 0)) {
    vbx_otlp_span_free(d);
    return NULL;
  }
  return d;
}

void vbx_otlp_span_free(vbx_span_data *s) {
  if (s == NULL) return;
  free((char *)s->name);
  free((char *)s->plugin);
  free_attrs(s->attrs);
  free((char *)s->status_message);
  free((char *)s->box);
  free((char *)s->attr_types);
  free(s);
}

#define LOG_HAS(r, m) VBX_HAS_MEMBER(r, vbx_log_data, m)

vbx_log_data *vbx_otlp_log_dup(const vbx_log_data *r) {
  if (r == NULL) return NULL;
  vbx_log_data *d = calloc(1, sizeof(*d));
  if (d == NULL) return NULL;
  d->struct_size = sizeof(*d);
  if (LOG_HAS(r, time_ns)) d->time_ns = r->time_ns;
  if (LOG_HAS(r, level)) d->level = r->level;
  if (LOG_HAS(r, trace_id_hi)) d->trace_id_hi = r->trace_id_hi;
  if (LOG_HAS(r, trace_id_lo)) d->trace_id_lo = r->trace_id_lo;
  if (LOG_HAS(r, span_id)) d->span_id = r->span_id;
  if ((LOG_HAS(r, origin) && dup_str(&d->origin, r->origin, VBX__OTLP_MAX_NAME) != 0) ||
      (LOG_HAS(r, box) && dup_str(&d->box, r->box, VBX__OTLP_MAX_NAME) != 0) ||
      (LOG_HAS(r, body) && dup_str(&d->body, r->body, VBX__OTLP_MAX_VALUE) != 0)) {
    vbx_otlp_log_free(d);
    return NULL;
  }
  return d;
}

void vbx_otlp_log_free(vbx_log_data *r) {
  if (r == NULL) return;
  free((char *)r->origin);
  free((char *)r->box);
  free((char *)r->body);
  free(r);
}
