/*
 * msg.c - generic dispatch: decode any frame into a struct vbx_proto_msg.
 */
#include <string.h>

#include "internal.h"

int vbx_proto_decode_msg(const struct vbx_proto_frame *f, struct vbx_proto_msg *m) {
  const uint8_t *p;
  size_t n;
  int rc;

  if (!f || !m) return VBX_PROTO_E_INVAL;
  memset(m, 0, sizeof(*m));
  m->type = f->hdr.type;
  m->id = f->hdr.id;
  p = f->payload;
  n = f->hdr.length;
  rc = vbx__id_ok(f->hdr.type, f->hdr.id, VBX_PROTO_E_PROTOCOL);
  if (rc) return rc;
  switch (f->hdr.type) {
  case VBX_PROTO_T_CHALLENGE: return vbx_proto_decode_challenge(p, n, &m->u.challenge);
  case VBX_PROTO_T_HELLO: return vbx_proto_decode_hello(p, n, &m->u.hello);
  case VBX_PROTO_T_HELLO_OK: return vbx_proto_decode_hello_ok(p, n, &m->u.hello_ok);
  case VBX_PROTO_T_ERROR: return vbx_proto_decode_error(p, n, &m->u.error);
  case VBX_PROTO_T_OK:
  case VBX_PROTO_T_STDIN_CLOSE:
  case VBX_PROTO_T_TUNNEL_OPENED: return vbx_proto_decode_empty(p, n);
  case VBX_PROTO_T_PING:
  case VBX_PROTO_T_PONG: return vbx_proto_decode_ping(p, n, &m->u.cookie);
  case VBX_PROTO_T_SHUTDOWN: return vbx_proto_decode_shutdown(p, n, &m->u.grace_ms);
  case VBX_PROTO_T_EXEC_START: return vbx_proto_decode_exec_start(p, n, &m->u.exec);
  case VBX_PROTO_T_STDIN_DATA:
  case VBX_PROTO_T_STDOUT_DATA:
  case VBX_PROTO_T_STDERR_DATA:
  case VBX_PROTO_T_FILE_DATA:
  case VBX_PROTO_T_TUNNEL_DATA: return vbx_proto_decode_data(p, n, &m->u.data);
  case VBX_PROTO_T_WINDOW_UPDATE: return vbx_proto_decode_window_update(p, n, &m->u.increment);
  case VBX_PROTO_T_EXIT: return vbx_proto_decode_exit(p, n, &m->u.exit);
  case VBX_PROTO_T_SIGNAL: return vbx_proto_decode_signal(p, n, &m->u.signo);
  case VBX_PROTO_T_FILE_PUT_BEGIN: return vbx_proto_decode_file_put_begin(p, n, &m->u.put);
  case VBX_PROTO_T_FILE_END: return vbx_proto_decode_file_end(p, n, &m->u.end);
  case VBX_PROTO_T_FILE_GET: return vbx_proto_decode_file_get(p, n, &m->u.get);
  case VBX_PROTO_T_MKDIR: return vbx_proto_decode_mkdir(p, n, &m->u.mkdir);
  case VBX_PROTO_T_STAT: return vbx_proto_decode_stat(p, n, &m->u.stat);
  case VBX_PROTO_T_STAT_RESULT: return vbx_proto_decode_stat_result(p, n, &m->u.stat_result);
  case VBX_PROTO_T_TELEMETRY_SUBSCRIBE:
    return vbx_proto_decode_telemetry_subscribe(p, n, &m->u.interval_ms);
  case VBX_PROTO_T_TELEMETRY_SAMPLE: return vbx_proto_decode_telemetry_sample(p, n, &m->u.sample);
  case VBX_PROTO_T_TUNNEL_OPEN: return vbx_proto_decode_tunnel_open(p, n, &m->u.service);
  case VBX_PROTO_T_TUNNEL_EOF: return vbx_proto_decode_tunnel_eof(p, n, &m->u.size);
  case VBX_PROTO_T_TUNNEL_CLOSE: return vbx_proto_decode_tunnel_close(p, n, &m->u.close_flags);
  default: return VBX_PROTO_E_PROTOCOL;
  }
}

