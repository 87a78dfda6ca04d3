/*
 * llm-common/sse.h - an incremental Server-Sent Events parser
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html).
 *
 * Fed arbitrary chunk splits of a byte stream; recognises LF, CRLF and CR
 * line ends (also when a CRLF is split across chunks), comments (":..."),
 * the fields event/data/id (retry and unknown fields are ignored), and
 * multi-line data (joined with LF). An event is dispatched on a blank line
 * when it has data; an unterminated event at end of stream is discarded, as
 * the specification says.
 *
 * Bounds: a line longer than max_line bytes or an event whose data exceeds
 * max_event bytes fails with VBX_E_TOOBIG; the parser never holds more than
 * max_line + max_event bytes. Errors are sticky.
 *
 * Ownership: the parser owns its buffers (malloc); strings passed to the
 * callback are borrowed for the call. Not thread-safe; one owner.
 */
#ifndef VBX_LLM_SSE_H
#define VBX_LLM_SSE_H

#include <stddef.h>

#define VBX_SSE_NAME_MAX 128 /* event type and id are cut at this length - 1 */

/* Called once per event. `event` is "message" when no event field was
 * given; data is NUL-terminated (data[len] == 0). Return 0 to go on or a
 * negative VBX_E_* code, which vbx_sse_feed returns (sticky). */
typedef int (*vbx_sse_event_fn)(void *user, const char *event, const char *data, size_t len,
                                const char *id);

typedef struct vbx_sse_parser {
  vbx_sse_event_fn on_event;
  void *user;
  size_t max_line;
  size_t max_event;
  char *line; /* current partial line */
  size_t line_len, line_cap;
  char *data; /* data of the current event */
  size_t data_len, data_cap;
  int has_data;
  char event[VBX_SSE_NAME_MAX];
  char id[VBX_SSE_NAME_MAX]; /* last event id (persists across events) */
  int skip_lf;               /* previous byte was CR: ignore one LF */
  int error;                 /* sticky error code, 0 when none */
  size_t events;             /* events dispatched so far */
} vbx_sse_parser;

/* Initialise p. max_line and max_event must be > 0. Never fails. */
void vbx_sse_init(vbx_sse_parser *p, size_t max_line, size_t max_event, vbx_sse_event_fn fn,
                  void *user);
/* Feed len bytes. Returns 0, the callback's error, VBX_E_TOOBIG or
 * VBX_E_NOMEM. After an error every further call returns the same code. */
int vbx_sse_feed(vbx_sse_parser *p, const char *buf, size_t len);
/* End of stream: a final line without terminator is processed, but an
 * event without its blank line is discarded. Returns the sticky error. */
int vbx_sse_finish(vbx_sse_parser *p);
/* Forget partial state (for a retried request); keeps callback and bounds. */
void vbx_sse_reset(vbx_sse_parser *p);
/* Free buffers. p may be reused after vbx_sse_init. */
void vbx_sse_free(vbx_sse_parser *p);

#endif
