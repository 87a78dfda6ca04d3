/*
 * skill-mcp/skill_mcp.h - the parts of the skill type "mcp" (plugin.c):
 * the spec's options (options.c), the MCP transport over the sandbox's
 * streaming exec (proc.c) and what a provisioned server adds to its box
 * (contrib.c). The MCP client itself is vbx_mcp (mcp_session.h).
 *
 * Threads: a skill instance is called by one thread at a time (the vtable
 * does not set VBX_VT_THREAD_SAFE); proc.c's watchdog thread only calls
 * proc_kill, which the ABI allows from any thread.
 */
#ifndef VBX_SKILL_MCP_H
#define VBX_SKILL_MCP_H

#include <stddef.h>
#include <stdint.h>

#include "mcp_session.h"
#include "mcp_transport.h"
#include "voidbox/plugin.h"

/* ---- options.c ----------------------------------------------------------- */

#define MCP_TIMEOUT_SECS 60 /* timeout_secs default: each tools/call */
#define MCP_STARTUP_TIMEOUT_SECS \
  60 /* startup_timeout_secs default: start, initialize, tools/list */

/* A declaration `{type: mcp, value: NAME, command, args, env, timeout_secs,
 * startup_timeout_secs, roots}` checked and copied (malloc'd). */
typedef struct mcp_opts {
  char *server; /* NAME: [a-z0-9_-]{1,32} */
  char **argv;  /* command then args, NULL-terminated */
  size_t argc;
  char **env; /* "K=V", NULL-terminated */
  size_t n_env;
  char **roots; /* absolute paths answered to roots/list, NULL-terminated */
  size_t n_roots;
  uint32_t timeout_ms, startup_ms;
} mcp_opts;

/* Check cfg and fill *o. Every refusal is set on the call with the spec
 * key as its field ("value", "command", "args", "env", ...). 0, VBX_E_SPEC
 * or VBX_E_NOMEM; *o is cleared on failure. */
int mcp_opts_parse(const vbx_host_services *h, const vbx_skill_config *cfg, mcp_opts *o,
                   vbx_call *call);
/* Free what *o holds and zero it. */
void mcp_opts_clear(mcp_opts *o);

/* ---- proc.c ---------------------------------------------------------------- */

typedef struct mcp_proc mcp_proc;

/* 1 when sb has the whole streaming exec (proc_open .. proc_close). */
int mcp_proc_supported(const vbx_sandbox_ref *sb);
/* Start argv inside the sandbox with env added (proc_open: never on the
 * host). 0 and *out, or the sandbox's code (its message on the call) or
 * VBX_E_NOMEM. */
int mcp_proc_open(const vbx_host_services *h, const vbx_sandbox_ref *sb, const mcp_opts *o,
                  vbx_call *call, mcp_proc **out);
/* Use sb's methods and call for what follows (each host call of the skill
 * passes its own). */
void mcp_proc_bind(mcp_proc *p, const vbx_sandbox_ref *sb, vbx_call *call);
/* The transport over p (valid until mcp_proc_close). */
vbx_mcp_transport mcp_proc_transport(mcp_proc *p);
/* The sandbox code that ended the proc when it was the sandbox's failure
 * (VBX_E_SANDBOX_LOST, VBX_E_CANCELLED, VBX_E_TIMEOUT of the host call),
 * else 0. Its message is on the call. */
int mcp_proc_host_code(const mcp_proc *p);
/* The code of a proc_* call of the sandbox that failed during the host
 * call bound last (a process that could not start, a broken stream), else
 * 0; the sandbox's message for it is on that call. */
int mcp_proc_call_failed(const mcp_proc *p);
/* Stop the server (SIGTERM, a moment, then proc_close's SIGKILL) and free
 * p. Needs no call. NULL is a no-op. */
void mcp_proc_close(mcp_proc *p);

/* ---- contrib.c ----------------------------------------------------------- */

/* The box's tools of a listed session: *tools (host JSON array,
 * [{name: mcp__SERVER__TOOL, description, input_schema}]) and *accepted (a
 * malloc'd NULL-terminated array of the server's names of the tools kept;
 * tools whose box name breaks the tool-name rule are left out with a
 * warning); *prompt (host->alloc'd) a short system-prompt section naming
 * the server. 0 or VBX_E_NOMEM set on the call. */
int mcp_contrib_build(const vbx_host_services *h, const char *server, vbx_mcp_session *s,
                      vbx_json **tools, char ***accepted, char **prompt, vbx_call *call);
/* Free an *accepted array. */
void mcp_contrib_free_names(char **names);

#endif
