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

/* The API key the key-leak case runs with (never to appear in an error). */
#define VBX_TEST_KEY_CANARY "sk-canary-0d1e2a3d4b5e6e7f"

/* One stop reason: the provider's value and the canonical one it maps to
 * (docs/providers.md), with a streamed and a buffered answer ending so. */
typedef struct stop_case {
  const char *native;
  const char *want;
  const fs_part *stream;
  const char *body;
} stop_case;

typedef struct wire {
  const char *so_path;
  const char *provider;
  const char *model;
  const char *key_env;        /* NULL: the provider uses no key */
  const char *path;           /* request path, e.g. "/v1/messages" */
  const char *stream_ct;      /* Content-Type of streams */
  const fs_part *ok_stream;   /* streams ok_text, then completes */
  const fs_part *slow_stream; /* the same with delays between parts */
  const char *ok_text;
  const char *ok_body;            /* a buffered success body with ok_text */
  const fs_part *text_then_stall; /* a first text piece; the test adds the stall */
  const fs_part *truncated;       /* text but no end marker */
  const fs_part *malformed;       /* an event/line with broken JSON */
  const char *malformed_hint;     /* text the error must contain */
  const fs_part *stream_error;    /* an in-stream error object */
  const char *err_auth, *err_notfound, *err_context, *err_busy; /* error bodies */
  const char *oversize_prefix;                                  /* start of an endless line */
  const stop_case *stops; /* every stop reason the provider maps */
  size_t n_stops;
  /* usage: a streamed and a buffered answer whose usage (cache tokens
   * included where the wire has them) must read as `usage` */
  const fs_part *usage_stream;
  const char *usage_body;
  vbx_llm_usage usage;
  /* tool round trip: text "Checking." then one call of "shell" with
   * {"cmd":"ls"} (streamed and buffered); the next request must carry
   * tool_echo (how the wire ties the result to the call) */
  const fs_part *tool_stream;
  const char *tool_body;
  const char *tool_echo;
  /* an in-stream error whose message echoes VBX_TEST_KEY_CANARY after
   * "Incorrect API key provided: " (NULL when the wire has no key) */
  const fs_part *key_echo_stream;
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

/* The conformance table every HTTP provider runs (docs/providers.md,
 * "Conformance"); returns the cmocka result. `extra` (provider-specific)
 * tests run too. */
struct CMUnitTest;
int suite_run(const wire *w, const struct CMUnitTest *extra, size_t n_extra);
/* The wire and loaded plugin of the running suite. */
extern const wire *W;
extern lh L;

#endif
