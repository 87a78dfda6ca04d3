/*
 * skill-mcp/session.c - the MCP client session (mcp_session.h): the
 * lifecycle, tools/list pages, tools/call, and the answers to the server's
 * ping and roots/list.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp_content.h"
#include "mcp_session.h"

const char *const vbx_mcp_protocol_versions[] = {"2025-11-25", "2025-06-18", "2025-03-26",
                                                 "2024-11-05", NULL};

#define STARTUP_MS 30000
#define CALL_MS 60000
#define NAME_MAX_ 128   /* MCP tool names are 1..128 bytes */
#define CURSOR_MAX 4096 /* bytes of a nextCursor */
#define ROOTS_MAX 64
#define LOG_LINES_MAX 1000 /* server log messages passed on per session */

struct vbx_mcp_session {
  char name[64];
  vbx_mcp_transport t;
  vbx_mcp_rpc *rpc;
  char client_version[32];
  const char *request_version;
  json_t *roots; /* the roots/list result, or NULL when none declared */
  uint32_t startup_ms, call_ms;
  size_t max_tools, max_pages, max_text;
  vbx_mcp_log_fn log;
  void *user;
  char version[16];
  char server_info[160];
  vbx_mcp_tool *tools;
  size_t n_tools;
  int stale;
  size_t log_lines;
  char err[1800];
};

static void logf_(vbx_mcp_session *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(vbx_mcp_session *s, int level, const char *fmt, ...) {
  if (s->log == NULL) return;
  char msg[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  s->log(s->user, level, msg);
}

static int fail(vbx_mcp_session *s, int code, const char *method, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(vbx_mcp_session *s, int code, const char *method, const char *fmt, ...) {
  int n = snprintf(s->err, sizeof s->err, "mcp server '%s': %s: ", s->name, method);
  if (n < 0 || (size_t)n >= sizeof s->err) return code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
  va_end(ap);
  return code;
}

/* Take the rpc layer's message for code. */
static int from_rpc(vbx_mcp_session *s, int code) {
  snprintf(s->err, sizeof s->err, "%s", vbx_mcp_rpc_error(s->rpc));
  return code;
}

/* Copy at most cap-1 bytes of src, stopping before a cut UTF-8 sequence
 * and replacing control bytes (other than newline and tab) with '?'. */
static void clean_copy(char *dst, size_t cap, const char *src, size_t len) {
  size_t n = len < cap - 1 ? len : cap - 1;
  if (n < len)
    while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
      n--;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)src[i];
    dst[i] = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ? '?' : (char)c;
  }
  dst[n] = '\0';
}

/* ---- what the server asks and announces ------------------------------ */

static int on_request(void *user, const char *method, const json_t *params, json_t **result,
                      char *msg, size_t cap) {
  vbx_mcp_session *s = user;
  (void)params;
  if (strcmp(method, "ping") == 0) {
    *result = json_object();
    return *result ? 0 : VBX_MCP_INTERNAL_ERROR;
  }
  if (strcmp(method, "roots/list") == 0 && s->roots != NULL) {
    *result = json_deep_copy(s->roots);
    return *result ? 0 : VBX_MCP_INTERNAL_ERROR;
  }
  logf_(s, 2, "mcp server '%s' asked for %.100s, which voidbox does not offer", s->name, method);
  snprintf(msg, cap, "Method not found: %.200s", method);
  return VBX_MCP_METHOD_NOT_FOUND;
}

/* notifications/message: the server's log line at the matching level. */
static void server_log(vbx_mcp_session *s, const json_t *params) {
  if (s->log_lines++ >= LOG_LINES_MAX) {
    if (s->log_lines == LOG_LINES_MAX + 1)
      logf_(s, 3, "mcp server '%s': over %d log messages; the rest are dropped", s->name,
            LOG_LINES_MAX);
    return;
  }
  const char *lv = json_string_value(json_object_get(params, "level"));
  int level = 2;
  if (lv == NULL || strcmp(lv, "debug") == 0)
    level = 1;
  else if (strcmp(lv, "info") != 0 && strcmp(lv, "notice") != 0)
    level = 3;
  const json_t *data = json_object_get(params, "data");
  char *text = json_is_string(data) ? NULL : json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
  const char *t = json_is_string(data) ? json_string_value(data) : text ? text : "";
  char clean[400];
  clean_copy(clean, sizeof clean, t, strlen(t));
  logf_(s, level, "mcp server '%s' log (%s): %s", s->name, lv ? lv : "?", clean);
  free(text);
}

static void on_notify(void *user, const char *method, const json_t *params) {
  vbx_mcp_session *s = user;
  if (strcmp(method, "notifications/message") == 0) {
    server_log(s, params);
  } else if (strcmp(method, "notifications/tools/list_changed") == 0) {
    if (!s->stale && s->n_tools > 0)
      logf_(s, 2,
            "mcp server '%s' says its tool list changed; the box keeps the tools listed at "
            "start",
            s->name);
    s->stale = 1;
  } else {
    logf_(s, 1, "mcp server '%s': notification %.100s ignored", s->name, method);
  }
}

static void log_bridge(void *user, int level, const char *msg) {
  vbx_mcp_session *s = user;
  if (s->log) s->log(s->user, level, msg);
}

/* ---- setup ------------------------------------------------------------- */

/* "file://" and path with bytes outside RFC 3986's unreserved set and '/'
 * percent-encoded, into uri (cut at cap). */
static void file_uri(const char *path, char *uri, size_t cap) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = (size_t)snprintf(uri, cap, "file://");
  for (const unsigned char *c = (const unsigned char *)path; *c && o + 4 < cap; c++) {
    if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
        strchr("/-._~", *c) != NULL) {
      uri[o++] = (char)*c;
    } else {
      uri[o++] = '%';
      uri[o++] = hex[*c >> 4];
      uri[o++] = hex[*c & 15];
    }
  }
  uri[o] = '\0';
}

