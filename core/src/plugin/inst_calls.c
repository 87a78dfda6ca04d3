/*
 * plugin/inst_calls.c - the calls on a created instance (instance.h):
 * complete, provision, call_tool, exec, file_write, file_read, the proc_*
 * of streaming exec, on_event, flush; each bracketed in the in-flight
 * table under the instance's box and the call's deadline.
 */
#include "plugin/inflight.h"
#include "plugin/instance.h"

/* Bracket stmt as method m of inst, with deadline. */
#define CALL(inst, m, deadline, stmt)                                                              \
  VBX__PLUGIN_CALL(vbx__plugin_name((inst)->impl->plugin), vbx__impl_call_name((inst)->impl, (m)), \
                   (inst)->box, (deadline), stmt)

/* The vtable of inst when it is of `kind` and has m, else NULL. */
static const void *method(const vbx__inst *inst, vbx__kind kind, vbx__method m) {
  if (inst->impl->kind != kind || !vbx__impl_has(inst->impl, m)) return NULL;
  return inst->impl->vtable;
}

int vbx__inst_complete(const vbx__inst *llm, const vbx_llm_request *req, vbx_llm_response *resp,
                       vbx_call *call) {
  const vbx_llm_provider_vtable *vt = method(llm, VBX_KIND_LLM, VBX_M_COMPLETE);
  if (vt == NULL) return vbx__impl_unsupported(llm->impl, VBX_M_COMPLETE, call);
  int rc;
  CALL(llm, VBX_M_COMPLETE, call->deadline_ns, rc = vt->complete(llm->handle, req, resp, call));
  return rc;
}

int vbx__inst_provision(const vbx__inst *skill, const vbx_sandbox_ref *sandbox,
                        vbx_skill_contrib *out, vbx_call *call) {
  const vbx_skill_type_vtable *vt = method(skill, VBX_KIND_SKILL, VBX_M_PROVISION);
  if (vt == NULL) return vbx__impl_unsupported(skill->impl, VBX_M_PROVISION, call);
  int rc;
  CALL(skill, VBX_M_PROVISION, call->deadline_ns,
       rc = vt->provision(skill->handle, sandbox, out, call));
  return rc;
}

int vbx__inst_call_tool(const vbx__inst *skill, const vbx_sandbox_ref *sandbox, const char *tool,
                        const vbx_json *input, char **out_text, int *is_error, vbx_call *call) {
  const vbx_skill_type_vtable *vt = method(skill, VBX_KIND_SKILL, VBX_M_CALL_TOOL);
  if (vt == NULL) return vbx__impl_unsupported(skill->impl, VBX_M_CALL_TOOL, call);
  int rc;
  CALL(skill, VBX_M_CALL_TOOL, call->deadline_ns,
       rc = vt->call_tool(skill->handle, sandbox, tool, input, out_text, is_error, call));
  return rc;
}

int vbx__inst_exec(const vbx__inst *sb, const vbx_exec_request *req, vbx_exec_result *res,
                   vbx_call *call) {
  const vbx_sandbox_backend_vtable *vt = method(sb, VBX_KIND_SANDBOX, VBX_M_EXEC);
  if (vt == NULL) return vbx__impl_unsupported(sb->impl, VBX_M_EXEC, call);
  int rc;
  CALL(sb, VBX_M_EXEC, call->deadline_ns, rc = vt->exec(sb->handle, req, res, call));
  return rc;
}

int vbx__inst_file_write(const vbx__inst *sb, const char *path, const void *data, size_t len,
                         uint32_t mode, vbx_call *call) {
  const vbx_sandbox_backend_vtable *vt = method(sb, VBX_KIND_SANDBOX, VBX_M_FILE_WRITE);
  if (vt == NULL) return vbx__impl_unsupported(sb->impl, VBX_M_FILE_WRITE, call);
  int rc;
  CALL(sb, VBX_M_FILE_WRITE, call->deadline_ns,
       rc = vt->file_write(sb->handle, path, data, len, mode, call));
  return rc;
}

int vbx__inst_file_read(const vbx__inst *sb, const char *path, size_t max_len, char **out,
                        size_t *out_len, vbx_call *call) {
  const vbx_sandbox_backend_vtable *vt = method(sb, VBX_KIND_SANDBOX, VBX_M_FILE_READ);
  if (vt == NULL) return vbx__impl_unsupported(sb->impl, VBX_M_FILE_READ, call);
  int rc;
  CALL(sb, VBX_M_FILE_READ, call->deadline_ns,
       rc = vt->file_read(sb->handle, path, max_len, out, out_len, call));
  return rc;
}

int vbx__inst_proc_open(const vbx__inst *sb, const vbx_exec_request *req, void **proc,
                        vbx_call *call) {
  const vbx_sandbox_backend_vtable *vt = method(sb, VBX_KIND_SANDBOX, VBX_M_PROC_OPEN);
  if (vt == NULL) return vbx__impl_unsupported(sb->impl, VBX_M_PROC_OPEN, call);
  int rc;
  CALL(sb, VBX_M_PROC_OPEN, call->deadline_ns, rc = vt->proc_open(sb->handle, req, proc, call));
  return rc;
}

int vbx__inst_proc_write(const vbx__inst *sb, void *proc, const void *data, size_t len,
                         vbx_call *call) {
  const vbx_sandbox_backend_vtable *vt = method(sb, VBX_KIND_SANDBOX, VBX_M_PROC_WRITE);
  if (vt == NULL) return vbx__impl_unsupported(sb->impl, VBX_M_PROC_WRITE, call);
  int rc;
  CALL(sb, VBX_M_PROC_WRITE, call->deadline_ns, rc = vt->proc_write(proc, data, len, call));
  return rc;
}

