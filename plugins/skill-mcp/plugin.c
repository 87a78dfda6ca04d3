/*
 * skill-mcp/plugin.c - the plugin descriptor and the skill type "mcp": an
 * MCP server declared in the spec is started inside the box's sandbox
 * (never on the host) over stdio through the streaming exec of ABI 1.3,
 * initialized, and its tools become the box's tools mcp__<server>__<tool>;
 * each call is a tools/call with a timeout. A server that exits, stalls or
 * breaks the protocol is a tool error naming it, never a hang.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp_names.h"
#include "skill_mcp.h"

#define PLUGIN_VERSION "0.1.0"

typedef struct ms_state {
  const vbx_host_services *host;
} ms_state;

typedef struct ms_skill {
  const vbx_host_services *h;
  mcp_opts o;
  mcp_proc *proc;        /* the running server, after provision */
  vbx_mcp_session *sess; /* its session */
  char **tools;          /* the server's names of the tools the box got */
} ms_skill;

static void lib_log(void *user, int level, const char *msg) {
  ms_skill *s = user;
  if (level < VBX_LOG_TRACE || level > VBX_LOG_ERROR) level = VBX_LOG_INFO;
  s->h->log(s->h->ctx, (vbx_log_level)level, "%s", msg);
}

static int ms_validate(void *state, const vbx_skill_config *cfg, vbx_call *call) {
  ms_state *st = state;
  mcp_opts o;
  int rc = mcp_opts_parse(st->host, cfg, &o, call);
  mcp_opts_clear(&o);
  return rc;
}

