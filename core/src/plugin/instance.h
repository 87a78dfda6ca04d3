/*
 * plugin/instance.h - the one way the host calls a plugin's vtable.
 *
 * Every call into a registered implementation (validate) or into an
 * instance it created (create, destroy, complete, provision, call_tool,
 * exec, file_write, file_read, the proc_* of streaming exec, on_event,
 * on_span, on_metric, on_log, flush) goes through a function
 * here. Each one:
 *   - reads the vtable only through VBX_HAS_METHOD (a plugin built against
 *     an older, shorter vtable simply lacks the method);
 *   - brackets the call with the in-flight table (plugin/inflight.h) under
 *     its call name ("llm.complete", "sandbox.exec", ...), the box it
 *     serves and the call's deadline, so a supervising process can name
 *     the plugin and the call when the process dies or hangs in it;
 *   - fails with VBX_E_UNSUPPORTED and "<kind> '<name>' has no <method>
 *     method" in the vbx_call when the method is missing (callers that
 *     word that case differently ask vbx__impl_has first); the optional
 *     destroy, on_event and flush are skipped instead.
 *
 * Nothing here decides policy (what a refusal means for a box, which lock
 * serialises an exporter): the engine and the runner do.
 *
 * Threads: the functions keep no state; an instance is used by one thread
 * at a time unless its vtable says otherwise (the caller's duty).
 */
#ifndef VBX_PLUGIN_INSTANCE_H
#define VBX_PLUGIN_INSTANCE_H

#include <stdint.h>

#include "plugin/call.h"
#include "plugin/registry.h"

/* The vtable methods the host calls. */
typedef enum vbx__method {
  VBX_M_VALIDATE = 0, /* validate_options (sandbox, llm, exporter); validate (skill) */
  VBX_M_CREATE,
  VBX_M_DESTROY,
  VBX_M_COMPLETE,   /* llm */
  VBX_M_PROVISION,  /* skill */
  VBX_M_CALL_TOOL,  /* skill */
  VBX_M_EXEC,       /* sandbox */
  VBX_M_FILE_WRITE, /* sandbox */
  VBX_M_FILE_READ,  /* sandbox */
  VBX_M_ON_EVENT,   /* exporter */
  VBX_M_FLUSH,      /* exporter */
  VBX_M_PROC_OPEN,  /* sandbox, streaming exec (ABI 1.3): the seven below */
  VBX_M_PROC_WRITE,
  VBX_M_PROC_CLOSE_STDIN,
  VBX_M_PROC_READ,
  VBX_M_PROC_STATUS,
  VBX_M_PROC_KILL,
  VBX_M_PROC_CLOSE,
  VBX_M_COMMANDS,  /* skill (ABI 1.3) */
  VBX_M_ON_SPAN,   /* exporter */
  VBX_M_ON_METRIC, /* exporter (ABI 1.4) */
  VBX_M_ON_LOG,    /* exporter (ABI 1.4) */
  VBX_M_TELEMETRY, /* sandbox */
  VBX_M_DROPPED,   /* exporter (ABI 1.4) */
  VBX_M_COUNT
} vbx__method;

/* One plugin instance: the implementation that made it, its handle (NULL
 * until created and after destroy) and the box it serves (borrowed, NULL
 * outside a box; recorded in the in-flight table). */
typedef struct vbx__inst {
  const vbx__impl *impl;
  void *handle;
  const char *box;
} vbx__inst;

/* Non-zero when impl's vtable has method m (a method of another kind: 0). */
int vbx__impl_has(const vbx__impl *impl, vbx__method m);
/* The vtable's flags word (VBX_VT_THREAD_SAFE, VBX_SANDBOX_IS_VM, ...). */
uint32_t vbx__impl_flags(const vbx__impl *impl);
/* "sandbox backend", "llm provider", "skill type", "exporter". */
const char *vbx__impl_what(const vbx__impl *impl);
/* The in-flight call name of method m on impl's kind ("llm.complete"). */
const char *vbx__impl_call_name(const vbx__impl *impl, vbx__method m);
/* Fail call with VBX_E_UNSUPPORTED: "<what> '<name>' has no <method>
 * method". Returns VBX_E_UNSUPPORTED. */
int vbx__impl_unsupported(const vbx__impl *impl, vbx__method m, vbx_call *call);

/* validate_options of a sandbox backend, LLM provider or exporter with
 * `options` (may be NULL); `box` (may be NULL) is what the in-flight table
 * records. Returns 0 or the plugin's code with call's error set. */
int vbx__impl_validate_options(const vbx__impl *impl, const char *box, const vbx_json *options,
                               vbx_call *call);
/* A skill type's validate of one declaration. Returns as above. */
int vbx__impl_skill_validate(const vbx__impl *impl, const char *box, const vbx_skill_config *cfg,
                             vbx_call *call);
/* The skill type's `commands` for the declaration cfg into *out: a
 * NULL-terminated malloc'd array of malloc'd strings (free with
 * vbx__strv_free), NULL when the skill runs none or the type has no such
 * method. Each entry is checked (non-empty, at most 4096 bytes, no NUL or
 * newline) and at most VBX__SKILL_COMMANDS_MAX are taken; anything else is
 * VBX_E_PLUGIN with the call's message naming the skill type. */
#define VBX__SKILL_COMMANDS_MAX 16
int vbx__impl_skill_commands(const vbx__impl *impl, const char *box, const vbx_skill_config *cfg,
                             char ***out, vbx_call *call);
