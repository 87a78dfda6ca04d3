/*
 * stream_printer.h - prints box output as it streams, one line at a time,
 * prefixed with the box name ("[analyst] ..."), so the interleaved output
 * of fan-out boxes stays readable. Text is neutralised for terminals
 * (term_text.h). A partial line is held per box and stream up to
 * VBX_PRINTER_LINE_MAX bytes; a longer line is printed in pieces, each
 * piece but the last ending with VBX_PRINTER_CONT and the next starting
 * with it, so host memory stays bounded whatever a box prints.
 *
 * Threads: one thread uses a printer (the supervising parent).
 */
#ifndef VBX_CLI_STREAM_PRINTER_H
#define VBX_CLI_STREAM_PRINTER_H

#include "outq.h"
#include "voidbox/voidbox.h"

#define VBX_PRINTER_LINE_MAX (64u * 1024u)
#define VBX_PRINTER_CONT "\xe2\x80\xa6" /* U+2026 HORIZONTAL ELLIPSIS */

typedef struct vbx__printer vbx__printer;

/* A printer writing into `out` (borrowed). NULL on OOM. */
vbx__printer *vbx__printer_new(vbx__outq *out);
/* Buffer bytes for `box`, print every complete line. */
void vbx__printer_stream(vbx__printer *p, const char *box, vbx_output_kind kind, const char *data,
                         size_t len);
/* Print tool calls and failed boxes; flushes a box's partial lines when a
 * turn, a tool call or the box ends. */
void vbx__printer_event(vbx__printer *p, const vbx_event *ev);
/* Print every partial line. */
void vbx__printer_flush(vbx__printer *p);
/* Flush and free. */
void vbx__printer_free(vbx__printer *p);

#endif
