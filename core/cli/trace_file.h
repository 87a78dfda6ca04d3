/*
 * trace_file.h - `voidbox run --trace FILE` on the worker's side: every
 * span of the run collected (vbx_run_options.on_span) and written at the
 * end as one OTLP/JSON ExportTraceServiceRequest line (otlp_json.h), the
 * file replaced atomically (a temporary file in the same directory, then
 * rename), so a reader never sees half a trace.
 *
 * The resource is service.name from OTEL_SERVICE_NAME (else "voidbox") and
 * service.version voidbox's version. At most VBX_TRACE_SPANS_MAX spans are
 * kept; later ones (and any a copy failed for) are counted as dropped.
 *
 * Threads: vbx__span_sink_on_span is called from any thread, concurrently
 * (a mutex); the rest from one thread.
 */
#ifndef VBX_CLI_TRACE_FILE_H
#define VBX_CLI_TRACE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "voidbox/voidbox.h"

#define VBX_TRACE_SPANS_MAX 100000u

typedef struct vbx__span_sink vbx__span_sink;

/* An empty sink keeping at most `max` spans; NULL on OOM. */
vbx__span_sink *vbx__span_sink_new(size_t max);
/* A vbx_span_fn: keep a copy of `span` (user: the sink). */
void vbx__span_sink_on_span(void *user, const vbx_span_data *span);
/* Spans kept, and spans dropped (over the bound or out of memory). */
size_t vbx__span_sink_count(vbx__span_sink *k);
uint64_t vbx__span_sink_dropped(vbx__span_sink *k);
/* Write the kept spans to `path`, replacing it atomically. Returns 0, or
 * -1 with why ("cannot create a file in /dir: Permission denied"); the
 * file is then untouched and no temporary file is left. */
int vbx__span_sink_write(vbx__span_sink *k, const char *path, char *why, size_t cap);
/* Free the sink and its copies (NULL: nothing); no callback may run. */
void vbx__span_sink_free(vbx__span_sink *k);

#endif
