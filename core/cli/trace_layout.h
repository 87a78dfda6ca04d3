/*
 * trace_layout.h - the shape of a trace waterfall, apart from printing it
 * (trace_render.c, trace_json.c): spans grouped per trace id, each group in
 * tree order (a parent before its children, siblings by start time; a span
 * whose parent is not in the file becomes a root), and for each row its
 * indent, its bar on the trace's time axis and its duration text.
 *
 * Records are borrowed (vbx_otlp_read_traces' output) and must outlive the
 * layout. Pure functions and no globals: any thread, one layout per thread.
 */
#ifndef VBX_CLI_TRACE_LAYOUT_H
#define VBX_CLI_TRACE_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "otlp_json.h"

/* One row: a span and its depth in its tree (0: a root). */
typedef struct vbx__trace_row {
  const vbx_otlp_span_rec *span;
  size_t depth;
} vbx__trace_row;

/* The spans of one trace id. */
typedef struct vbx__trace_group {
  const char *trace_id;      /* borrowed from a record */
  uint64_t start_ns, end_ns; /* the axis: earliest start, latest end */
  size_t n_errors;           /* spans with status ERROR */
  vbx__trace_row *rows;      /* tree order; points into the layout */
  size_t n_rows;
} vbx__trace_group;

typedef struct vbx__trace_layout {
  vbx__trace_group *groups; /* by start time, then trace id */
  size_t n_groups;
  vbx__trace_row *rows; /* every group's rows */
} vbx__trace_layout;

/* Lay out n records. only: keep the trace with this id (NULL: every
 * trace; none matching gives a layout without groups). Returns 0, or
 * VBX_E_NOMEM with *out empty. Free with vbx__trace_layout_free. */
int vbx__trace_layout_build(const vbx_otlp_span_rec *recs, size_t n, const char *only,
                            vbx__trace_layout *out);
/* Free what build allocated and empty *l (the records are not touched). */
void vbx__trace_layout_free(vbx__trace_layout *l);

/* Widths of a waterfall line. The line is: name column, " |", bar, "| ",
 * duration (right-aligned), marker. */
#define VBX_TRACE_DUR_COLS 7
#define VBX_TRACE_MARK_COLS 6 /* " error" or blanks */
#define VBX_TRACE_FIXED_COLS (4 + VBX_TRACE_DUR_COLS + VBX_TRACE_MARK_COLS)
#define VBX_TRACE_MIN_WIDTH 40
#define VBX_TRACE_MAX_WIDTH 1000

typedef struct vbx__trace_cols {
  unsigned width; /* the whole line, VBX_TRACE_MIN_WIDTH..VBX_TRACE_MAX_WIDTH */
  unsigned name;  /* name column, indent included */
  unsigned bar;   /* bar column, between the two '|' */
} vbx__trace_cols;

/* Split `width` (clamped to the bounds) for names whose widest row (indent
 * plus name) is `widest` columns: the name column gets what it needs up to
 * 40% of what the fixed parts leave (at least 8), the bar the rest.
 * name + bar + VBX_TRACE_FIXED_COLS == width. */
void vbx__trace_columns(unsigned width, size_t widest, vbx__trace_cols *c);

/* The indent of a row at `depth`: two columns a level, at most half the
 * name column. */
unsigned vbx__trace_indent(size_t depth, unsigned name_cols);

/* The bar of [start, end] on the axis [t0, t1] drawn over `cols` columns:
 * its first column and its length, at least 1 (a span shorter than a
 * column still shows), never past the last column. Times outside the axis
 * are clamped to it; an empty axis fills every column. */
void vbx__trace_bar(uint64_t t0, uint64_t t1, uint64_t start, uint64_t end, unsigned cols,
                    unsigned *off, unsigned *len);

/* A duration with three significant digits in the unit that keeps it
 * short: "0.25µs", "850µs", "12.3ms", "1.52s", "320s". At most
 * VBX_TRACE_DUR_COLS columns below 10^7 s. */
void vbx__trace_duration(uint64_t ns, char *buf, size_t cap);

/* Columns UTF-8 text takes (one per code point). */
size_t vbx__trace_text_cols(const char *s, size_t len);
/* The number of bytes of s (len bytes of UTF-8) that fit in `cols`
 * columns, leaving one column for a "…" when s does not fit whole; *cut
 * is set when it does not. */
size_t vbx__trace_fit(const char *s, size_t len, unsigned cols, int *cut);

#endif