/* Free a NULL-terminated malloc'd string array (NULL is fine). */
void vbx__strv_free(char **v);

/* Create an instance of impl for `box` into *out (out->handle set on
 * success, NULL otherwise). A create that returns 0 without a handle
 * fails with VBX_E_PLUGIN "create returned no sandbox" (provider, skill,
 * exporter). Returns 0 or the code with call's error set. */
int vbx__inst_sandbox_create(vbx__inst *out, const vbx__impl *impl, const char *box,
                             const vbx_sandbox_config *cfg, vbx_call *call);
int vbx__inst_llm_create(vbx__inst *out, const vbx__impl *impl, const char *box,
                         const vbx_llm_config *cfg, vbx_call *call);
int vbx__inst_skill_create(vbx__inst *out, const vbx__impl *impl, const char *box,
                           const vbx_skill_config *cfg, vbx_call *call);
int vbx__inst_exporter_create(vbx__inst *out, const vbx__impl *impl, const vbx_json *options,
                              vbx_call *call);
/* The deadline a box's (or the gateway's) instances are destroyed under,
 * from now: destroy has no vbx_call, and a plugin whose destroy runs longer
 * is reported as hung by a supervising process. */
#define VBX__INST_DESTROY_NS (30ull * 1000000000ull)
/* Destroy the instance (when it has a handle and its vtable a destroy),
 * recorded with `deadline_ns` (destroy has no vbx_call); handle is NULL
 * afterwards. Safe on an instance never created. */
void vbx__inst_destroy(vbx__inst *inst, uint64_t deadline_ns);

/* The provider's complete. */
int vbx__inst_complete(const vbx__inst *llm, const vbx_llm_request *req, vbx_llm_response *resp,
                       vbx_call *call);
/* The skill's provision into `sandbox`. */
int vbx__inst_provision(const vbx__inst *skill, const vbx_sandbox_ref *sandbox,
                        vbx_skill_contrib *out, vbx_call *call);
/* The skill's call_tool. */
int vbx__inst_call_tool(const vbx__inst *skill, const vbx_sandbox_ref *sandbox, const char *tool,
                        const vbx_json *input, char **out_text, int *is_error, vbx_call *call);
/* The sandbox's exec, file_write, file_read. */
int vbx__inst_exec(const vbx__inst *sb, const vbx_exec_request *req, vbx_exec_result *res,
                   vbx_call *call);
int vbx__inst_file_write(const vbx__inst *sb, const char *path, const void *data, size_t len,
                         uint32_t mode, vbx_call *call);
int vbx__inst_file_read(const vbx__inst *sb, const char *path, size_t max_len, char **out,
                        size_t *out_len, vbx_call *call);
/* Non-zero when impl is a sandbox backend with all seven proc_* methods
 * (the ABI's "all or none": one without proc_close could not be used). */
int vbx__impl_has_procs(const vbx__impl *impl);
/* The sandbox's streaming exec: `proc` is the backend's handle from
 * proc_open. A backend without the method fails as above. kill and close
 * have no vbx_call: they are recorded with `deadline_ns`; close is skipped
 * when the backend has no proc_close, kill then gives VBX_E_UNSUPPORTED. */
int vbx__inst_proc_open(const vbx__inst *sb, const vbx_exec_request *req, void **proc,
                        vbx_call *call);
int vbx__inst_proc_write(const vbx__inst *sb, void *proc, const void *data, size_t len,
                         vbx_call *call);
int vbx__inst_proc_close_stdin(const vbx__inst *sb, void *proc, vbx_call *call);
int vbx__inst_proc_read(const vbx__inst *sb, void *proc, uint32_t timeout_ms, vbx_stream *stream,
                        char *buf, size_t cap, size_t *len, vbx_call *call);
int vbx__inst_proc_status(const vbx__inst *sb, void *proc, vbx_exec_result *res, vbx_call *call);
int vbx__inst_proc_kill(const vbx__inst *sb, void *proc, int signo, uint64_t deadline_ns);
void vbx__inst_proc_close(const vbx__inst *sb, void *proc, uint64_t deadline_ns);
/* The exporter's on_event (skipped when it has none), recorded under
 * ev->box with `deadline_ns` (on_event has no vbx_call). */
void vbx__inst_on_event(const vbx__inst *exp, const vbx_event *ev, uint64_t deadline_ns);
/* The sandbox's telemetry sample into *out (out->struct_size set by the
 * caller). Returns 0 or the code with call's error set. */
int vbx__inst_telemetry(const vbx__inst *sb, vbx_sandbox_telemetry *out, vbx_call *call);
/* The exporter's on_span, on_metric and on_log (each skipped when it has
 * none), recorded under the record's box with `deadline_ns`. */
void vbx__inst_on_span(const vbx__inst *exp, const vbx_span_data *span, uint64_t deadline_ns);
void vbx__inst_on_metric(const vbx__inst *exp, const vbx_metric_data *m, uint64_t deadline_ns);
void vbx__inst_on_log(const vbx__inst *exp, const vbx_log_data *rec, uint64_t deadline_ns);
/* The exporter's dropped count (0 when it has no such method). */
uint64_t vbx__inst_dropped(const vbx__inst *exp, uint64_t deadline_ns);
/* The exporter's flush (0 when it has none). */
int vbx__inst_flush(const vbx__inst *exp, vbx_call *call);

#endif
