/*
 * otlp-common/otlp_read_int.h - the trace file reader's state, shared by
 * otlp_read.c (documents, JSON lines, the result) and otlp_read_span.c
 * (one span's fields).
 */
#ifndef VBX_OTLP_READ_INT_H
#define VBX_OTLP_READ_INT_H

#include <stddef.h>

#include "otlp_json.h"

typedef struct vbx__otlp_rd {
  vbx_otlp_span_rec *recs;
  size_t n, cap;
  size_t line;    /* 1-based line the current request starts on */
  char path[192]; /* JSON path of the value being read */
  char *why;
  size_t why_len;
} vbx__otlp_rd;

/* Record "line L: PATH[.FIELD]: MESSAGE" in r->why (first error wins) and
 * return code. field may be NULL. */
int vbx__otlp_rd_fail(vbx__otlp_rd *r, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Read the span object `sp` at r->path into *o (zeroed first; on error o
 * holds what was read so far, freed by the caller). scope may be NULL.
 * Returns 0, VBX_E_INVAL or VBX_E_NOMEM with r->why set. */
int vbx__otlp_read_span(vbx__otlp_rd *r, json_t *sp, const char *scope, vbx_otlp_span_rec *o);
/* Free what a record holds (not the record). */
void vbx__otlp_rec_clear(vbx_otlp_span_rec *o);

#endif
