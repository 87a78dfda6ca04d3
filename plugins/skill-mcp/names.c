/*
 * skill-mcp/names.c - server names and the box's names of their tools
 * (mcp_names.h).
 */
#include <stdio.h>
#include <string.h>

#include "mcp_names.h"

static int tool_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

int vbx_mcp_server_name_ok(const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > VBX_MCP_SERVER_NAME_MAX) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return 0;
  }
  return 1;
}

int vbx_mcp_tool_name(const char *server, const char *tool, char *out, size_t cap, char *why,
                      size_t why_cap) {
  size_t n = strlen(tool);
  if (n == 0) {
    snprintf(why, why_cap, "its name is empty");
    return VBX_E_INVAL;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)tool[i];
    if (tool_char(c)) continue;
    if (c >= 0x20 && c < 0x7f)
      snprintf(why, why_cap, "its name has '%c', outside [A-Za-z0-9_-]", c);
    else
      snprintf(why, why_cap, "its name has byte 0x%02x, outside [A-Za-z0-9_-]", c);
    return VBX_E_INVAL;
  }
  size_t full = strlen(VBX_MCP_PREFIX) + strlen(server) + strlen(VBX_MCP_SEP) + n;
  if (full > VBX_MCP_TOOL_NAME_MAX || full + 1 > cap) {
    snprintf(why, why_cap, "%s%s%s<name> would be %zu bytes, over the %d-byte limit of tool names",
             VBX_MCP_PREFIX, server, VBX_MCP_SEP, full, VBX_MCP_TOOL_NAME_MAX);
    return VBX_E_TOOBIG;
  }
  snprintf(out, cap, "%s%s%s%s", VBX_MCP_PREFIX, server, VBX_MCP_SEP, tool);
  return 0;
}

const char *vbx_mcp_tool_strip(const char *server, const char *full) {
  size_t p = strlen(VBX_MCP_PREFIX), s = strlen(server), q = strlen(VBX_MCP_SEP);
  if (full == NULL || strncmp(full, VBX_MCP_PREFIX, p) != 0 || strncmp(full + p, server, s) != 0 ||
      strncmp(full + p + s, VBX_MCP_SEP, q) != 0 || full[p + s + q] == '\0')
    return NULL;
  return full + p + s + q;
}
