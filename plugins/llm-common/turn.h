/*
 * llm-common/turn.h - the state of one completion call, shared by the
 * complete() skeleton (complete.c) and a provider's wire hooks (wire.h):
 * the accumulated content, the stop reason, model and usage the wire read,
 * whether the end marker was seen, and the error a stream handler recorded
 * for the transport.
 *
 * The skeleton owns a turn for one call: it initialises it, resets it
 * before every attempt (vbx_llm_turn_reset) and frees it. A wire's hooks
 * only read the request and fill the fields below, through the helpers
 * here when text reaches the caller or a stream fails.
 *
 * Ownership: the turn owns its parser and blocks (malloc); everything else
 * is borrowed for the call. One call, one thread.
 */
#ifndef VBX_LLM_TURN_H
#define VBX_LLM_TURN_H

#include <stddef.h>

#include "base.h"
#include "blocks.h"
#include "ndjson.h"
#include "sse.h"
#include "transport.h"

struct vbx_llm_wire;

/* The block key of the one text block of wires whose answer has no block
 * index (openai, ollama). */
#define VBX_LLM_TEXT_KEY (-1L)

typedef struct vbx_llm_turn {
  vbx_llm_base *b;
  const vbx_host_services *h;
  const vbx_llm_request *req;
  vbx_call *call;
  const struct vbx_llm_wire *w;
  const char *url;        /* the endpoint (for messages) */
  vbx_sse_parser sse;     /* the framing's parser: SSE ... */
  vbx_ndjson_splitter nd; /* ... or NDJSON (only one is used) */
  vbx_blocks blocks;      /* the answer's content */
  int done;               /* the wire's end marker was seen */
  int delivered;          /* text reached the caller: no retry */
  int msg_set;            /* err already says why the stream failed */
  long ntools;            /* tool calls numbered so far (wires without ids) */
  char stop[64];          /* the wire's stop reason, as sent */
  char model[257];        /* the model that answered, as sent */
  vbx_llm_usage usage;
  vbx_llm_err err; /* recorded for the transport */
} vbx_llm_turn;

/* Forget what an earlier attempt read (parser, content, flags, strings,
 * usage, recorded error); keeps `delivered`, the request and the bounds. */
void vbx_llm_turn_reset(vbx_llm_turn *t);

/* Fail the stream: record the formatted message for the transport (first
 * one wins) and set it in the call (field NULL). Returns code. */
int vbx_llm_turn_fail(vbx_llm_turn *t, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append n bytes of text to the text block `key` and hand them to the
 * request's on_text callback (when set and n > 0; the turn is then
 * `delivered`). A callback asking to stop fails the turn with
 * VBX_E_CANCELLED. 0 or a VBX_E_* code (block errors set no message). */
int vbx_llm_turn_text(vbx_llm_turn *t, long key, const char *s, size_t n);

/* Copy src into one of the turn's string fields (dst of cap bytes,
 * truncated); nothing happens when src is NULL. */
void vbx_llm_turn_copy(char *dst, size_t cap, const char *src);

/* Parse len bytes as a JSON object: a new reference, or NULL (nothing set)
 * when they are not valid JSON or not an object. */
vbx_json *vbx_llm_turn_object(const vbx_llm_turn *t, const char *data, size_t len);

#endif
