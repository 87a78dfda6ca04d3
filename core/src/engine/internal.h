/*
 * engine/internal.h - the state of one box run, shared by the files of
 * core/src/engine only (loop.c, instances.c, sandbox_ref.c, prompt.c,
 * builtin_tools.c, dispatch.c, text.c, claude_code.c). The run belongs to
 * one thread.
 */
#ifndef VBX_ENGINE_INTERNAL_H
#define VBX_ENGINE_INTERNAL_H

#include <jansson.h>
#include <pthread.h>

#include "engine/engine.h"
#include "engine/resolve.h"
#include "plugin/instance.h"
#include "engine/observe_llm.h"
#include "plugin/observe.h"
#include "util/strbuf.h"
#include "util/utf8.h"

/* Bounds on what plugins and guests hand back. */
#define VBX__TOOL_OUTPUT_MAX (64u * 1024u)   /* tool_result text */
#define VBX__READ_FILE_MAX (256u * 1024u)    /* read_file tool */
#define VBX__OUTPUT_FILE_MAX (1024u * 1024u) /* output_file */
#define VBX__MAX_TOKENS 4096u                /* per completion */

/* A provisioned skill. */
typedef struct vbx__skill_inst {
  vbx__inst inst;      /* handle NULL until created */
  char *label;         /* "TYPE:VALUE" or the name the skill gave */
  char *system_prompt; /* host->alloc'd by the plugin, or NULL */
  json_t *tools;       /* array or NULL */
} vbx__skill_inst;

/* Where a tool name goes. */
typedef enum vbx__tool_kind {
  VBX_TOOL_BASH = 0,
  VBX_TOOL_READ_FILE = 1,
  VBX_TOOL_WRITE_FILE = 2,
  VBX_TOOL_SKILL = 3
} vbx__tool_kind;

typedef struct vbx__tool_entry {
  const char *name; /* borrowed from the tool definition */
  vbx__tool_kind kind;
  size_t skill; /* index into skills for VBX_TOOL_SKILL */
} vbx__tool_entry;

/* A process a skill opened through the box's vbx_sandbox_ref
 * (sandbox_ref.c): the handle the skill holds. */
typedef struct vbx__proc vbx__proc;

/* The procs of a box its skills have not closed yet. The lock guards the
 * list (a skill may close a proc on a thread of its own). */
typedef struct vbx__proc_set {
  pthread_mutex_t lock;
  vbx__proc *head;
} vbx__proc_set;

/* What the agent:claude-code engine holds for its box (claude_code.c). */
typedef struct vbx__cc_engine {
  struct vbx__gateway *gw; /* the box's LLM gateway, NULL when not started */
  char *host_dir;          /* the host directory holding the CLI (malloc'd) */
  char *cli_name;          /* its file name (malloc'd) */
  vbx_mount mount;         /* host_dir, read-only, at the CLI's place in the box */
} vbx__cc_engine;

typedef struct vbx__box_run {
  const vbx__engine_env *env;
  const vbx_box *box;
  vbx_box_result *res;
  uint64_t deadline_ns;        /* CLOCK_MONOTONIC, 0: none */
  const vbx__resolved_box *rb; /* the box's implementations (vbx_pipeline_check's) */
  vbx__inst sandbox;           /* handle NULL until created */
  vbx__inst provider;          /* handle NULL until created */
  vbx__skill_inst skills[VBX__MAX_SKILLS];
  size_t n_skills;     /* created so far */
  vbx_sandbox_ref ref; /* forwards to the backend */
  vbx__proc_set procs; /* opened through ref, not closed yet */
  vbx__tool_entry *tools;
  size_t n_tools;
  json_t *tool_defs; /* array given to the provider */
  char *system;      /* system prompt */
  json_t *messages;  /* conversation so far */
  int streamed_text; /* on_text was called during this turn */
  int sandbox_lost;  /* a sandbox call said VBX_E_SANDBOX_LOST */
  vbx__cc_engine cc; /* agent:claude-code only */
} vbx__box_run;

/* box_run.c: a vbx_call carrying the run's and runtime's tokens and the box
 * deadline. */
