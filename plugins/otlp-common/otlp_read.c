/*
 * otlp-common/otlp_read.c - reading an OTLP/JSON trace file back into
 * spans: one ExportTraceServiceRequest document, or one per line (the
 * collector's file exporter). The input is untrusted: its size and span
 * count are bounded, every value's type checked, and an error names the
 * line and the JSON path of the value at fault.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_read_int.h"

#define MAX_BYTES ((size_t)256 << 20)
#define MAX_SPANS ((size_t)1000000)

int vbx__otlp_rd_fail(vbx__otlp_rd *r, int code, const char *field, const char *fmt, ...) {
  if (r->why == NULL || r->why_len == 0 || r->why[0] != '\0') return code;
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  const char *dot = r->path[0] && field ? "." : "";
  if (r->path[0] == '\0' && field == NULL)
    snprintf(r->why, r->why_len, "line %zu: %s", r->line, msg);
  else
    snprintf(r->why, r->why_len, "line %zu: %s%s%s: %s", r->line, r->path, dot, field ? field : "",
             msg);
  return code;
}

/* A new zeroed record at the end of r->recs, or NULL with the error set. */
static vbx_otlp_span_rec *rec_add(vbx__otlp_rd *r) {
  if (r->n == MAX_SPANS) {
    vbx__otlp_rd_fail(r, VBX_E_LIMIT, NULL, "more than %zu spans", MAX_SPANS);
    return NULL;
  }
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 64;
    if (cap > MAX_SPANS) cap = MAX_SPANS;
    vbx_otlp_span_rec *a = realloc(r->recs, cap * sizeof(*a));
    if (a == NULL) {
      vbx__otlp_rd_fail(r, VBX_E_NOMEM, NULL, "out of memory");
      return NULL;
    }
    r->recs = a;
    r->cap = cap;
  }
  vbx_otlp_span_rec *o = &r->recs[r->n++];
  memset(o, 0, sizeof(*o));
  return o;
}

/* The array at obj[key] (absent: NULL and 0; not an array: an error). */
static int get_array(vbx__otlp_rd *r, json_t *obj, const char *key, json_t **out) {
  *out = json_object_get(obj, key);
  if (*out != NULL && !json_is_array(*out))
    return vbx__otlp_rd_fail(r, VBX_E_INVAL, key, "not an array");
  return 0;
}

static int read_scope_spans(vbx__otlp_rd *r, json_t *ss, size_t at) {
  if (!json_is_object(ss)) return vbx__otlp_rd_fail(r, VBX_E_INVAL, NULL, "not an object");
  json_t *scope = json_object_get(ss, "scope"), *spans;
  const char *name = NULL;
  if (scope != NULL) {
    json_t *nv = json_is_object(scope) ? json_object_get(scope, "name") : NULL;
    if (!json_is_object(scope) || (nv != NULL && !json_is_string(nv)))
      return vbx__otlp_rd_fail(r, VBX_E_INVAL, json_is_object(scope) ? "scope.name" : "scope",
                               json_is_object(scope) ? "not a string" : "not an object");
    name = json_string_value(nv);
  }
  int rc = get_array(r, ss, "spans", &spans);
  size_t i;
  json_t *sp;
  json_array_foreach(spans, i, sp) {
    if (rc != 0) break;
    snprintf(r->path + at, sizeof(r->path) - at, ".spans[%zu]", i);
    vbx_otlp_span_rec *o = rec_add(r);
    if (o == NULL) return r->n == MAX_SPANS ? VBX_E_LIMIT : VBX_E_NOMEM;
    rc = vbx__otlp_read_span(r, sp, name, o);
  }
  return rc;
}

