/*
 * llm-common/wire.h - what an HTTP LLM provider supplies: its wire format,
 * as a table of strings and hooks that the one complete() skeleton
 * (vbx_llm_complete) runs.
 *
 * The skeleton checks the request, creates the body object and lets
 * `body` fill it, POSTs it to base_url + `path` with the key header
 * (`key_prefix` + key), the fixed `headers` and the `accept` header, with
 * the retries of transport.h; it feeds a streamed answer through the
 * framing's parser to `unit` once per SSE event or NDJSON line, or gives a
 * buffered body to `buffered`; then it requires the end marker (t->done),
 * maps the stop reason with `stop`, prices the usage and fills the
 * response. Errors and cancellation are the skeleton's; hooks report a
 * broken answer with vbx_llm_turn_fail and deliver text with
 * vbx_llm_turn_text (turn.h).
 *
 * A wire is a static constant of its plugin; it has no state of its own
 * (per-call state lives in the turn).
 */
#ifndef VBX_LLM_WIRE_H
#define VBX_LLM_WIRE_H

#include <stddef.h>

#include "base.h"
#include "jsonh.h"
#include "turn.h"

typedef enum vbx_llm_framing {
  VBX_LLM_SSE = 1,   /* Server-Sent Events (sse.h) */
  VBX_LLM_NDJSON = 2 /* one JSON document a line (ndjson.h) */
} vbx_llm_framing;

typedef struct vbx_llm_wire {
  const char *path;       /* "/v1/messages", appended to base_url */
  const char *key_prefix; /* "x-api-key: "; NULL: no key is sent */
  const char *headers[3]; /* fixed headers, NULL-terminated */
  const char *accept[2];  /* Accept header: [0] buffered, [1] streamed */
  vbx_llm_framing framing;
  /* The message when the parser fails, %zu the bound: [0] for a line or
   * event over it, [1] otherwise (out of memory). */
  const char *framing_error[2];
  const char *end_marker; /* "message_stop event": named when missing */

  /* Fill the request body object `o` (j's sticky flag catches failed
   * allocations). req->messages is an array. 0 or a VBX_E_* code (call set). */
  int (*body)(vbx_lj *j, vbx_json *o, const vbx_llm_base *b, const vbx_llm_request *req, int stream,
              vbx_call *call);
  /* One streamed unit: an SSE event (`event` its type) or an NDJSON line
   * (`event` NULL). 0 or a VBX_E_* code, recorded with vbx_llm_turn_fail. */
  int (*unit)(vbx_llm_turn *t, const char *event, const char *data, size_t len);
  /* A buffered answer (body never NULL); sets t->done when it is complete.
   * NULL: the body is one unit (unit(t, NULL, body, len)). */
  int (*buffered)(vbx_llm_turn *t, const char *body, size_t len);
  /* The canonical stop reason for what the turn read, or NULL for the
   * default (vbx_llm_finish_response). NULL: t->stop when non-empty. */
  const char *(*stop)(const vbx_llm_turn *t);
} vbx_llm_wire;

/* One completion with wire w: see above. Fills resp (content, stop_reason,
 * model, priced usage; the host's afterwards). Returns 0 or a negative
 * VBX_E_* with the call's error set; resp may then hold partial fields
 * (vbx_llm_vt_complete releases them). */
int vbx_llm_complete(vbx_llm_base *b, const vbx_llm_wire *w, const vbx_llm_request *req,
                     vbx_llm_response *resp, vbx_call *call);

#endif