void vbx__box_call(const vbx__box_run *br, vbx_call *call);
/* box_run.c: VBX_E_CANCELLED when a token is set, VBX_E_TIMEOUT when the box
 * deadline passed, VBX_E_SANDBOX_LOST once the sandbox died, else 0. */
int vbx__box_stopped(const vbx__box_run *br);
/* box_run.c: emit an event of `type` for this box (fields already set in ev
 * are kept). */
void vbx__box_emit(const vbx__box_run *br, vbx_event *ev);
/* box_run.c: stream bytes of `kind` for this box. */
void vbx__box_stream(const vbx__box_run *br, vbx_output_kind kind, const char *data, size_t len);

/* instances.c: create the sandbox, the provider and each skill
 * (provisioned through br->ref); on failure res->error says which and
 * what was created stays recorded for teardown. */
int vbx__box_setup(vbx__box_run *br);
/* instances.c: destroy skills (reverse order), close the procs they left
 * open, destroy the provider and the sandbox; free their contributions.
 * Safe on a partial setup. */
void vbx__box_teardown(vbx__box_run *br);

/* ---- observe_box.c: spans and metric points of a box's work, into the
 * run's hub through the calling thread's scope (nothing outside a run).
 * Each *_begin makes its span the thread's current one (so plugin spans
 * and logs nest under it) until the matching *_end. */

/* How long the resource sample before teardown may take. */
#define VBX__TELEMETRY_SAMPLE_NS (2ull * 1000000000ull)

/* A phase of the box ("sandbox.create", "sandbox.destroy", "skill.provision
 * NAME"): end with rc (0 or VBX_E_*) and, for a failure, its message. */
vbx_span *vbx__obs_phase_begin(const char *name, vbx__obs_scope *saved);
void vbx__obs_phase_end(vbx_span *span, int rc, const char *message, const vbx__obs_scope *saved);

/* The span "execute_tool NAME" of one tool call, not made current (a tool
 * run by the box's own agent, seen in its stream); finishing it records
 * voidbox.tool.calls and voidbox.tool.duration and ends it. */
vbx_span *vbx__obs_tool_span(const char *name, const char *call_id, size_t input_bytes);
void vbx__obs_tool_finish(const vbx__box_run *br, vbx_span *span, const char *name, int is_error,
                          size_t output_bytes, uint64_t duration_ns);
/* The same made current for the tool's run (begin), restored and finished
 * (end). */
vbx_span *vbx__obs_tool_begin(const char *name, const char *call_id, size_t input_bytes,
                              vbx__obs_scope *saved);
void vbx__obs_tool_end(const vbx__box_run *br, vbx_span *span, const vbx__obs_scope *saved,
                       const char *name, int is_error, size_t output_bytes, uint64_t duration_ns);
/* The span "exec ARGV0" of one sandbox exec (not made current: the
 * backend's own spans nest under the tool). res may be NULL. */
vbx_span *vbx__obs_exec_begin(const vbx_exec_request *req);
void vbx__obs_exec_end(vbx_span *span, int rc, const vbx_exec_result *res, const char *message);
/* Sample the sandbox's resource use (when the backend reports it) into
 * the voidbox.sandbox.* and voidbox.host.* metrics. */
void vbx__obs_sandbox_sample(const vbx__box_run *br);
/* A copy of the sandbox environment `env` ("K=V", NULL-terminated, may be
 * NULL) with TRACEPARENT set to the current span (the box's), replacing
 * any the spec set; free with vbx__strv_free. NULL on OOM. */
char **vbx__obs_sandbox_env(const char *const *env);

/* sandbox_ref.c: fill br->ref so skills reach the backend. */
void vbx__sandbox_ref_init(vbx__box_run *br);
/* sandbox_ref.c: an empty proc set / release it (all procs closed by
 * then). */
void vbx__procs_init(vbx__proc_set *s);
void vbx__procs_fini(vbx__proc_set *s);
/* sandbox_ref.c: close through the backend every proc still open (left by
 * a skill), each recorded with deadline_ns. Call it after the skills are
 * destroyed and before the sandbox is. Returns how many there were. */
size_t vbx__procs_close_all(vbx__box_run *br, uint64_t deadline_ns);

