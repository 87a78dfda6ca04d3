/*
 * plugin/instance.c - what the host knows of a vtable (its methods, flags,
 * call names) and the calls on an implementation: validate, create,
 * destroy (instance.h). The calls on a created instance are inst_calls.c.
 */
#include "plugin/instance.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/inflight.h"

/* The in-flight name of each method a kind has; NULL: not a method of it. */
static const char *const call_names[VBX_KIND_COUNT][VBX_M_COUNT] = {
    [VBX_KIND_SKILL] = {[VBX_M_VALIDATE] = "skill.validate",
                        [VBX_M_CREATE] = "skill.create",
                        [VBX_M_DESTROY] = "skill.destroy",
                        [VBX_M_PROVISION] = "skill.provision",
                        [VBX_M_CALL_TOOL] = "skill.call_tool",
                        [VBX_M_COMMANDS] = "skill.commands"},
    [VBX_KIND_LLM] = {[VBX_M_VALIDATE] = "llm.validate_options",
                      [VBX_M_CREATE] = "llm.create",
                      [VBX_M_DESTROY] = "llm.destroy",
                      [VBX_M_COMPLETE] = "llm.complete"},
    [VBX_KIND_SANDBOX] = {[VBX_M_VALIDATE] = "sandbox.validate_options",
                          [VBX_M_CREATE] = "sandbox.create",
                          [VBX_M_DESTROY] = "sandbox.destroy",
                          [VBX_M_EXEC] = "sandbox.exec",
                          [VBX_M_FILE_WRITE] = "sandbox.file_write",
                          [VBX_M_FILE_READ] = "sandbox.file_read",
                          [VBX_M_PROC_OPEN] = "sandbox.proc_open",
                          [VBX_M_PROC_WRITE] = "sandbox.proc_write",
                          [VBX_M_PROC_CLOSE_STDIN] = "sandbox.proc_close_stdin",
                          [VBX_M_PROC_READ] = "sandbox.proc_read",
                          [VBX_M_PROC_STATUS] = "sandbox.proc_status",
                          [VBX_M_PROC_KILL] = "sandbox.proc_kill",
                          [VBX_M_PROC_CLOSE] = "sandbox.proc_close",
                          [VBX_M_TELEMETRY] = "sandbox.telemetry"},
    [VBX_KIND_EXPORTER] = {[VBX_M_VALIDATE] = "exporter.validate_options",
                           [VBX_M_CREATE] = "exporter.create",
                           [VBX_M_DESTROY] = "exporter.destroy",
                           [VBX_M_ON_EVENT] = "exporter.on_event",
                           [VBX_M_ON_SPAN] = "exporter.on_span",
                           [VBX_M_ON_METRIC] = "exporter.on_metric",
                           [VBX_M_ON_LOG] = "exporter.on_log",
                           [VBX_M_DROPPED] = "exporter.dropped",
                           [VBX_M_FLUSH] = "exporter.flush"},
};

const char *vbx__impl_call_name(const vbx__impl *impl, vbx__method m) {
  if ((unsigned)impl->kind >= VBX_KIND_COUNT || (unsigned)m >= VBX_M_COUNT) return "?";
  const char *n = call_names[impl->kind][m];
  return n ? n : "?";
}

static int has_sandbox(const vbx_sandbox_backend_vtable *vt, vbx__method m) {
  switch (m) {
  case VBX_M_VALIDATE: return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, validate_options);
  case VBX_M_CREATE: return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, create);
  case VBX_M_DESTROY: return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, destroy);
  case VBX_M_EXEC: return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, exec);
  case VBX_M_FILE_WRITE: return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, file_write);
  case VBX_M_FILE_READ: return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, file_read);
  case VBX_M_PROC_OPEN: return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, proc_open);
  case VBX_M_PROC_WRITE: return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, proc_write);
  case VBX_M_PROC_CLOSE_STDIN:
    return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, proc_close_stdin);
  case VBX_M_PROC_READ: return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, proc_read);
  case VBX_M_PROC_STATUS: return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, proc_status);
  case VBX_M_PROC_KILL: return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, proc_kill);
  case VBX_M_PROC_CLOSE: return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, proc_close);
  case VBX_M_TELEMETRY: return VBX_HAS_METHOD(vt, vbx_sandbox_backend_vtable, telemetry);
  default: return 0;
  }
}

