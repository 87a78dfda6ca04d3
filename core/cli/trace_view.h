/*
 * trace_view.h - a trace file shown: read an OTLP/JSON trace file (ours,
 * or an OpenTelemetry collector file exporter's JSON lines), lay it out
 * and render it as text or JSON. Shared by `voidbox trace FILE` and the
 * waterfall `voidbox run --trace FILE` prints after the run.
 *
 * Threads: none shared.
 */
#ifndef VBX_CLI_TRACE_VIEW_H
#define VBX_CLI_TRACE_VIEW_H

#include <stddef.h>

#include "util/strbuf.h"

#define VBX_TRACE_FILE_MAX (256u * 1024u * 1024u) /* the reader's bound */

typedef struct vbx__trace_view {
  unsigned width;       /* text width (vbx__trace_columns clamps it) */
  int color;            /* colour escapes in text */
  int json;             /* the JSON tree instead of text */
  const char *trace_id; /* show this trace only; NULL: every trace */
} vbx__trace_view;

/* Render the trace file at `path` ("-": stdin) into out. Returns 0, or -1
 * with `why` saying what is wrong with the file, without naming it: "cannot
 * read: No such file or directory", the reader's "line 3: resourceSpans[0]
 * ...: not 32 hex digits", "no spans", "no trace 4bf9...", "out of memory". */
int vbx__trace_view_file(const char *path, const vbx__trace_view *v, vbx__strbuf *out, char *why,
                         size_t cap);

#endif