/* prompt.c: the system prompt (engine preamble + each skill's prompt),
 * malloc'd; NULL on OOM. */
char *vbx__prompt_system(const vbx__box_run *br);
/* prompt.c: `head` followed by each skill's prompt section, blank-line
 * separated; malloc'd, NULL on OOM (vbx__prompt_system with the native
 * preamble; agent:claude-code with its own head). */
char *vbx__prompt_with_skills(const vbx__box_run *br, const char *head);
/* prompt.c: the first user message's text: the box prompt plus
 * "\n\nInput:\n" + input when input is non-NULL. malloc'd; NULL on OOM. */
char *vbx__prompt_first_user(const vbx_box *box, const char *input);
/* prompt.c: the engine preamble (static). */
const char *vbx__prompt_preamble(void);

/* builtin_tools.c: append the definitions of bash, read_file and
 * write_file to `defs`. Returns 0 or VBX_E_NOMEM. */
int vbx__builtin_tool_defs(json_t *defs);
/* builtin_tools.c: run a built-in tool. *out (malloc'd) is the tool_result
 * text; *is_error is set when the tool failed. Returns 0 when the tool ran
 * (even if it failed), VBX_E_CANCELLED/VBX_E_TIMEOUT when the box was
 * stopped, VBX_E_NOMEM. */
int vbx__builtin_tool_run(vbx__box_run *br, vbx__tool_kind kind, const json_t *input, char **out,
                          int *is_error);

/* dispatch.c: build br->tool_defs and br->tools from the built-ins and
 * every skill's tools; a name used twice fails naming both owners. */
int vbx__tools_build(vbx__box_run *br);
/* dispatch.c: run one tool_use block and append its tool_result block to
 * `results`; record the call in the result and emit VBX_EV_TOOL_CALL. An
 * unknown tool or bad input gives an is_error result. Returns 0, a stop
 * code (VBX_E_CANCELLED, VBX_E_TIMEOUT) or VBX_E_NOMEM. */
int vbx__tool_dispatch(vbx__box_run *br, const json_t *block, json_t *results);
/* dispatch.c: free the tool table. */
void vbx__tools_free(vbx__box_run *br);

/* claude_code.c: before the instances exist - find the claude-code CLI on
 * the host and start the box's LLM gateway (br->cc), so the sandbox is
 * created with the gateway's port and the CLI's directory mounted. 0, or
 * the box's error set and its code returned. */
int vbx__claude_code_prepare(vbx__box_run *br);
/* claude_code.c: after the instances exist - copy the provisioned skills
 * into ~/.claude/skills, run the CLI in the sandbox with the prompt (and
 * `input`), the skills' prompt sections and the box's mcp servers, and
 * record its stream-json into the result. 0, a stop code, or the box's
 * error set and its code returned. */
int vbx__claude_code_run(vbx__box_run *br, const char *input);
/* claude_code.c: stop the gateway and free br->cc (safe when not prepared). */
void vbx__claude_code_cleanup(vbx__box_run *br);
/* claude_code.c: non-zero when skill i is handed to claude-code itself
 * instead of its plugin (an mcp server, which the CLI starts from its
 * --mcp-config), so the engine does not create it. */
int vbx__claude_code_owns_skill(const vbx__box_run *br, size_t i);

/* text.c: append n bytes of s to sb as text, keeping sb->len <= max: valid
 * UTF-8 is copied, NUL becomes the two characters "\0" and any other byte
 * that is not UTF-8 text becomes "\xNN". Sets *truncated (may be NULL)
 * when something did not fit. Returns how many bytes were escaped. */
size_t vbx__text_escape(vbx__strbuf *sb, const char *s, size_t n, size_t max, int *truncated);
/* The line a tool result ends with when `escaped` bytes were escaped. */
#define VBX__BINARY_NOTE \
  "[binary output: %zu bytes that are not text are shown as \\xNN escapes (\\0 for NUL)]\n"
/* text.c: append bytes to sb, keeping sb->len <= max; sets *truncated
 * when something was dropped. */
void vbx__text_append_bounded(vbx__strbuf *sb, const char *s, size_t n, size_t max, int *truncated);

#endif