/* {"roots":[{"uri":"file:///path","name":"path's last part"}...]} */
static json_t *roots_result(const char *const *roots) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && roots[i] && i < ROOTS_MAX; i++) {
    const char *base = strrchr(roots[i], '/');
    base = (base && base[1]) ? base + 1 : roots[i];
    char uri[3 * 1024 + 16];
    file_uri(roots[i], uri, sizeof uri);
    if (json_array_append_new(arr, json_pack("{s:s,s:s}", "uri", uri, "name", base)) != 0) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr ? json_pack("{s:o}", "roots", arr) : NULL;
}

int vbx_mcp_session_new(const vbx_mcp_session_config *cfg, vbx_mcp_session **out) {
  *out = NULL;
  vbx_mcp_session *s = calloc(1, sizeof *s);
  if (s == NULL) return VBX_E_NOMEM;
  snprintf(s->name, sizeof s->name, "%s", cfg->name ? cfg->name : "?");
  s->t = cfg->transport;
  snprintf(s->client_version, sizeof s->client_version, "%s",
           cfg->client_version ? cfg->client_version : "0");
  s->request_version = cfg->request_version ? cfg->request_version : vbx_mcp_protocol_versions[0];
  s->startup_ms = cfg->startup_timeout_ms ? cfg->startup_timeout_ms : STARTUP_MS;
  s->call_ms = cfg->call_timeout_ms ? cfg->call_timeout_ms : CALL_MS;
  s->max_tools = cfg->max_tools ? cfg->max_tools : VBX_MCP_TOOLS_MAX;
  s->max_pages = cfg->max_pages ? cfg->max_pages : VBX_MCP_PAGES_MAX;
  s->max_text = cfg->max_text ? cfg->max_text : VBX_MCP_TEXT_MAX;
  s->log = cfg->log;
  s->user = cfg->user;
  vbx_mcp_rpc_config rc = {
      s->name, cfg->transport, cfg->max_line, on_request, on_notify, log_bridge, s};
  if ((cfg->roots != NULL && (s->roots = roots_result(cfg->roots)) == NULL) ||
      vbx_mcp_rpc_new(&rc, &s->rpc) != 0) {
    vbx_mcp_session_free(s);
    return VBX_E_NOMEM;
  }
  *out = s;
  return 0;
}