/* The server's command, for the box's allowlist (ABI 1.3). */
static int ms_commands(void *state, const vbx_skill_config *cfg, char ***out, vbx_call *call) {
  ms_state *st = state;
  const vbx_host_services *h = st->host;
  mcp_opts o;
  *out = NULL;
  int rc = mcp_opts_parse(h, cfg, &o, call);
  char **v = rc == 0 ? h->alloc(2 * sizeof *v) : NULL;
  if (v != NULL && (v[0] = h->strdup(o.argv[0])) == NULL) {
    h->free(v);
    v = NULL;
  }
  mcp_opts_clear(&o);
  if (rc != 0) return rc;
  if (v == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  *out = v; /* v[1] is NULL: alloc zero-fills */
  return 0;
}

static int ms_create(void *state, const vbx_skill_config *cfg, vbx_call *call, void **out) {
  ms_state *st = state;
  *out = NULL;
  ms_skill *s = calloc(1, sizeof *s);
  if (s == NULL) return st->host->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  s->h = st->host;
  int rc = mcp_opts_parse(st->host, cfg, &s->o, call);
  if (rc != 0) {
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

/* Stop the server and forget its session. */
static void stop(ms_skill *s) {
  vbx_mcp_session_free(s->sess);
  s->sess = NULL;
  mcp_proc_close(s->proc);
  s->proc = NULL;
  mcp_contrib_free_names(s->tools);
  s->tools = NULL;
}

static void ms_destroy(void *skill) {
  ms_skill *s = skill;
  if (s == NULL) return;
  stop(s);
  mcp_opts_clear(&s->o);
  free(s);
}

/* A failed session step as the call's error: the sandbox's own failure or
 * a proc_* call of this host call that failed (their message already on the
 * call: the guest's "not found" says more than we could), cancellation,
 * the box's deadline, or the session's message with `code`. */
static int session_failed(ms_skill *s, int code, vbx_call *call) {
  const vbx_host_services *h = s->h;
  int host = s->proc ? mcp_proc_host_code(s->proc) : 0;
  if (host != 0 && host != VBX_E_TIMEOUT && host != VBX_E_CANCELLED) return host;
  if (h->is_cancelled(call)) return h->set_error(call, VBX_E_CANCELLED, NULL, "cancelled");
  int failed = s->proc ? mcp_proc_call_failed(s->proc) : 0;
  if (failed != 0 && host == 0) return failed;
  return h->set_error(call, host ? host : code, NULL, "%s", vbx_mcp_session_error(s->sess));
}

static int start(ms_skill *s, const vbx_sandbox_ref *sb, vbx_call *call) {
  int rc = mcp_proc_open(s->h, sb, &s->o, call, &s->proc);
  if (rc != 0) return rc;
  vbx_mcp_session_config c;
  memset(&c, 0, sizeof c);
  c.name = s->o.server;
  c.transport = mcp_proc_transport(s->proc);
  c.client_version = PLUGIN_VERSION;
  c.roots = (const char *const *)s->o.roots;
  c.startup_timeout_ms = s->o.startup_ms;
  c.call_timeout_ms = s->o.timeout_ms;
  c.log = lib_log;
  c.user = s;
  if (vbx_mcp_session_new(&c, &s->sess) != 0)
    return s->h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  if ((rc = vbx_mcp_session_initialize(s->sess)) != 0 ||
      (rc = vbx_mcp_session_list_tools(s->sess)) != 0)
    return session_failed(s, rc, call);
  return 0;
}

static int ms_provision(void *skill, const vbx_sandbox_ref *sandbox, vbx_skill_contrib *out,
                        vbx_call *call) {
  ms_skill *s = skill;
  const vbx_host_services *h = s->h;
  if (!mcp_proc_supported(sandbox))
    return h->set_error(call, VBX_E_UNSUPPORTED, NULL,
                        "skill mcp:%s needs a sandbox backend that can stream a process's stdin "
                        "(proc_open, plugin ABI 1.3); this box's backend cannot (the mock backend "
                        "and backends built before ABI 1.3 cannot)",
                        s->o.server);
  stop(s);
  int rc = start(s, sandbox, call);
  if (rc == 0) {
    rc = mcp_contrib_build(h, s->o.server, s->sess, &out->tools, &s->tools, &out->system_prompt,
                           call);
  }
  if (rc == 0) {
    char label[64];
    snprintf(label, sizeof label, "mcp:%s", s->o.server);
    if ((out->name = h->strdup(label)) == NULL)
      rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  }
  if (rc != 0) {
    if (out->tools != NULL) h->json_decref(out->tools);
    h->free(out->system_prompt);
    out->tools = NULL;
    out->system_prompt = NULL;
    stop(s);
    return rc;
  }
  h->log(h->ctx, VBX_LOG_INFO, "mcp server '%s' (%s) is up: protocol %s, %zu tools", s->o.server,
         vbx_mcp_session_server_info(s->sess), vbx_mcp_session_version(s->sess),
         vbx_mcp_session_tool_count(s->sess));
  return 0;
}

/* A tool error for the model: *out_text, *is_error = 1, returns 0. */
static int tool_error(ms_skill *s, char **out_text, int *is_error, vbx_call *call,
                      const char *text) {
  *out_text = s->h->strdup(text);
  *is_error = 1;
  return *out_text ? 0 : s->h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
}

static int known(const ms_skill *s, const char *name) {
  for (size_t i = 0; s->tools && s->tools[i]; i++)
    if (strcmp(s->tools[i], name) == 0) return 1;
  return 0;
}

static int ms_call_tool(void *skill, const vbx_sandbox_ref *sandbox, const char *tool,
                        const vbx_json *input, char **out_text, int *is_error, vbx_call *call) {
  ms_skill *s = skill;
  const vbx_host_services *h = s->h;
  char msg[1600];
  *out_text = NULL;
  *is_error = 0;
  if (s->sess == NULL)
    return h->set_error(call, VBX_E_STATE, NULL, "skill mcp:%s was not provisioned", s->o.server);
  const char *name = vbx_mcp_tool_strip(s->o.server, tool);
  if (name == NULL || !known(s, name)) {
    snprintf(msg, sizeof msg, "mcp server '%s' has no tool '%.200s'", s->o.server, tool);
    return tool_error(s, out_text, is_error, call, msg);
  }
  if (vbx_mcp_session_dead(s->sess)) {
    snprintf(msg, sizeof msg, "mcp server '%s' is not running any more: %s", s->o.server,
             vbx_mcp_session_error(s->sess));
    return tool_error(s, out_text, is_error, call, msg);
  }
  mcp_proc_bind(s->proc, sandbox, call);
  char *in = input ? h->json_dump(input) : NULL;
  json_t *args = in ? json_loads(in, 0, NULL) : json_object();
  h->free(in);
  if (args == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  char *text = NULL;
  int err = 0;
  int rc = vbx_mcp_session_call_tool(s->sess, name, args, &text, &err);
  json_decref(args);
  if (rc == 0) {
    rc = tool_error(s, out_text, is_error, call, text);
    *is_error = err;
    free(text);
    return rc;
  }
  /* the sandbox's own failures end the call with its message; the engine
   * shows a failed proc_* call's message to the model as the tool error */
  if (mcp_proc_host_code(s->proc) != 0 || mcp_proc_call_failed(s->proc) != 0 ||
      h->is_cancelled(call))
    return session_failed(s, rc, call);
  if (rc == VBX_E_NOMEM) return h->set_error(call, rc, NULL, "out of memory");
  return tool_error(s, out_text, is_error, call, vbx_mcp_session_error(s->sess));
}

static const vbx_skill_type_vtable ms_vtable = {
    .struct_size = sizeof(vbx_skill_type_vtable),
    .name = "mcp",
    .description = "an MCP server run inside the box over stdio; its tools are mcp__NAME__TOOL",
    .flags = 0,
    .validate = ms_validate,
    .create = ms_create,
    .destroy = ms_destroy,
    .provision = ms_provision,
    .call_tool = ms_call_tool,
    .commands = ms_commands,
};

static int ms_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  ms_state *st = calloc(1, sizeof *st);
  if (st == NULL) return VBX_E_NOMEM;
  st->host = host;
  int rc = reg->register_skill_type(reg->reg, &ms_vtable);
  if (rc != 0) {
    free(st);
    return rc;
  }
  *state = st;
  return 0;
}

static void ms_fini(void *state) { free(state); }

VBX_PLUGIN_DEFINE("skill-mcp", PLUGIN_VERSION, "Apache-2.0",
                  "skill type \"mcp\": MCP servers run inside the box over stdio", ms_init, ms_fini)
