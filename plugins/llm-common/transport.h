/*
 * llm-common/transport.h - one LLM HTTP POST with the retry policy of
 * retry.h, status-to-error mapping, and a streaming hook.
 *
 * Errors set in the call's slot (field NULL unless said):
 *   401/403   VBX_E_AUTH     "authentication failed: check the API key in
 *                            $ENV" (ENV = the variable actually read)
 *   404       VBX_E_NOTFOUND "unknown model 'M' (HTTP 404 from URL: msg)"
 *   400/413/422 VBX_E_PROVIDER "context too long: msg" when the provider's
 *                            message says so, else "request rejected (HTTP
 *                            400): msg"
 *   retryable status after the last retry: VBX_E_PROVIDER "HTTP 429 from
 *                            URL after N retries: msg"
 *   transport errors: the host's code and message (retried first)
 * The provider's message is taken from the error body ({"error":"..."},
 * {"error":{"message":"..."}}), else the body's first 200 bytes. The API
 * key never appears in a message: where the provider's message or a
 * stream handler's message contains it (a server echoing the key back),
 * it reads "[redacted]".
 *
 * Streaming: with `ops`, every body byte goes to ops->on_data (its error
 * aborts the transfer and is returned with the message it recorded in
 * ops->err).
 * ops->reset runs before each attempt; ops->delivered says whether output
 * already reached the caller, after which nothing is retried. Streamed
 * bytes are bounded by opts->max_response_bytes (VBX_E_TOOBIG).
 *
 * Threads: as the calling provider instance (one thread at a time).
 */
#ifndef VBX_LLM_TRANSPORT_H
#define VBX_LLM_TRANSPORT_H

#include <stddef.h>

#include "options.h"
#include "voidbox/plugin.h"

/* An error recorded by a stream handler. The host's http_request writes
 * its own message when on_data aborts a transfer, so the transport puts
 * this one back into the call afterwards. */
typedef struct vbx_llm_err {
  int code; /* 0: none */
  char field[64];
  char msg[768];
} vbx_llm_err;

/* Record an error (first one wins). Returns code. */
int vbx_llm_err_set(vbx_llm_err *e, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

typedef struct vbx_llm_stream_ops {
  int (*on_data)(void *user, const char *data, size_t len);
  void (*reset)(void *user); /* also clears *err */
  int (*delivered)(void *user);
  void *user;
  vbx_llm_err *err; /* where on_data records why it failed */
} vbx_llm_stream_ops;

typedef struct vbx_llm_post {
  const char *url;
  const char *const *headers; /* NULL-terminated */
  const char *body;
  size_t body_len;
  const char *model;       /* for "unknown model" */
  const char *api_key_env; /* NULL: the provider uses no key */
  const char *api_key;     /* NULL: none; redacted from every message */
} vbx_llm_post;

/* POST p with retries. Buffered (ops NULL): on success *body_out is the
 * host->alloc'd body (caller frees with host->free) and *len_out its length.
 * Streaming: body_out may be NULL. Returns 0 (status 2xx) or a negative
 * VBX_E_* with the call's error set. `rng` is the jitter state. */
int vbx_llm_http_post(const vbx_host_services *h, const vbx_llm_opts *o, const vbx_llm_post *p,
                      const vbx_llm_stream_ops *ops, char **body_out, size_t *len_out,
                      uint64_t *rng, vbx_call *call);

/* Extract the provider's error message from an error body into dst. */
void vbx_llm_error_message(const vbx_host_services *h, const char *body, size_t len, char *dst,
                           size_t cap);

/* Replace every occurrence of `secret` in the NUL-terminated s (a buffer
 * of cap bytes) with "[redacted]", truncating to cap. Nothing happens when
 * secret is NULL or empty. */
void vbx_llm_redact(char *s, size_t cap, const char *secret);

/* Sleep ms milliseconds, waking early when the call is cancelled or its
 * deadline passes. Returns 0 or VBX_E_CANCELLED / VBX_E_TIMEOUT. */
int vbx_llm_sleep_ms(const vbx_host_services *h, uint64_t ms, vbx_call *call);

#endif