static void clear_tools(vbx_mcp_session *s) {
  for (size_t i = 0; i < s->n_tools; i++) {
    free(s->tools[i].name);
    free(s->tools[i].description);
    json_decref(s->tools[i].input_schema);
  }
  free(s->tools);
  s->tools = NULL;
  s->n_tools = 0;
}

void vbx_mcp_session_free(vbx_mcp_session *s) {
  if (s == NULL) return;
  clear_tools(s);
  json_decref(s->roots);
  vbx_mcp_rpc_free(s->rpc);
  free(s);
}

/* ---- initialize -------------------------------------------------------- */

static int supported(const char *v) {
  for (size_t i = 0; vbx_mcp_protocol_versions[i]; i++)
    if (strcmp(v, vbx_mcp_protocol_versions[i]) == 0) return 1;
  return 0;
}

static void keep_server_info(vbx_mcp_session *s, const json_t *info) {
  const char *n = json_string_value(json_object_get(info, "name"));
  const char *v = json_string_value(json_object_get(info, "version"));
  char a[64], b[40];
  clean_copy(a, sizeof a, n ? n : "", n ? strlen(n) : 0);
  clean_copy(b, sizeof b, v ? v : "", v ? strlen(v) : 0);
  snprintf(s->server_info, sizeof s->server_info, "%s%s%s", a, a[0] && b[0] ? " " : "", b);
}

int vbx_mcp_session_initialize(vbx_mcp_session *s) {
  const char *m = "initialize";
  json_t *caps = s->roots ? json_pack("{s:{s:b}}", "roots", "listChanged", 0) : json_object();
  json_t *params =
      json_pack("{s:s,s:o,s:{s:s,s:s}}", "protocolVersion", s->request_version, "capabilities",
                caps, "clientInfo", "name", "voidbox", "version", s->client_version);
  if (params == NULL) return fail(s, VBX_E_NOMEM, m, "out of memory");
  json_t *res = NULL;
  int rc = vbx_mcp_rpc_call(s->rpc, m, params, s->startup_ms, &res);
  if (rc != 0) {
    if (s->t.kill) s->t.kill(s->t.ctx); /* initialize is never cancelled: stop the server */
    return from_rpc(s, rc);
  }
  const char *v = json_string_value(json_object_get(res, "protocolVersion"));
  char shown[80];
  clean_copy(shown, sizeof shown, v ? v : "", v ? strlen(v) : 0);
  if (!json_is_object(res) || v == NULL) {
    rc = fail(s, VBX_E_PROTOCOL, m, "the result has no protocolVersion");
  } else if (!supported(v)) {
    rc = fail(s, VBX_E_VERSION, m,
              "the server wants protocol version '%s', which voidbox does not speak (it speaks "
              "%s, %s, %s and %s); disconnected",
              shown, vbx_mcp_protocol_versions[0], vbx_mcp_protocol_versions[1],
              vbx_mcp_protocol_versions[2], vbx_mcp_protocol_versions[3]);
  }
  if (rc != 0) {
    json_decref(res);
    if (s->t.kill) s->t.kill(s->t.ctx);
    return rc;
  }
  snprintf(s->version, sizeof s->version, "%s", v);
  keep_server_info(s, json_object_get(res, "serverInfo"));
  json_decref(res);
  logf_(s, 1, "mcp server '%s' (%s): protocol %s", s->name, s->server_info, s->version);
  rc = vbx_mcp_rpc_notify(s->rpc, "notifications/initialized", NULL,
                          vbx_mcp_deadline_ms(s->startup_ms));
  return rc ? from_rpc(s, rc) : 0;
}

