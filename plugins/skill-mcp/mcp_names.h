/*
 * skill-mcp/mcp_names.h - the names an MCP server's tools get in a box:
 * "mcp__<server>__<tool>". The server name is [a-z0-9_-]{1,32} (it is the
 * skill's value); the whole name must fit the providers' tool-name rule
 * ^[a-zA-Z0-9_-]{1,64}$.
 */
#ifndef VBX_MCP_NAMES_H
#define VBX_MCP_NAMES_H

#include <stddef.h>

#include "voidbox/errors.h"

#define VBX_MCP_SERVER_NAME_MAX 32
#define VBX_MCP_TOOL_NAME_MAX 64
#define VBX_MCP_PREFIX "mcp__"
#define VBX_MCP_SEP "__"

/* 1 when name is 1..32 bytes of a-z 0-9 _ -, else 0. */
int vbx_mcp_server_name_ok(const char *name);
/* Write "mcp__SERVER__TOOL" into out (cap >= VBX_MCP_TOOL_NAME_MAX + 1).
 * 0; VBX_E_INVAL when tool is empty or has a byte outside [A-Za-z0-9_-]
 * (why says which); VBX_E_TOOBIG when the whole name is over 64 bytes. */
int vbx_mcp_tool_name(const char *server, const char *tool, char *out, size_t cap, char *why,
                      size_t why_cap);
/* The TOOL of "mcp__SERVER__TOOL" when full has that server's prefix, else
 * NULL (borrowed from full). */
const char *vbx_mcp_tool_strip(const char *server, const char *full);

#endif
