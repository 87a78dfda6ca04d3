/*
 * tests/fuzz/fuzz_mcp_session.c - libFuzzer target for the input side of
 * the MCP client (plugins/skill-mcp, vbx_mcp): the input is what a server
 * writes to its stdout, read in chunks of a size given by the first byte,
 * through a whole session (initialize, tools/list, two tools/call). The
 * framer, the JSON-RPC peer (responses, the server's requests,
 * notifications, batches) and the content flattening all see it.
 *
 * Checks: whatever the input, every failure has a message naming the
 * server and a method; every line the client wrote is one JSON-RPC 2.0
 * object; a tool's text stays within its bound; listed tools within theirs.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcp_session.h"

#define MAX_TEXT 512
#define MAX_TOOLS 8

static void check_failure(vbx_mcp_session *s, int rc) {
  if (rc == 0) return;
  if (strncmp(vbx_mcp_session_error(s), "mcp server 'fz': ", 17) != 0) abort();
}

static void check_written(const char *out) {
  if (out == NULL) return;
  for (const char *p = out; *p;) {
    const char *nl = strchr(p, '\n');
    if (nl == NULL) abort(); /* every message ends its line */
    json_t *m = json_loadb(p, (size_t)(nl - p), 0, NULL);
    if (!json_is_object(m) || !json_is_string(json_object_get(m, "jsonrpc"))) abort();
    json_decref(m);
    p = nl + 1;
  }
}

static void call(vbx_mcp_session *s, const char *tool, const char *args) {
  json_t *a = args ? json_loads(args, 0, NULL) : NULL;
  char *text = NULL;
  int is_error = 0;
  int rc = vbx_mcp_session_call_tool(s, tool, a, &text, &is_error);
  json_decref(a);
  check_failure(s, rc);
  if (rc == 0 && (text == NULL || strlen(text) > MAX_TEXT + 32)) abort();
  if (rc != 0 && text != NULL) abort();
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  uint8_t chunk = data[0];
  vbx_mcp_mem mem;
  memset(&mem, 0, sizeof mem);
  mem.in = (const char *)data + 1;
  mem.in_len = size - 1;
  if (chunk != 0) {
    mem.chunks = &chunk;
    mem.n_chunks = 1;
  }
  static const char *const roots[] = {"/workspace", NULL};
  vbx_mcp_session_config c;
  memset(&c, 0, sizeof c);
  c.name = "fz";
  c.transport = vbx_mcp_mem_transport(&mem);
  c.client_version = "0.0.0";
  c.roots = roots;
  c.startup_timeout_ms = 1000;
  c.call_timeout_ms = 1000;
  c.max_line = 1024;
  c.max_tools = MAX_TOOLS;
  c.max_pages = 4;
  c.max_text = MAX_TEXT;
  vbx_mcp_session *s = NULL;
  if (vbx_mcp_session_new(&c, &s) != 0) abort();
  int rc = vbx_mcp_session_initialize(s);
  check_failure(s, rc);
  if (rc == 0) {
    rc = vbx_mcp_session_list_tools(s);
    check_failure(s, rc);
    if (vbx_mcp_session_tool_count(s) > MAX_TOOLS) abort();
    for (size_t i = 0; i < vbx_mcp_session_tool_count(s); i++) {
      const vbx_mcp_tool *t = vbx_mcp_session_tool(s, i);
      if (t->name[0] == '\0' || strlen(t->name) > 128 || !json_is_object(t->input_schema)) abort();
    }
    call(s, "echo", "{\"message\":\"x\"}");
    call(s, "add", NULL);
  }
  vbx_mcp_session_free(s);
  check_written(mem.out);
  vbx_mcp_mem_free(&mem);
  return 0;
}
