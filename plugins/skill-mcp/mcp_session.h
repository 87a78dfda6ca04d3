/*
 * skill-mcp/mcp_session.h - one MCP client session with one server over a
 * transport: the lifecycle (initialize with version negotiation, then
 * notifications/initialized), tools/list across pages, tools/call, and the
 * client's side of what the server may ask (ping, roots/list) or announce
 * (log messages, a changed tool list).
 *
 * Versions: the client asks for the newest version it speaks; the server
 * answers with the version it will use. One of vbx_mcp_protocol_versions
 * is accepted; any other ends the session (VBX_E_VERSION, the server
 * killed), as the MCP lifecycle says a client should disconnect.
 *
 * Every call has a timeout; a server that ends, stalls past the timeout or
 * breaks the protocol fails the call with a message naming the server and
 * the method (vbx_mcp_session_error), never hangs. Limits: max_tools tools
 * (default 1000) over at most max_pages pages (default 100).
 *
 * Ownership: the transport stays the caller's (the session never closes
 * it, but kills the server on a protocol error). Returned strings and
 * tools are borrowed from the session. Threads: one thread at a time.
 */
#ifndef VBX_MCP_SESSION_H
#define VBX_MCP_SESSION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "mcp_rpc.h"
#include "mcp_transport.h"

/* The protocol versions this client speaks, newest first, NULL-terminated. */
extern const char *const vbx_mcp_protocol_versions[];

#define VBX_MCP_TOOLS_MAX 1000
#define VBX_MCP_PAGES_MAX 100
#define VBX_MCP_DESCRIPTION_MAX 4096 /* bytes of a tool description kept */
#define VBX_MCP_SCHEMA_MAX 65536     /* bytes of an input schema as JSON */

typedef struct vbx_mcp_session_config {
  const char *name; /* the server's name, in every message */
  vbx_mcp_transport transport;
  const char *client_version;  /* clientInfo.version; NULL: "0" */
  const char *const *roots;    /* absolute paths, NULL-terminated; NULL: none declared */
  const char *request_version; /* the version asked for; NULL: the newest */
  uint32_t startup_timeout_ms; /* initialize, each tools/list page; 0: 30 s */
  uint32_t call_timeout_ms;    /* each tools/call; 0: 60 s */
  size_t max_line;             /* 0: VBX_MCP_LINE_MAX */
  size_t max_tools, max_pages; /* 0: the defaults above */
  size_t max_text;             /* bound on a tool's result text; 0: VBX_MCP_TEXT_MAX */
  vbx_mcp_log_fn log;
  void *user;
} vbx_mcp_session_config;

/* One tool as the server listed it. */
typedef struct vbx_mcp_tool {
  char *name;           /* the server's name for it */
  char *description;    /* "" when none; cut at VBX_MCP_DESCRIPTION_MAX */
  json_t *input_schema; /* an object; {"type":"object"} when the server gave none */
} vbx_mcp_tool;

typedef struct vbx_mcp_session vbx_mcp_session;

/* A session over cfg->transport; nothing is sent yet. 0 and *out, or
 * VBX_E_NOMEM. */
int vbx_mcp_session_new(const vbx_mcp_session_config *cfg, vbx_mcp_session **out);
/* Free s (NULL: no-op). The transport is untouched. */
void vbx_mcp_session_free(vbx_mcp_session *s);

/* initialize, check the version, send notifications/initialized. 0 or a
 * negative code (VBX_E_VERSION for a version this client does not speak). */
int vbx_mcp_session_initialize(vbx_mcp_session *s);
/* tools/list, following nextCursor; replaces the tools held. A server that
 * answers "method not found" has no tools. 0 or a negative code
 * (VBX_E_LIMIT over max_tools or max_pages). */
int vbx_mcp_session_list_tools(vbx_mcp_session *s);
size_t vbx_mcp_session_tool_count(const vbx_mcp_session *s);
const vbx_mcp_tool *vbx_mcp_session_tool(const vbx_mcp_session *s, size_t i);

/* tools/call `tool` with args (an object, borrowed; NULL: {}). 0 when the
 * server answered: *text (malloc'd) is the result as text (mcp_content.h)
 * and *is_error is set from its isError, or 1 with the error when the
 * server answered with a JSON-RPC error. A negative code when there was no
 * answer (timeout, the server ended, a protocol error, cancellation); the
 * message is in vbx_mcp_session_error. */
int vbx_mcp_session_call_tool(vbx_mcp_session *s, const char *tool, const json_t *args, char **text,
                              int *is_error);

/* The message of the last failure ("" when none). */
const char *vbx_mcp_session_error(const vbx_mcp_session *s);
/* The negotiated version, "" before initialize succeeded. */
const char *vbx_mcp_session_version(const vbx_mcp_session *s);
/* The server's serverInfo "name version" (printable, bounded), "" when unknown. */
const char *vbx_mcp_session_server_info(const vbx_mcp_session *s);
/* Non-zero once the server said its tool list changed. */
int vbx_mcp_session_tools_stale(const vbx_mcp_session *s);
/* The fatal code once the server is unusable, else 0. */
int vbx_mcp_session_dead(const vbx_mcp_session *s);
/* The JSON-RPC peer (for draining and tests). */
vbx_mcp_rpc *vbx_mcp_session_rpc(vbx_mcp_session *s);

#endif