static int has_llm(const vbx_llm_provider_vtable *vt, vbx__method m) {
  switch (m) {
  case VBX_M_VALIDATE: return VBX_HAS_METHOD(vt, vbx_llm_provider_vtable, validate_options);
  case VBX_M_CREATE: return VBX_HAS_METHOD(vt, vbx_llm_provider_vtable, create);
  case VBX_M_DESTROY: return VBX_HAS_METHOD(vt, vbx_llm_provider_vtable, destroy);
  case VBX_M_COMPLETE: return VBX_HAS_METHOD(vt, vbx_llm_provider_vtable, complete);
  default: return 0;
  }
}

static int has_skill(const vbx_skill_type_vtable *vt, vbx__method m) {
  switch (m) {
  case VBX_M_VALIDATE: return VBX_HAS_METHOD(vt, vbx_skill_type_vtable, validate);
  case VBX_M_CREATE: return VBX_HAS_METHOD(vt, vbx_skill_type_vtable, create);
  case VBX_M_DESTROY: return VBX_HAS_METHOD(vt, vbx_skill_type_vtable, destroy);
  case VBX_M_PROVISION: return VBX_HAS_METHOD(vt, vbx_skill_type_vtable, provision);
  case VBX_M_CALL_TOOL: return VBX_HAS_METHOD(vt, vbx_skill_type_vtable, call_tool);
  case VBX_M_COMMANDS: return VBX_HAS_METHOD(vt, vbx_skill_type_vtable, commands);
  default: return 0;
  }
}

static int has_exporter(const vbx_exporter_vtable *vt, vbx__method m) {
  switch (m) {
  case VBX_M_VALIDATE: return VBX_HAS_METHOD(vt, vbx_exporter_vtable, validate_options);
  case VBX_M_CREATE: return VBX_HAS_METHOD(vt, vbx_exporter_vtable, create);
  case VBX_M_DESTROY: return VBX_HAS_METHOD(vt, vbx_exporter_vtable, destroy);
  case VBX_M_ON_EVENT: return VBX_HAS_METHOD(vt, vbx_exporter_vtable, on_event);
  case VBX_M_FLUSH: return VBX_HAS_METHOD(vt, vbx_exporter_vtable, flush);
  case VBX_M_ON_SPAN: return VBX_HAS_METHOD(vt, vbx_exporter_vtable, on_span);
  case VBX_M_ON_METRIC: return VBX_HAS_METHOD(vt, vbx_exporter_vtable, on_metric);
  case VBX_M_ON_LOG: return VBX_HAS_METHOD(vt, vbx_exporter_vtable, on_log);
  case VBX_M_DROPPED: return VBX_HAS_METHOD(vt, vbx_exporter_vtable, dropped);
  default: return 0;
  }
}

int vbx__impl_has(const vbx__impl *impl, vbx__method m) {
  switch (impl->kind) {
  case VBX_KIND_SANDBOX: return has_sandbox(impl->vtable, m);
  case VBX_KIND_LLM: return has_llm(impl->vtable, m);
  case VBX_KIND_SKILL: return has_skill(impl->vtable, m);
  case VBX_KIND_EXPORTER: return has_exporter(impl->vtable, m);
  default: return 0;
  }
}

int vbx__impl_has_procs(const vbx__impl *impl) {
  for (vbx__method m = VBX_M_PROC_OPEN; m <= VBX_M_PROC_CLOSE; m++)
    if (!vbx__impl_has(impl, m)) return 0;
  return impl->kind == VBX_KIND_SANDBOX;
}

uint32_t vbx__impl_flags(const vbx__impl *impl) {
  switch (impl->kind) {
  case VBX_KIND_SANDBOX: return ((const vbx_sandbox_backend_vtable *)impl->vtable)->flags;
  case VBX_KIND_LLM: return ((const vbx_llm_provider_vtable *)impl->vtable)->flags;
  case VBX_KIND_SKILL: return ((const vbx_skill_type_vtable *)impl->vtable)->flags;
  case VBX_KIND_EXPORTER: return ((const vbx_exporter_vtable *)impl->vtable)->flags;
  default: return 0;
  }
}

const char *vbx__impl_what(const vbx__impl *impl) {
  static const char *const what[VBX_KIND_COUNT] = {"skill type", "llm provider", "sandbox backend",
                                                   "exporter"};
  return (unsigned)impl->kind < VBX_KIND_COUNT ? what[impl->kind] : "plugin";
}

