/*
 * engine/sandbox_ref.c - the host-side vbx_sandbox_ref given to skills and
 * used by the built-in tools: each call is forwarded to the box's sandbox
 * backend vtable (recorded as a plugin call in flight). A method the
 * backend does not provide fails with VBX_E_UNSUPPORTED. A call that
 * reports VBX_E_SANDBOX_LOST marks the box's sandbox lost: the box then
 * ends FAILED with that message, whatever the caller does with the code.
 */
#include <string.h>

#include "engine/internal.h"

static int unsupported(const vbx__box_run *br, const char *method, vbx_call *call) {
  return vbx__call_fail(call, VBX_E_UNSUPPORTED, NULL, "sandbox backend '%s' has no %s method",
                        br->impls.sandbox->name, method);
}

/* Record a lost sandbox (the first message wins) and pass rc through. */
static int note(vbx__box_run *br, int rc, vbx_call *call) {
  if (rc == VBX_E_SANDBOX_LOST && !br->sandbox_lost) {
    br->sandbox_lost = 1;
    vbx__box_result_fail(br->res, rc, "sandbox backend '%s': %s", br->impls.sandbox->name,
                         vbx__call_message(call, rc));
  }
  return rc;
}

static int ref_exec(void *handle, const vbx_exec_request *req, vbx_exec_result *res,
                    vbx_call *call) {
  vbx__box_run *br = handle;
  if (!VBX_HAS_METHOD(br->sb_vt, vbx_sandbox_backend_vtable, exec))
    return unsupported(br, "exec", call);
  int rc;
  VBX__PLUGIN_CALL(VBX__IMPL_PLUGIN(br->impls.sandbox), "sandbox.exec", br->box->name,
                   call->deadline_ns, rc = br->sb_vt->exec(br->sandbox, req, res, call));
  return note(br, rc, call);
}

static int ref_file_write(void *handle, const char *path, const void *data, size_t len,
                          uint32_t mode, vbx_call *call) {
  vbx__box_run *br = handle;
  if (!VBX_HAS_METHOD(br->sb_vt, vbx_sandbox_backend_vtable, file_write))
    return unsupported(br, "file_write", call);
  int rc;
  VBX__PLUGIN_CALL(VBX__IMPL_PLUGIN(br->impls.sandbox), "sandbox.file_write", br->box->name,
                   call->deadline_ns,
                   rc = br->sb_vt->file_write(br->sandbox, path, data, len, mode, call));
  return note(br, rc, call);
}

static int ref_file_read(void *handle, const char *path, size_t max_len, char **out,
                         size_t *out_len, vbx_call *call) {
  vbx__box_run *br = handle;
  if (!VBX_HAS_METHOD(br->sb_vt, vbx_sandbox_backend_vtable, file_read))
    return unsupported(br, "file_read", call);
  int rc;
  VBX__PLUGIN_CALL(VBX__IMPL_PLUGIN(br->impls.sandbox), "sandbox.file_read", br->box->name,
                   call->deadline_ns,
                   rc = br->sb_vt->file_read(br->sandbox, path, max_len, out, out_len, call));
  return note(br, rc, call);
}

void vbx__sandbox_ref_init(vbx__box_run *br) {
  memset(&br->ref, 0, sizeof(br->ref));
  br->ref.struct_size = sizeof(br->ref);
  br->ref.handle = br;
  br->ref.exec = ref_exec;
  br->ref.file_write = ref_file_write;
  br->ref.file_read = ref_file_read;
}
