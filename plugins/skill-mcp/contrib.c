/*
 * skill-mcp/contrib.c - what a provisioned MCP server adds to its box
 * (skill_mcp.h): its tools in the canonical shape under their box names,
 * and a short system-prompt section naming the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp_names.h"
#include "skill_mcp.h"

#define PROMPT_MAX 1024

void mcp_contrib_free_names(char **names) {
  for (size_t i = 0; names && names[i]; i++)
    free(names[i]);
  free(names);
}

/* One tool as a host JSON object, or NULL (out of memory or a schema the
 * host cannot parse). */
static vbx_json *tool_def(const vbx_host_services *h, const char *full, const char *server,
                          const vbx_mcp_tool *t, vbx_call *call) {
  char *schema = json_dumps(t->input_schema, JSON_COMPACT);
  vbx_json *o = h->json_object_new();
  vbx_json *js = schema ? h->json_parse(schema, strlen(schema), call) : NULL;
  free(schema);
  char fallback[200];
  const char *desc = t->description;
  if (desc[0] == '\0') {
    snprintf(fallback, sizeof fallback, "Tool %.100s of the MCP server %s.", t->name, server);
    desc = fallback;
  }
  if (o == NULL || js == NULL) {
    if (o != NULL) h->json_decref(o);
    if (js != NULL) h->json_decref(js);
    return NULL;
  }
  if (h->json_object_set(o, "input_schema", js) != 0 || /* steals js first */
      h->json_object_set(o, "name", h->json_string_new(full, strlen(full))) != 0 ||
      h->json_object_set(o, "description", h->json_string_new(desc, strlen(desc))) != 0) {
    h->json_decref(o);
    return NULL;
  }
  return o;
}

static char *prompt(const vbx_host_services *h, const char *server, vbx_mcp_session *s,
                    size_t kept) {
  char *p = h->alloc(PROMPT_MAX);
  if (p == NULL) return NULL;
  const char *info = vbx_mcp_session_server_info(s);
  snprintf(p, PROMPT_MAX,
           "## MCP server: %s\nThe MCP server `%s`%s%s%s runs inside the sandbox; its %zu "
           "tool%s named mcp__%s__<tool>.",
           server, server, info[0] ? " (" : "", info, info[0] ? ")" : "", kept,
           kept == 1 ? " is" : "s are", server);
  return p;
}

int mcp_contrib_build(const vbx_host_services *h, const char *server, vbx_mcp_session *s,
                      vbx_json **tools, char ***accepted, char **prompt_out, vbx_call *call) {
  *tools = NULL;
  *accepted = NULL;
  *prompt_out = NULL;
  size_t n = vbx_mcp_session_tool_count(s), kept = 0;
  vbx_json *arr = h->json_array_new();
  char **names = calloc(n + 1, sizeof *names);
  int rc = 0;
  if (arr == NULL || names == NULL) rc = VBX_E_NOMEM;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const vbx_mcp_tool *t = vbx_mcp_session_tool(s, i);
    char full[VBX_MCP_TOOL_NAME_MAX + 1], why[200];
    if (vbx_mcp_tool_name(server, t->name, full, sizeof full, why, sizeof why) != 0) {
      h->log(h->ctx, VBX_LOG_WARN,
             "skill mcp:%s: tool '%.128s' is left out: %s (tool names must match "
             "^[a-zA-Z0-9_-]{1,64}$)",
             server, t->name, why);
      continue;
    }
    vbx_json *def = tool_def(h, full, server, t, call);
    if (def == NULL || (names[kept] = strdup(t->name)) == NULL) {
      if (def != NULL) h->json_decref(def);
      rc = VBX_E_NOMEM;
      break;
    }
    if (h->json_array_append(arr, def) != 0) {
      rc = VBX_E_NOMEM;
      break;
    }
    kept++;
  }
  if (rc == 0 && (*prompt_out = prompt(h, server, s, kept)) == NULL) rc = VBX_E_NOMEM;
  if (rc != 0) {
    if (arr != NULL) h->json_decref(arr);
    mcp_contrib_free_names(names);
    return h->set_error(call, rc, NULL, "out of memory");
  }
  *tools = arr;
  *accepted = names;
  return 0;
}
