/*
 * gateway/gateway.h - the host-side LLM gateway (docs/gateway.md): an
 * Anthropic-compatible HTTP endpoint served to one box's sandbox, so an
 * in-sandbox engine (claude-code) reaches the model without ever holding
 * an API key.
 *
 *   POST /v1/messages   Anthropic Messages request; `"stream": true` gives
 *                       Anthropic SSE named events, otherwise one JSON
 *                       message. Translated to the box's configured
 *                       provider (anthropic, openai, ollama, ...) through
 *                       its vtable complete().
 *   GET  /v1/models     a one-entry list naming the box's model.
 *
 * Every request must carry the box's token (`x-api-key: TOKEN` or
 * `Authorization: Bearer TOKEN`, compared in constant time); anything else
 * gets 401 with an Anthropic-shaped error body. Requests are bounded: body
 * size (413), header block (MHD's per-connection memory, 431), concurrent
 * connections, and an inactivity timeout. A connection that has not
 * presented the token is "unauthenticated": it must do so within the
 * header deadline (header_timeout_secs) or it is closed, and at most
 * max_unauthenticated such connections are kept (a newcomer evicts the
 * oldest), so clients without the token cannot hold every slot. A client
 * that disconnects cancels its provider call at once. The HTTP/1.1 server
 * is libmicrohttpd, one thread per connection; provider calls run on a
 * worker thread while the connection's thread watches the client.
 *
 * Ownership: the gateway owns the provider instance it creates from
 * cfg->llm (destroyed by vbx__gateway_stop), copies of every string of the
 * config, and the listening socket (a Unix socket path is unlinked on
 * stop). The registry must outlive the gateway.
 *
 * Threads: start/stop/url/token are called by the owner (one thread). The
 * provider instance is called by one request at a time (a mutex serialises
 * complete()) unless its vtable sets VBX_VT_THREAD_SAFE. vbx__gateway_stop
 * cancels requests in flight, lets them answer (503 overloaded_error, or an
 * SSE error event once a stream has started) for up to
 * VBX__GATEWAY_STOP_GRACE_MS, closes every connection, waits for every
 * connection thread and worker to finish, then frees everything.
 */
#ifndef VBX_GATEWAY_GATEWAY_H
#define VBX_GATEWAY_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/call.h"
#include "plugin/observe.h"
#include "plugin/registry.h"
#include "voidbox/voidbox.h"

#define VBX__GATEWAY_DEFAULT_BODY_MAX ((size_t)8 << 20)    /* 8 MiB */
#define VBX__GATEWAY_DEFAULT_HEADER_MAX ((size_t)64 << 10) /* 64 KiB */
#define VBX__GATEWAY_DEFAULT_CONNS 16u
#define VBX__GATEWAY_DEFAULT_TIMEOUT_S 120u
#define VBX__GATEWAY_DEFAULT_HEADER_TIMEOUT_S 10u
#define VBX__GATEWAY_STOP_GRACE_MS 3000u /* stop: time for requests in flight to answer */
#define VBX__GATEWAY_TOKEN_MAX 256

typedef struct vbx__gateway vbx__gateway;

typedef struct vbx__gateway_config {
  /* The provider: `impl` (an LLM implementation) when not NULL, otherwise
   * `provider` looked up by name in `registry` (frozen). */
  const vbx__registry *registry;
  const char *provider;
  const vbx__impl *impl;
  /* How to create the provider instance (as the engine would); borrowed
   * for the call. Its model is the one every request is answered with. */
  const vbx_llm_config *llm;
  /* Where to listen. unix_path set: a Unix stream socket at that path (must
   * not exist yet; mode 0600). Otherwise TCP on listen_addr (numeric IPv4 or
   * IPv6; NULL: "127.0.0.1") and port (0: ephemeral). */
  const char *listen_addr;
  uint16_t port;
  const char *unix_path;
  /* The per-box token (printable ASCII, 16..255 bytes). NULL: generate 32
   * random bytes as 64 hex digits (see vbx__gateway_token). */
  const char *token;
  /* Bounds; 0 selects the VBX__GATEWAY_DEFAULT_* value. */
  size_t max_body_bytes;
  size_t max_header_bytes;
  unsigned max_connections;
  unsigned timeout_secs; /* connection inactivity timeout */
  /* Time from accepting a connection until it has presented the token
   * (the whole header block of a request carrying it), whatever it sends
   * meanwhile; past it the connection is closed. */
  unsigned header_timeout_secs;
  /* Connections kept that have not presented the token yet; a new one
   * past this evicts the oldest. 0: max_connections / 2 (at least 1);
   * larger than max_connections: max_connections. */
  unsigned max_unauthenticated;
  /* Optional extra cancellation source (e.g. the run's Ctrl-C token),
   * checked by every provider call. Must outlive the gateway. */
  const vbx__cancel *cancel;
  /* The scope (plugin/observe.h) the gateway's model calls are recorded
   * under, as "chat" spans and GenAI metrics: a box's. Its span and box
   * must outlive the gateway. All NULL: not recorded. */
  vbx__obs_scope obs;
} vbx__gateway_config;

/* Create the provider instance, bind and start serving. On success *out is
 * the running gateway (free with vbx__gateway_stop). On failure nothing is
 * left running and err names the cause (unknown provider, provider create
 * error, bind address, bad token, MHD start). */
int vbx__gateway_start(const vbx__gateway_config *cfg, vbx__gateway **out, vbx_error *err);

/* Base URL for clients: "http://127.0.0.1:PORT" ("http://[::1]:PORT" for
 * IPv6) or "unix:PATH" for a Unix socket. Owned by the gateway. */
const char *vbx__gateway_url(const vbx__gateway *gw);

/* The bound TCP port, 0 for a Unix socket. */
uint16_t vbx__gateway_port(const vbx__gateway *gw);

/* The token clients must present. Owned by the gateway; never log it. */
const char *vbx__gateway_token(const vbx__gateway *gw);

/* Requests answered so far (any status), for tests and diagnostics.
 * Thread-safe. */
uint64_t vbx__gateway_requests(const vbx__gateway *gw);

/* What admission did so far (see header_timeout_secs, max_unauthenticated),
 * for tests and diagnostics. Thread-safe. */
typedef struct vbx__gateway_admission {
  uint64_t evicted;       /* unauthenticated connections pushed out by a newer one */
  uint64_t expired;       /* unauthenticated connections past the header deadline */
  uint64_t refused;       /* new connections closed: every slot held by a trusted one */
  uint64_t trusted_early; /* connections trusted at accept (token already waiting) */
  uint64_t over_limit;    /* closed by libmicrohttpd at its own connection limit */
} vbx__gateway_admission;
void vbx__gateway_admission_counts(const vbx__gateway *gw, vbx__gateway_admission *out);

/* Cancel requests in flight and let them answer (503 overloaded_error "the
 * gateway is stopping", or an SSE error event on a started stream) for up
 * to VBX__GATEWAY_STOP_GRACE_MS; new requests meanwhile get the same 503.
 * Then close every connection and the listener, wait for the connection
 * threads and provider workers (a provider that ignores cancellation
 * holds this up), destroy the provider instance, unlink the Unix socket,
 * free. NULL is a no-op. */
void vbx__gateway_stop(vbx__gateway *gw);

#endif
