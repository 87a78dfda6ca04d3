/*
 * trace_render.h - printing a laid-out trace (trace_layout.h): the text
 * waterfall people read and the JSON tree scripts read.
 *
 * Text: per trace a header ("trace ID  N spans  DURATION  K errors"), an
 * axis line, then one line per span: the name indented by depth and cut
 * to its column with "…", a bar on the trace's time axis, the duration and
 * " error" for a span whose status is ERROR. Names are neutralised for the
 * terminal (term_text.h). Colour escapes only when asked.
 *
 * JSON: {"traces": [{"trace_id", "spans", "errors", "duration_ms",
 * "roots": [NODE...]}]}, a NODE being {"name", "span_id", "parent" (the
 * parent span id, null for none), "start_ms" (from the trace's start),
 * "duration_ms", "status" ("unset", "ok", "error"), "status_message"?,
 * "box"?, "children": [NODE...]}; one line. Written without recursion.
 *
 * Threads: none shared.
 */
#ifndef VBX_CLI_TRACE_RENDER_H
#define VBX_CLI_TRACE_RENDER_H

#include "trace_layout.h"
#include "util/strbuf.h"

/* Append the text waterfall of every group of l, `width` columns wide
 * (clamped as vbx__trace_columns does), with colour when `color`. */
void vbx__trace_render_text(vbx__strbuf *sb, const vbx__trace_layout *l, unsigned width, int color);

/* trace_json.c: append the JSON tree of every group of l and a newline. */
void vbx__trace_render_json(vbx__strbuf *sb, const vbx__trace_layout *l);

#endif
