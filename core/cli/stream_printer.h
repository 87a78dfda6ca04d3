/*
 * stream_printer.h - prints box output as it streams, one line at a time,
 * prefixed with the box name ("[analyst] ..."), so the interleaved output
 * of fan-out boxes stays readable. Thread-safe: boxes call it concurrently.
 */
#ifndef VBX_CLI_STREAM_PRINTER_H
#define VBX_CLI_STREAM_PRINTER_H

#include <stdio.h>

#include "voidbox/voidbox.h"

typedef struct vbx__printer vbx__printer;

/* A printer writing to `out` (borrowed). NULL on OOM. */
vbx__printer *vbx__printer_new(FILE *out);
/* vbx_stream_fn: buffer bytes for `box`, print every complete line. */
void vbx__printer_stream(void *printer, const char *box, vbx_output_kind kind, const char *data,
                         size_t len);
/* vbx_event_fn: print tool calls and box start/finish; flushes a box's
 * partial line when it finishes. */
void vbx__printer_event(void *printer, const vbx_event *ev);
/* Flush every partial line and free. */
void vbx__printer_free(vbx__printer *p);

#endif