int vbx__inst_proc_close_stdin(const vbx__inst *sb, void *proc, vbx_call *call) {
  const vbx_sandbox_backend_vtable *vt = method(sb, VBX_KIND_SANDBOX, VBX_M_PROC_CLOSE_STDIN);
  if (vt == NULL) return vbx__impl_unsupported(sb->impl, VBX_M_PROC_CLOSE_STDIN, call);
  int rc;
  CALL(sb, VBX_M_PROC_CLOSE_STDIN, call->deadline_ns, rc = vt->proc_close_stdin(proc, call));
  return rc;
}

int vbx__inst_proc_read(const vbx__inst *sb, void *proc, uint32_t timeout_ms, vbx_stream *stream,
                        char *buf, size_t cap, size_t *len, vbx_call *call) {
  const vbx_sandbox_backend_vtable *vt = method(sb, VBX_KIND_SANDBOX, VBX_M_PROC_READ);
  if (vt == NULL) return vbx__impl_unsupported(sb->impl, VBX_M_PROC_READ, call);
  int rc;
  CALL(sb, VBX_M_PROC_READ, call->deadline_ns,
       rc = vt->proc_read(proc, timeout_ms, stream, buf, cap, len, call));
  return rc;
}

int vbx__inst_proc_status(const vbx__inst *sb, void *proc, vbx_exec_result *res, vbx_call *call) {
  const vbx_sandbox_backend_vtable *vt = method(sb, VBX_KIND_SANDBOX, VBX_M_PROC_STATUS);
  if (vt == NULL) return vbx__impl_unsupported(sb->impl, VBX_M_PROC_STATUS, call);
  int rc;
  CALL(sb, VBX_M_PROC_STATUS, call->deadline_ns, rc = vt->proc_status(proc, res, call));
  return rc;
}

int vbx__inst_proc_kill(const vbx__inst *sb, void *proc, int signo, uint64_t deadline_ns) {
  const vbx_sandbox_backend_vtable *vt = method(sb, VBX_KIND_SANDBOX, VBX_M_PROC_KILL);
  if (vt == NULL) return VBX_E_UNSUPPORTED;
  int rc;
  CALL(sb, VBX_M_PROC_KILL, deadline_ns, rc = vt->proc_kill(proc, signo));
  return rc;
}

void vbx__inst_proc_close(const vbx__inst *sb, void *proc, uint64_t deadline_ns) {
  const vbx_sandbox_backend_vtable *vt = method(sb, VBX_KIND_SANDBOX, VBX_M_PROC_CLOSE);
  if (vt == NULL || proc == NULL) return;
  CALL(sb, VBX_M_PROC_CLOSE, deadline_ns, vt->proc_close(proc));
}

int vbx__inst_telemetry(const vbx__inst *sb, vbx_sandbox_telemetry *out, vbx_call *call) {
  const vbx_sandbox_backend_vtable *vt = method(sb, VBX_KIND_SANDBOX, VBX_M_TELEMETRY);
  if (vt == NULL) return vbx__impl_unsupported(sb->impl, VBX_M_TELEMETRY, call);
  int rc;
  CALL(sb, VBX_M_TELEMETRY, call->deadline_ns, rc = vt->telemetry(sb->handle, out, call));
  return rc;
}

/* Deliver one record to an exporter method, bracketed under `box`. */
#define DELIVER(exp, m, fn, rec, box, deadline_ns)                                                 \
  do {                                                                                             \
    const vbx_exporter_vtable *vt_ = method((exp), VBX_KIND_EXPORTER, (m));                        \
    if (vt_ == NULL || (exp)->handle == NULL) return;                                              \
    VBX__PLUGIN_CALL(vbx__plugin_name((exp)->impl->plugin), vbx__impl_call_name((exp)->impl, (m)), \
                     (box), (deadline_ns), vt_->fn((exp)->handle, (rec)));                         \
  } while (0)

void vbx__inst_on_event(const vbx__inst *exp, const vbx_event *ev, uint64_t deadline_ns) {
  DELIVER(exp, VBX_M_ON_EVENT, on_event, ev, ev->box, deadline_ns);
}

void vbx__inst_on_span(const vbx__inst *exp, const vbx_span_data *span, uint64_t deadline_ns) {
  DELIVER(exp, VBX_M_ON_SPAN, on_span, span, span->box, deadline_ns);
}

void vbx__inst_on_metric(const vbx__inst *exp, const vbx_metric_data *m, uint64_t deadline_ns) {
  DELIVER(exp, VBX_M_ON_METRIC, on_metric, m, NULL, deadline_ns);
}

void vbx__inst_on_log(const vbx__inst *exp, const vbx_log_data *rec, uint64_t deadline_ns) {
  DELIVER(exp, VBX_M_ON_LOG, on_log, rec, rec->box, deadline_ns);
}

uint64_t vbx__inst_dropped(const vbx__inst *exp, uint64_t deadline_ns) {
  const vbx_exporter_vtable *vt = method(exp, VBX_KIND_EXPORTER, VBX_M_DROPPED);
  if (vt == NULL || exp->handle == NULL) return 0;
  uint64_t n = 0;
  CALL(exp, VBX_M_DROPPED, deadline_ns, n = vt->dropped(exp->handle));
  return n;
}

int vbx__inst_flush(const vbx__inst *exp, vbx_call *call) {
  const vbx_exporter_vtable *vt = method(exp, VBX_KIND_EXPORTER, VBX_M_FLUSH);
  if (vt == NULL || exp->handle == NULL) return 0;
  int rc;
  CALL(exp, VBX_M_FLUSH, call->deadline_ns, rc = vt->flush(exp->handle, call));
  return rc;
}