int vbx__impl_unsupported(const vbx__impl *impl, vbx__method m, vbx_call *call) {
  static const char *const method[VBX_M_COUNT] = {
      "validate_options", "create",           "destroy",   "complete",
      "provision",        "call_tool",        "exec",      "file_write",
      "file_read",        "on_event",         "flush",     "proc_open",
      "proc_write",       "proc_close_stdin", "proc_read", "proc_status",
      "proc_kill",        "proc_close",       "commands",  "on_span",
      "on_metric",        "on_log",           "telemetry", "dropped"};
  const char *name = (unsigned)m < VBX_M_COUNT ? method[m] : "?";
  if (impl->kind == VBX_KIND_SKILL && m == VBX_M_VALIDATE) name = "validate";
  return vbx__call_fail(call, VBX_E_UNSUPPORTED, NULL, "%s '%s' has no %s method",
                        vbx__impl_what(impl), impl->name, name);
}

/* Bracket stmt as method m of impl for box, with deadline. */
#define CALL(impl, m, box, deadline, stmt)                                                    \
  VBX__PLUGIN_CALL(vbx__plugin_name((impl)->plugin), vbx__impl_call_name((impl), (m)), (box), \
                   (deadline), stmt)

int vbx__impl_validate_options(const vbx__impl *impl, const char *box, const vbx_json *options,
                               vbx_call *call) {
  if (impl->kind == VBX_KIND_SKILL || !vbx__impl_has(impl, VBX_M_VALIDATE))
    return vbx__impl_unsupported(impl, VBX_M_VALIDATE, call);
  /* The three vtables share validate_options' place and signature. */
  typedef int (*validate_fn)(void *state, const vbx_json *options, vbx_call *call);
  validate_fn fn = impl->kind == VBX_KIND_SANDBOX
                       ? ((const vbx_sandbox_backend_vtable *)impl->vtable)->validate_options
                   : impl->kind == VBX_KIND_LLM
                       ? ((const vbx_llm_provider_vtable *)impl->vtable)->validate_options
                       : ((const vbx_exporter_vtable *)impl->vtable)->validate_options;
  int rc;
  CALL(impl, VBX_M_VALIDATE, box, call->deadline_ns, rc = fn(impl->plugin_state, options, call));
  return rc;
}

int vbx__impl_skill_validate(const vbx__impl *impl, const char *box, const vbx_skill_config *cfg,
                             vbx_call *call) {
  if (impl->kind != VBX_KIND_SKILL || !vbx__impl_has(impl, VBX_M_VALIDATE))
    return vbx__impl_unsupported(impl, VBX_M_VALIDATE, call);
  const vbx_skill_type_vtable *vt = impl->vtable;
  int rc;
  CALL(impl, VBX_M_VALIDATE, box, call->deadline_ns,
       rc = vt->validate(impl->plugin_state, cfg, call));
  return rc;
}

