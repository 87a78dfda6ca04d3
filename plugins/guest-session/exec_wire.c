/*
 * guest-session/exec_wire.c - the exec request on the wire (see
 * exec_wire.h).
 */
#include "exec_wire.h"

#include <stdlib.h>
#include <string.h>

/* The session's env followed by req->env, NULL-terminated (the strings
 * are borrowed). 0, VBX_E_TOOBIG or VBX_E_NOMEM. */
static int build_env(guest_session *b, const vbx_exec_request *req, const char ***out,
                     uint32_t *n) {
  size_t cnt = 0;
  for (char **e = b->env; e && *e; e++)
    cnt++;
  for (const char *const *e = req->env; e && *e; e++)
    cnt++;
  if (cnt > VBX_PROTO_MAX_ENVC) return VBX_E_TOOBIG;
  const char **v = calloc(cnt + 1, sizeof *v);
  if (v == NULL) return VBX_E_NOMEM;
  size_t i = 0;
  for (char **e = b->env; e && *e; e++)
    v[i++] = *e;
  for (const char *const *e = req->env; e && *e; e++)
    v[i++] = *e;
  *out = v;
  *n = (uint32_t)i;
  return 0;
}

int guest_exec_open(guest_session *b, const vbx_exec_request *req, int stdin_pipe, const char *what,
                    vbx_call *call, gc_req **out) {
  const vbx_host_services *h = b->host;
  const char **env = NULL;
  gc_req *r = NULL;
  struct vbx_proto_exec_start es;
  memset(&es, 0, sizeof es);
  es.p.flags = VBX_PROTO_EXEC_F_NEW_SESSION;
  es.p.uid = b->uid, es.p.gid = b->gid;
  es.p.timeout_ms = req->timeout_ms;
  es.p.stdin_mode = stdin_pipe ? VBX_PROTO_STDIN_PIPE : VBX_PROTO_STDIN_NONE;
  while (req->argv[es.argc] != NULL && es.argc <= VBX_PROTO_MAX_ARGC)
    es.argc++;
  es.argv = req->argv;
  es.cwd = req->cwd;
  int rc = build_env(b, req, &env, &es.envc);
  if (rc != 0) return h->set_error(call, rc, NULL, "%s: too many environment entries", what);
  es.envp = env;
  if (gc_req_new(b->conn, GUEST_EXEC_WINDOW, &r) != 0) {
    free(env);
    return guest_dead_error(b, call, what);
  }
  struct vbx_proto_buf eb;
  vbx_proto_buf_init_growable(&eb, 0);
  rc = vbx_proto_encode_exec_start(&eb, gc_req_id(r), &es);
  if (rc == 0) rc = gc_send_buf(b->conn, &eb) == 0 ? 0 : VBX_E_IO;
  vbx_proto_buf_fini(&eb);
  free(env);
  if (rc == VBX_E_IO)
    rc = guest_dead_error(b, call, what);
  else if (rc != 0)
    rc = h->set_error(call, rc, NULL, "%s: arguments exceed protocol limits", what);
  if (rc != 0) {
    gc_req_free(r);
    return rc;
  }
  *out = r;
  return 0;
}

int guest_exec_signal(guest_session *b, const gc_req *r, int signo) {
  struct vbx_proto_msg m = {
      .type = VBX_PROTO_T_SIGNAL, .id = gc_req_id(r), .u.signo = (uint32_t)signo};
  return gc_send_msg(b->conn, &m) == 0 ? 0 : VBX_E_IO;
}

int guest_exec_data(const gc_item *it, uint64_t *off, struct vbx_proto_data *d) {
  if (vbx_proto_decode_data(it->payload, it->len, d) != 0 || d->offset != *off)
    return VBX_E_PROTOCOL;
  *off += d->len;
  return 0;
}

int guest_exec_status(const gc_item *it, vbx_exec_result *res, uint64_t *guest_ns) {
  struct vbx_proto_exit e;
  if (vbx_proto_decode_exit(it->payload, it->len, &e) != 0) return VBX_E_PROTOCOL;
  res->exit_code = e.reason == VBX_PROTO_EXIT_EXITED ? e.code : 128 + e.code;
  res->term_signal = e.reason == VBX_PROTO_EXIT_EXITED ? 0 : e.code;
  res->timed_out = e.reason == VBX_PROTO_EXIT_TIMEOUT;
  if (guest_ns != NULL) *guest_ns = e.duration_ns;
  return 0;
}