static int read_resource_spans(vbx__otlp_rd *r, json_t *rs) {
  if (!json_is_object(rs)) return vbx__otlp_rd_fail(r, VBX_E_INVAL, NULL, "not an object");
  json_t *list;
  int rc = get_array(r, rs, "scopeSpans", &list);
  size_t at = strlen(r->path), i;
  json_t *ss;
  json_array_foreach(list, i, ss) {
    if (rc != 0) break;
    snprintf(r->path + at, sizeof(r->path) - at, ".scopeSpans[%zu]", i);
    rc = read_scope_spans(r, ss, strlen(r->path));
  }
  return rc;
}

/* One ExportTraceServiceRequest. */
static int read_request(vbx__otlp_rd *r, json_t *doc) {
  r->path[0] = '\0';
  if (!json_is_object(doc)) return vbx__otlp_rd_fail(r, VBX_E_INVAL, NULL, "not a JSON object");
  json_t *list;
  int rc = get_array(r, doc, "resourceSpans", &list);
  size_t i;
  json_t *rs;
  json_array_foreach(list, i, rs) {
    if (rc != 0) break;
    snprintf(r->path, sizeof(r->path), "resourceSpans[%zu]", i);
    rc = read_resource_spans(r, rs);
  }
  return rc;
}

static int syntax_error(vbx__otlp_rd *r, size_t line, const json_error_t *e) {
  r->line = line;
  r->path[0] = '\0';
  return vbx__otlp_rd_fail(r, VBX_E_INVAL, NULL, "JSON syntax error: %s (column %d)", e->text,
                           e->column);
}

static int blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return 0;
  return 1;
}

/* One request per non-blank line. `whole` is the error of parsing the
 * text as one document: a first line that does not parse either is
 * reported with it (a document with trailing garbage). */
static int read_lines(vbx__otlp_rd *r, const char *text, size_t len, const json_error_t *whole) {
  size_t line = 1, first = 1;
  for (size_t pos = 0; pos < len; line++) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    const char *s = text + pos;
    size_t n = end - pos;
    pos = end + 1;
    if (blank(s, n)) continue;
    json_error_t e;
    json_t *doc = json_loadb(s, n, 0, &e);
    if (doc == NULL) {
      if (first) return syntax_error(r, (size_t)whole->line, whole);
      return syntax_error(r, line, &e);
    }
    first = 0;
    r->line = line;
    int rc = read_request(r, doc);
    json_decref(doc);
    if (rc != 0) return rc;
  }
  return 0;
}

int vbx_otlp_read_traces(const char *text, size_t len, vbx_otlp_span_rec **out, size_t *n,
                         char *why, size_t why_len) {
  vbx__otlp_rd r = {.why = why, .why_len = why_len, .line = 1};
  *out = NULL;
  *n = 0;
  if (why != NULL && why_len > 0) why[0] = '\0';
  if (len > MAX_BYTES) {
    if (why != NULL && why_len > 0)
      snprintf(why, why_len, "the input is %zu bytes, over the %zu-byte (256 MiB) limit", len,
               MAX_BYTES);
    return VBX_E_LIMIT;
  }
  if (text == NULL || blank(text, len)) return 0;
  for (size_t i = 0; i < len && text[i] != '{' && text[i] != '['; i++)
    if (text[i] == '\n') r.line++;
  json_error_t e;
  json_t *doc = json_loadb(text, len, 0, &e);
  int rc;
  if (doc != NULL) {
    rc = read_request(&r, doc);
    json_decref(doc);
  } else if (json_error_code(&e) == json_error_end_of_input_expected) {
    rc = read_lines(&r, text, len, &e);
  } else {
    rc = syntax_error(&r, (size_t)(e.line > 0 ? e.line : 1), &e);
  }
  if (rc != 0) {
    vbx_otlp_span_recs_free(r.recs, r.n);
    return rc;
  }
  *out = r.recs;
  *n = r.n;
  return 0;
}

void vbx_otlp_span_recs_free(vbx_otlp_span_rec *recs, size_t n) {
  for (size_t i = 0; recs != NULL && i < n; i++)
    vbx__otlp_rec_clear(&recs[i]);
  free(recs);
}
