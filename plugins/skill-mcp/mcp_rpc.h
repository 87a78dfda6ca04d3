/*
 * skill-mcp/mcp_rpc.h - the JSON-RPC 2.0 peer of an MCP client over one
 * transport (mcp_transport.h), with jansson.
 *
 * Requests get integer ids allocated here (1, 2, ...). Several may be
 * outstanding; their responses are matched by id in any order. While it
 * waits, the peer answers the server's own requests (on_request; no
 * handler or an unknown method: error -32601) and hands notifications to
 * on_notify. A response to a request the caller gave up on (a timeout) is
 * dropped; one whose id was never sent is a protocol error.
 *
 * A protocol error (a line that is not JSON-RPC 2.0, a line over the
 * bound, an unknown id), the server's end of file, or a transport failure
 * makes the peer dead: the transport is killed, and every later call fails
 * at once with the same message. A timeout is not fatal: the request is
 * abandoned and notifications/cancelled is sent. Every message names the
 * server and the method: "mcp server 'fs': tools/call: no answer within 60 s".
 *
 * Ownership: params passed in are stolen; results returned are new
 * references. Threads: one thread at a time.
 */
#ifndef VBX_MCP_RPC_H
#define VBX_MCP_RPC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "mcp_transport.h"

/* JSON-RPC error codes used here. */
#define VBX_MCP_PARSE_ERROR (-32700)
#define VBX_MCP_INVALID_REQUEST (-32600)
#define VBX_MCP_METHOD_NOT_FOUND (-32601)
#define VBX_MCP_INVALID_PARAMS (-32602)
#define VBX_MCP_INTERNAL_ERROR (-32603)

/* Requests that may be outstanding at once. */
#define VBX_MCP_PENDING_MAX 16

/* Log levels as vbx_log_level (TRACE 0 .. ERROR 4). */
typedef void (*vbx_mcp_log_fn)(void *user, int level, const char *msg);
/* A request from the server. Set *result (a new reference) and return 0,
 * or return a JSON-RPC error code with a message in msg. */
typedef int (*vbx_mcp_request_fn)(void *user, const char *method, const json_t *params,
                                  json_t **result, char *msg, size_t cap);
/* A notification from the server (params may be NULL). */
typedef void (*vbx_mcp_notify_fn)(void *user, const char *method, const json_t *params);

typedef struct vbx_mcp_rpc_config {
  const char *name; /* the server's name, in every message; copied */
  vbx_mcp_transport transport;
  size_t max_line; /* bound on one message either way; 0: VBX_MCP_LINE_MAX */
  vbx_mcp_request_fn on_request;
  vbx_mcp_notify_fn on_notify;
  vbx_mcp_log_fn log;
  void *user; /* passed to the three callbacks */
} vbx_mcp_rpc_config;

typedef struct vbx_mcp_rpc vbx_mcp_rpc;

/* A peer over cfg->transport. 0 and *out, or VBX_E_NOMEM. */
int vbx_mcp_rpc_new(const vbx_mcp_rpc_config *cfg, vbx_mcp_rpc **out);
/* Free the peer (the transport is the caller's). NULL is a no-op. */
void vbx_mcp_rpc_free(vbx_mcp_rpc *rpc);

/* Send request `method` with params (stolen; NULL: none) and give its id.
 * 0, or a negative code with the message set. */
int vbx_mcp_rpc_send(vbx_mcp_rpc *rpc, const char *method, json_t *params, uint64_t deadline_ns,
                     int64_t *id);
/* Wait until the response to `id` arrives or deadline_ns passes. 0 with
 * *result (new reference: the response's `result`); VBX_E_TOOL when the
 * server answered with an error (code: vbx_mcp_rpc_error_code); or
 * VBX_E_TIMEOUT, VBX_E_CANCELLED, VBX_E_NOTFOUND (id not outstanding) or a
 * fatal code. The message is set on every failure. */
int vbx_mcp_rpc_wait(vbx_mcp_rpc *rpc, int64_t id, uint64_t deadline_ns, json_t **result);
/* Give up on `id`: its late response will be dropped, and the server gets
 * notifications/cancelled with `reason` (best effort, bounded by 1 s). */
void vbx_mcp_rpc_abandon(vbx_mcp_rpc *rpc, int64_t id, const char *reason);
/* send + wait within timeout_ms; a timeout or cancellation abandons it. */
int vbx_mcp_rpc_call(vbx_mcp_rpc *rpc, const char *method, json_t *params, uint32_t timeout_ms,
                     json_t **result);
/* Send a notification (params stolen; may be NULL). */
int vbx_mcp_rpc_notify(vbx_mcp_rpc *rpc, const char *method, json_t *params, uint64_t deadline_ns);
/* Read and handle what the server sends until deadline_ns without waiting
 * for anything in particular (used to drain). 0, or a fatal code. */
int vbx_mcp_rpc_pump(vbx_mcp_rpc *rpc, uint64_t deadline_ns);

/* The message of the last failure ("" when none). */
const char *vbx_mcp_rpc_error(const vbx_mcp_rpc *rpc);
/* The JSON-RPC code of the last error answer (after VBX_E_TOOL). */
int vbx_mcp_rpc_error_code(const vbx_mcp_rpc *rpc);
/* The fatal code once the peer is dead, else 0. */
int vbx_mcp_rpc_dead(const vbx_mcp_rpc *rpc);
/* Messages read from the server so far (responses, requests, notifications). */
size_t vbx_mcp_rpc_received(const vbx_mcp_rpc *rpc);

#endif
