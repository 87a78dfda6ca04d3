/*
 * engine/sandbox_ref.c - the host-side vbx_sandbox_ref given to skills and
 * used by the built-in tools: each call is forwarded to the box's sandbox
 * instance through plugin/instance.h (recorded as a plugin call in
 * flight). A method the backend does not provide fails with
 * VBX_E_UNSUPPORTED. A call that reports VBX_E_SANDBOX_LOST marks the
 * box's sandbox lost: the box then ends FAILED with that message, whatever
 * the caller does with the code.
 */
#include <string.h>

#include "engine/internal.h"

/* Record a lost sandbox (the first message wins) and pass rc through. */
static int note(vbx__box_run *br, int rc, vbx_call *call) {
  if (rc == VBX_E_SANDBOX_LOST && !br->sandbox_lost) {
    br->sandbox_lost = 1;
    vbx__box_result_fail(br->res, rc, "sandbox backend '%s': %s", br->rb->sandbox->name,
                         vbx__call_message(call, rc));
  }
  return rc;
}

static int ref_exec(void *handle, const vbx_exec_request *req, vbx_exec_result *res,
                    vbx_call *call) {
  vbx__box_run *br = handle;
  return note(br, vbx__inst_exec(&br->sandbox, req, res, call), call);
}

static int ref_file_write(void *handle, const char *path, const void *data, size_t len,
                          uint32_t mode, vbx_call *call) {
  vbx__box_run *br = handle;
  return note(br, vbx__inst_file_write(&br->sandbox, path, data, len, mode, call), call);
}

static int ref_file_read(void *handle, const char *path, size_t max_len, char **out,
                         size_t *out_len, vbx_call *call) {
  vbx__box_run *br = handle;
  return note(br, vbx__inst_file_read(&br->sandbox, path, max_len, out, out_len, call), call);
}

void vbx__sandbox_ref_init(vbx__box_run *br) {
  memset(&br->ref, 0, sizeof(br->ref));
  br->ref.struct_size = sizeof(br->ref);
  br->ref.handle = br;
  br->ref.exec = ref_exec;
  br->ref.file_write = ref_file_write;
  br->ref.file_read = ref_file_read;
}
