/*
 * guest-session/vtable.c - the guest methods in the sandbox vtable's form
 * (see session.h), and the file-name-safe box name.
 */
#include "session.h"

int guest_vt_exec(void *sandbox, const vbx_exec_request *req, vbx_exec_result *res,
                  vbx_call *call) {
  return guest_exec(sandbox, req, res, call);
}

int guest_vt_file_write(void *sandbox, const char *path, const void *data, size_t len,
                        uint32_t mode, vbx_call *call) {
  return guest_file_write(sandbox, path, data, len, mode, call);
}

int guest_vt_file_read(void *sandbox, const char *path, size_t max_len, char **out, size_t *out_len,
                       vbx_call *call) {
  return guest_file_read(sandbox, path, max_len, out, out_len, call);
}

int guest_vt_telemetry(void *sandbox, vbx_sandbox_telemetry *out, vbx_call *call) {
  return guest_telemetry(sandbox, out, call);
}

void guest_safe_name(char *s) {
  for (char *c = s; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
          *c == '-' || *c == '_'))
      *c = '_';
}