/* ---- tools/list ---------------------------------------------------------- */

/* Keep one listed tool; a malformed entry is skipped with a warning. */
static int add_tool(vbx_mcp_session *s, const json_t *t, size_t page) {
  const char *m = "tools/list";
  const json_t *name = json_object_get(t, "name");
  if (!json_is_string(name) || json_string_length(name) == 0 ||
      json_string_length(name) > NAME_MAX_ ||
      strlen(json_string_value(name)) != json_string_length(name)) {
    logf_(s, 3, "mcp server '%s': a tool on page %zu has no usable name (1..%d bytes); skipped",
          s->name, page + 1, NAME_MAX_);
    return 0;
  }
  const char *n = json_string_value(name);
  for (size_t i = 0; i < s->n_tools; i++)
    if (strcmp(s->tools[i].name, n) == 0) {
      logf_(s, 3, "mcp server '%s' lists tool '%s' twice; the second is skipped", s->name, n);
      return 0;
    }
  const json_t *schema = json_object_get(t, "inputSchema");
  char *dump = schema ? json_dumps(schema, JSON_COMPACT) : NULL;
  size_t dlen = dump ? strlen(dump) : 0;
  free(dump);
  if (schema != NULL && (!json_is_object(schema) || dlen > VBX_MCP_SCHEMA_MAX)) {
    logf_(s, 3, "mcp server '%s': tool '%s' is skipped: its inputSchema is %s", s->name, n,
          json_is_object(schema) ? "over 64 KiB" : "not an object");
    return 0;
  }
  if (s->n_tools >= s->max_tools)
    return fail(s, VBX_E_LIMIT, m, "the server lists more than %zu tools", s->max_tools);
  const json_t *d = json_object_get(t, "description");
  const char *desc = json_string_value(d);
  size_t full = desc ? json_string_length(d) : 0;
  size_t dl = full > VBX_MCP_DESCRIPTION_MAX ? VBX_MCP_DESCRIPTION_MAX : full;
  if (dl < full)
    while (dl > 0 && ((unsigned char)desc[dl] & 0xC0) == 0x80)
      dl--; /* whole characters */
  vbx_mcp_tool *grown = realloc(s->tools, (s->n_tools + 1) * sizeof *grown);
  if (grown == NULL) return fail(s, VBX_E_NOMEM, m, "out of memory");
  s->tools = grown;
  vbx_mcp_tool *e = &s->tools[s->n_tools];
  e->name = strdup(n);
  e->description = strndup(desc ? desc : "", dl);
  e->input_schema = schema ? json_deep_copy(schema) : json_pack("{s:s}", "type", "object");
  if (e->name == NULL || e->description == NULL || e->input_schema == NULL) {
    free(e->name);
    free(e->description);
    json_decref(e->input_schema);
    return fail(s, VBX_E_NOMEM, m, "out of memory");
  }
  s->n_tools++;
  return 0;
}