void vbx__strv_free(char **v) {
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

int vbx__impl_skill_commands(const vbx__impl *impl, const char *box, const vbx_skill_config *cfg,
                             char ***out, vbx_call *call) {
  *out = NULL;
  if (impl->kind != VBX_KIND_SKILL || !vbx__impl_has(impl, VBX_M_COMMANDS)) return 0;
  const vbx_skill_type_vtable *vt = impl->vtable;
  char **got = NULL;
  int rc;
  CALL(impl, VBX_M_COMMANDS, box, call->deadline_ns,
       rc = vt->commands(impl->plugin_state, cfg, &got, call));
  if (rc != 0 || got == NULL) {
    if (got) vbx__strv_free(got) /* host->alloc is malloc */;
    return rc;
  }
  size_t n = 0;
  while (got[n] != NULL && n <= VBX__SKILL_COMMANDS_MAX)
    n++;
  char **v = n <= VBX__SKILL_COMMANDS_MAX ? calloc(n + 1, sizeof(*v)) : NULL;
  if (n > VBX__SKILL_COMMANDS_MAX)
    rc = vbx__call_fail(call, VBX_E_PLUGIN, NULL, "skill type '%s' declared over %d commands",
                        impl->name, VBX__SKILL_COMMANDS_MAX);
  else if (v == NULL)
    rc = vbx__call_fail(call, VBX_E_NOMEM, NULL, "out of memory");
  for (size_t i = 0; rc == 0 && i < n; i++) {
    size_t len = strnlen(got[i], 4097);
    if (len == 0 || len > 4096 || strchr(got[i], '\n') != NULL)
      rc = vbx__call_fail(call, VBX_E_PLUGIN, NULL,
                          "skill type '%s' declared a command that is empty, over 4096 bytes "
                          "or holds a newline",
                          impl->name);
    else if ((v[i] = strdup(got[i])) == NULL)
      rc = vbx__call_fail(call, VBX_E_NOMEM, NULL, "out of memory");
  }
  vbx__strv_free(got) /* host->alloc is malloc */;
  if (rc != 0) {
    vbx__strv_free(v);
    return rc;
  }
  *out = v;
  return 0;
}

/* The end of every create: the handle, or the refusal of a create that
 * gave none. */
static int created(vbx__inst *out, int rc, void *h, const char *noun, vbx_call *call) {
  if (rc == 0 && h == NULL)
    rc = vbx__call_fail(call, VBX_E_PLUGIN, NULL, "create returned no %s", noun);
  out->handle = rc == 0 ? h : NULL;
  return rc;
}

/* Start an instance record; VBX_E_UNSUPPORTED when impl has no create. */
static int begin(vbx__inst *out, const vbx__impl *impl, vbx__kind kind, const char *box,
                 vbx_call *call) {
  out->impl = impl;
  out->handle = NULL;
  out->box = box;
  if (impl->kind != kind || !vbx__impl_has(impl, VBX_M_CREATE))
    return vbx__impl_unsupported(impl, VBX_M_CREATE, call);
  return 0;
}

int vbx__inst_sandbox_create(vbx__inst *out, const vbx__impl *impl, const char *box,
                             const vbx_sandbox_config *cfg, vbx_call *call) {
  int rc = begin(out, impl, VBX_KIND_SANDBOX, box, call);
  if (rc != 0) return rc;
  const vbx_sandbox_backend_vtable *vt = impl->vtable;
  void *h = NULL;
  CALL(impl, VBX_M_CREATE, box, call->deadline_ns,
       rc = vt->create(impl->plugin_state, cfg, call, &h));
  return created(out, rc, h, "sandbox", call);
}

int vbx__inst_llm_create(vbx__inst *out, const vbx__impl *impl, const char *box,
                         const vbx_llm_config *cfg, vbx_call *call) {
  int rc = begin(out, impl, VBX_KIND_LLM, box, call);
  if (rc != 0) return rc;
  const vbx_llm_provider_vtable *vt = impl->vtable;
  void *h = NULL;
  CALL(impl, VBX_M_CREATE, box, call->deadline_ns,
       rc = vt->create(impl->plugin_state, cfg, call, &h));
  return created(out, rc, h, "provider", call);
}

int vbx__inst_skill_create(vbx__inst *out, const vbx__impl *impl, const char *box,
                           const vbx_skill_config *cfg, vbx_call *call) {
  int rc = begin(out, impl, VBX_KIND_SKILL, box, call);
  if (rc != 0) return rc;
  const vbx_skill_type_vtable *vt = impl->vtable;
  void *h = NULL;
  CALL(impl, VBX_M_CREATE, box, call->deadline_ns,
       rc = vt->create(impl->plugin_state, cfg, call, &h));
  return created(out, rc, h, "skill", call);
}

int vbx__inst_exporter_create(vbx__inst *out, const vbx__impl *impl, const vbx_json *options,
                              vbx_call *call) {
  int rc = begin(out, impl, VBX_KIND_EXPORTER, NULL, call);
  if (rc != 0) return rc;
  const vbx_exporter_vtable *vt = impl->vtable;
  void *h = NULL;
  CALL(impl, VBX_M_CREATE, NULL, call->deadline_ns,
       rc = vt->create(impl->plugin_state, options, call, &h));
  return created(out, rc, h, "exporter", call);
}

void vbx__inst_destroy(vbx__inst *inst, uint64_t deadline_ns) {
  void *h = inst->handle;
  inst->handle = NULL;
  if (h == NULL || inst->impl == NULL || !vbx__impl_has(inst->impl, VBX_M_DESTROY)) return;
  const vbx__impl *impl = inst->impl;
  void (*fn)(void *) = NULL;
  switch (impl->kind) {
  case VBX_KIND_SANDBOX: fn = ((const vbx_sandbox_backend_vtable *)impl->vtable)->destroy; break;
  case VBX_KIND_LLM: fn = ((const vbx_llm_provider_vtable *)impl->vtable)->destroy; break;
  case VBX_KIND_SKILL: fn = ((const vbx_skill_type_vtable *)impl->vtable)->destroy; break;
  case VBX_KIND_EXPORTER: fn = ((const vbx_exporter_vtable *)impl->vtable)->destroy; break;
  default: return;
  }
  CALL(impl, VBX_M_DESTROY, inst->box, deadline_ns, fn(h));
}
