/*
 * tests/integration/llm/harness.h - loads an LLM plugin through the real
 * loader (vbx__registry_new + vbx__registry_load), so the real host
 * services (JSON, http_request over libcurl) are used, and runs the
 * provider-independent test suite against a scripted fake server.
 *
 * Each provider test describes its wire format in a `wire` and calls
 * suite_run(). Single-threaded test code.
 */
#ifndef VBX_TEST_LLM_HARNESS_H
#define VBX_TEST_LLM_HARNESS_H

#include "fake_server.h"
#include "plugin/call.h"
#include "plugin/registry.h"

typedef struct wire {
  const char *so_path;
  const char *provider;
  const char *model;
  const char *key_env;           /* NULL: the provider uses no key */
  const char *path;              /* request path, e.g. "/v1/messages" */
  const char *stream_ct;         /* Content-Type of streams */
  const fs_part *ok_stream;      /* streams ok_text, then completes */
  const fs_part *slow_stream;    /* the same with delays between parts */
  const char *ok_text;
  const char *ok_body;           /* a buffered success body with ok_text */
  const fs_part *text_then_stall;/* a first text piece; the test adds the stall */
  const fs_part *truncated;      /* text but no end marker */
  const fs_part *malformed;      /* an event/line with broken JSON */
  const char *malformed_hint;    /* text the error must contain */
  const fs_part *stream_error;   /* an in-stream error object */
  const char *err_auth, *err_notfound, *err_context, *err_busy; /* error bodies */
  const char *oversize_prefix;   /* start of an endless line */
} wire;

typedef struct lh {
  vbx__registry *reg;
  const vbx_llm_provider_vtable *vt;
  void *state;
  const vbx_host_services *h;
} lh;

/* Load so_path and find `provider`; on failure prints why and returns -1. */
int lh_load(lh *x, const char *so_path, const char *provider);
void lh_free(lh *x);
/* Parse JSON text with the plugin's host table (new reference). */
vbx_json *lh_json(lh *x, const char *text);
/* create() with base_url, model, options (JSON text or NULL). */
int lh_create(lh *x, const char *url, const char *model, const char *opts_json, void **out,
              vbx_call *call);
/* One complete() with a user prompt or explicit messages JSON; text
 * streamed to on_text is appended to `streamed` (may be NULL). */
int lh_complete(lh *x, void *prov, const char *messages_json, const char *tools_json,
                vbx_llm_response *resp, char *streamed, size_t cap, vbx_call *call);
void lh_response_free(lh *x, vbx_llm_response *resp);
/* Text of the response's text blocks joined (malloc'd). */
char *lh_text(lh *x, const vbx_llm_response *resp);

/* The generic suite (stream, buffered, 401, missing key, 404, context,
 * retries, slow, stalled, malformed, truncated, oversized, cancel,
 * options). Returns the cmocka result. `extra` tests run too. */
struct CMUnitTest;
int suite_run(const wire *w, const struct CMUnitTest *extra, size_t n_extra);
/* The wire and loaded plugin of the running suite. */
extern const wire *W;
extern lh L;

#endif