int vbx_mcp_session_list_tools(vbx_mcp_session *s) {
  const char *m = "tools/list";
  clear_tools(s);
  s->stale = 0;
  char *cursor = NULL;
  int rc = 0;
  for (size_t page = 0; rc == 0; page++) {
    if (page >= s->max_pages) {
      rc = fail(s, VBX_E_LIMIT, m, "the server's tool list goes on past %zu pages", s->max_pages);
      break;
    }
    json_t *params = cursor ? json_pack("{s:s}", "cursor", cursor) : NULL;
    if (cursor != NULL && params == NULL) {
      rc = fail(s, VBX_E_NOMEM, m, "out of memory");
      break;
    }
    json_t *res = NULL;
    rc = vbx_mcp_rpc_call(s->rpc, m, params, s->startup_ms, &res);
    if (rc == VBX_E_TOOL && page == 0 &&
        vbx_mcp_rpc_error_code(s->rpc) == VBX_MCP_METHOD_NOT_FOUND) {
      logf_(s, 2, "mcp server '%s' has no tools (tools/list: method not found)", s->name);
      rc = 0;
      break;
    }
    if (rc != 0) {
      rc = from_rpc(s, rc);
      break;
    }
    const json_t *tools = json_object_get(res, "tools");
    const json_t *next = json_object_get(res, "nextCursor");
    if (!json_is_array(tools))
      rc = fail(s, VBX_E_PROTOCOL, m, "page %zu of the result has no tools list", page + 1);
    else if (next != NULL && !json_is_null(next) &&
             (!json_is_string(next) || json_string_length(next) > CURSOR_MAX))
      rc = fail(s, VBX_E_PROTOCOL, m, "nextCursor on page %zu is not a string of at most %d bytes",
                page + 1, CURSOR_MAX);
    size_t i;
    const json_t *t;
    if (rc == 0) json_array_foreach(tools, i, t) {
        if ((rc = add_tool(s, t, page)) != 0) break;
      }
    free(cursor);
    cursor = NULL;
    if (rc == 0 && json_is_string(next) && json_string_length(next) > 0) {
      cursor = strdup(json_string_value(next));
      if (cursor == NULL) rc = fail(s, VBX_E_NOMEM, m, "out of memory");
    }
    json_decref(res);
    if (rc == 0 && cursor == NULL) break;
  }
  free(cursor);
  if (rc != 0) clear_tools(s);
  return rc;
}

size_t vbx_mcp_session_tool_count(const vbx_mcp_session *s) { return s->n_tools; }

const vbx_mcp_tool *vbx_mcp_session_tool(const vbx_mcp_session *s, size_t i) {
  return i < s->n_tools ? &s->tools[i] : NULL;
}

/* ---- tools/call ---------------------------------------------------------- */

int vbx_mcp_session_call_tool(vbx_mcp_session *s, const char *tool, const json_t *args, char **text,
                              int *is_error) {
  const char *m = "tools/call";
  *text = NULL;
  *is_error = 0;
  json_t *a = args ? json_deep_copy(args) : json_object();
  json_t *params = a ? json_pack("{s:s,s:o}", "name", tool, "arguments", a) : NULL;
  if (params == NULL) return fail(s, VBX_E_NOMEM, m, "out of memory");
  json_t *res = NULL;
  int rc = vbx_mcp_rpc_call(s->rpc, m, params, s->call_ms, &res);
  if (rc == VBX_E_TOOL) { /* the server answered with a JSON-RPC error */
    *text = strdup(vbx_mcp_rpc_error(s->rpc));
    *is_error = 1;
    return *text ? 0 : fail(s, VBX_E_NOMEM, m, "out of memory");
  }
  if (rc != 0) return from_rpc(s, rc);
  rc = vbx_mcp_content_text(res, s->max_text, text, is_error);
  json_decref(res);
  if (rc == VBX_E_PROTOCOL) { /* say so to the model, naming the server */
    free(*text);
    *text = NULL;
    fail(s, rc, m, "the result is not an object with a content list");
    *text = strdup(s->err);
    *is_error = 1;
    return *text ? 0 : fail(s, VBX_E_NOMEM, m, "out of memory");
  }
  return rc ? fail(s, rc, m, "out of memory") : 0;
}

/* ---- accessors ----------------------------------------------------------- */

const char *vbx_mcp_session_error(const vbx_mcp_session *s) { return s->err; }
const char *vbx_mcp_session_version(const vbx_mcp_session *s) { return s->version; }
const char *vbx_mcp_session_server_info(const vbx_mcp_session *s) { return s->server_info; }
int vbx_mcp_session_tools_stale(const vbx_mcp_session *s) { return s->stale; }
int vbx_mcp_session_dead(const vbx_mcp_session *s) { return vbx_mcp_rpc_dead(s->rpc); }
vbx_mcp_rpc *vbx_mcp_session_rpc(vbx_mcp_session *s) { return s->rpc; }