int vbx_proto_encode_msg(struct vbx_proto_buf *b, const struct vbx_proto_msg *m) {
  uint32_t id;

  if (!b || !m) return VBX_PROTO_E_INVAL;
  id = m->id;
  if (vbx__id_ok(m->type, id, VBX_PROTO_E_INVAL)) return VBX_PROTO_E_INVAL;
  switch (m->type) {
  case VBX_PROTO_T_CHALLENGE: return vbx_proto_encode_challenge(b, &m->u.challenge);
  case VBX_PROTO_T_HELLO: return vbx_proto_encode_hello(b, &m->u.hello);
  case VBX_PROTO_T_HELLO_OK: return vbx_proto_encode_hello_ok(b, &m->u.hello_ok);
  case VBX_PROTO_T_ERROR: return vbx_proto_encode_error(b, id, &m->u.error);
  case VBX_PROTO_T_OK:
  case VBX_PROTO_T_STDIN_CLOSE:
  case VBX_PROTO_T_TUNNEL_OPENED: return vbx_proto_encode_empty(b, m->type, id);
  case VBX_PROTO_T_PING:
  case VBX_PROTO_T_PONG: return vbx_proto_encode_ping(b, m->type, id, m->u.cookie);
  case VBX_PROTO_T_SHUTDOWN: return vbx_proto_encode_shutdown(b, m->u.grace_ms);
  case VBX_PROTO_T_EXEC_START: return vbx_proto_encode_exec_start_view(b, id, &m->u.exec);
  case VBX_PROTO_T_STDIN_DATA:
  case VBX_PROTO_T_STDOUT_DATA:
  case VBX_PROTO_T_STDERR_DATA:
  case VBX_PROTO_T_FILE_DATA:
  case VBX_PROTO_T_TUNNEL_DATA: return vbx_proto_encode_data(b, m->type, id, &m->u.data);
  case VBX_PROTO_T_WINDOW_UPDATE: return vbx_proto_encode_window_update(b, id, m->u.increment);
  case VBX_PROTO_T_EXIT: return vbx_proto_encode_exit(b, id, &m->u.exit);
  case VBX_PROTO_T_SIGNAL: return vbx_proto_encode_signal(b, id, m->u.signo);
  case VBX_PROTO_T_FILE_PUT_BEGIN: return vbx_proto_encode_file_put_begin(b, id, &m->u.put);
  case VBX_PROTO_T_FILE_END: return vbx_proto_encode_file_end(b, id, &m->u.end);
  case VBX_PROTO_T_FILE_GET: return vbx_proto_encode_file_get(b, id, &m->u.get);
  case VBX_PROTO_T_MKDIR: return vbx_proto_encode_mkdir(b, id, &m->u.mkdir);
  case VBX_PROTO_T_STAT: return vbx_proto_encode_stat(b, id, &m->u.stat);
  case VBX_PROTO_T_STAT_RESULT: return vbx_proto_encode_stat_result(b, id, &m->u.stat_result);
  case VBX_PROTO_T_TELEMETRY_SUBSCRIBE:
    return vbx_proto_encode_telemetry_subscribe(b, id, m->u.interval_ms);
  case VBX_PROTO_T_TELEMETRY_SAMPLE: return vbx_proto_encode_telemetry_sample(b, id, &m->u.sample);
  case VBX_PROTO_T_TUNNEL_OPEN: return vbx_proto_encode_tunnel_open(b, id, m->u.service);
  case VBX_PROTO_T_TUNNEL_EOF: return vbx_proto_encode_tunnel_eof(b, id, m->u.size);
  case VBX_PROTO_T_TUNNEL_CLOSE: return vbx_proto_encode_tunnel_close(b, id, m->u.close_flags);
  default: return VBX_PROTO_E_INVAL;
  }
}
