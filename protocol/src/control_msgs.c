/*
 * control_msgs.c - handshake and connection-level payloads: CHALLENGE,
 * HELLO, HELLO_OK, ERROR, OK/STDIN_CLOSE (empty), PING/PONG, SHUTDOWN.
 */
#include <string.h>

#include "internal.h"

static int range_ok(uint16_t lo, uint16_t hi) { return lo >= 1 && lo <= hi; }

/* CHALLENGE: min u16, max u16, features u32, nonce[32] = 40 bytes. */
int vbx_proto_encode_challenge(struct vbx_proto_buf *b, const struct vbx_proto_challenge *m) {
  size_t start;
  int rc;

  if (!m || !range_ok(m->min_version, m->max_version)) return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, VBX_PROTO_T_CHALLENGE, 0, &start);
  if (rc) return rc;
  vbx__put_u16(b, m->min_version);
  vbx__put_u16(b, m->max_version);
  vbx__put_u32(b, m->features);
  vbx__put(b, m->nonce, sizeof(m->nonce));
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_challenge(const uint8_t *p, size_t len, struct vbx_proto_challenge *m) {
  struct vbx__rd r;
  const uint8_t *n;

  vbx__rd_init(&r, p, len);
  m->min_version = vbx__rd_u16(&r);
  m->max_version = vbx__rd_u16(&r);
  m->features = vbx__rd_u32(&r);
  n = vbx__rd_take(&r, sizeof(m->nonce));
  if (n) memcpy(m->nonce, n, sizeof(m->nonce));
  if (!r.err && !range_ok(m->min_version, m->max_version)) vbx__rd_fail(&r, VBX_PROTO_E_PROTOCOL);
  return vbx__rd_done(&r);
}

/* HELLO: min u16, max u16, features u32, proof[32], host_nonce[32] = 72. */
int vbx_proto_encode_hello(struct vbx_proto_buf *b, const struct vbx_proto_hello *m) {
  size_t start;
  int rc;

  if (!m || !range_ok(m->min_version, m->max_version)) return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, VBX_PROTO_T_HELLO, 0, &start);
  if (rc) return rc;
  vbx__put_u16(b, m->min_version);
  vbx__put_u16(b, m->max_version);
  vbx__put_u32(b, m->features);
  vbx__put(b, m->proof, sizeof(m->proof));
  vbx__put(b, m->host_nonce, sizeof(m->host_nonce));
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_hello(const uint8_t *p, size_t len, struct vbx_proto_hello *m) {
  struct vbx__rd r;
  const uint8_t *x;

  vbx__rd_init(&r, p, len);
  m->min_version = vbx__rd_u16(&r);
  m->max_version = vbx__rd_u16(&r);
  m->features = vbx__rd_u32(&r);
  x = vbx__rd_take(&r, sizeof(m->proof));
  if (x) memcpy(m->proof, x, sizeof(m->proof));
  x = vbx__rd_take(&r, sizeof(m->host_nonce));
  if (x) memcpy(m->host_nonce, x, sizeof(m->host_nonce));
  if (!r.err && !range_ok(m->min_version, m->max_version)) vbx__rd_fail(&r, VBX_PROTO_E_PROTOCOL);
  return vbx__rd_done(&r);
}

/* HELLO_OK: version u16, reserved u16 = 0, features u32, proof[32] = 40. */
int vbx_proto_encode_hello_ok(struct vbx_proto_buf *b, const struct vbx_proto_hello_ok *m) {
  size_t start;
  int rc;

  if (!m || m->version == 0) return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, VBX_PROTO_T_HELLO_OK, 0, &start);
  if (rc) return rc;
  vbx__put_u16(b, m->version);
  vbx__put_u16(b, 0);
  vbx__put_u32(b, m->features);
  vbx__put(b, m->proof, sizeof(m->proof));
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_hello_ok(const uint8_t *p, size_t len, struct vbx_proto_hello_ok *m) {
  struct vbx__rd r;
  const uint8_t *x;

  vbx__rd_init(&r, p, len);
  m->version = vbx__rd_u16(&r);
  vbx__rd_zero(&r, 2);
  m->features = vbx__rd_u32(&r);
  x = vbx__rd_take(&r, sizeof(m->proof));
  if (x) memcpy(m->proof, x, sizeof(m->proof));
  if (!r.err && m->version == 0) vbx__rd_fail(&r, VBX_PROTO_E_PROTOCOL);
  return vbx__rd_done(&r);
}

/* ERROR: code i32 (< 0), message (u32 len <= 4096, bytes, no NUL). */
int vbx_proto_encode_error(struct vbx_proto_buf *b, uint32_t id, const struct vbx_proto_error *m) {
  size_t start;
  int rc;

  if (!m || m->code >= 0) return VBX_PROTO_E_INVAL;
  rc = vbx__str_ok(m->message.ptr, m->message.len, 0, VBX_PROTO_MAX_ERRMSG_LEN);
  if (rc) return rc;
  rc = vbx__frame_begin(b, VBX_PROTO_T_ERROR, id, &start);
  if (rc) return rc;
  vbx__put_u32(b, (uint32_t)m->code);
  vbx__put_str(b, m->message.ptr, m->message.len);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_error(const uint8_t *p, size_t len, struct vbx_proto_error *m) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  m->code = (int32_t)vbx__rd_u32(&r);
  vbx__rd_str(&r, 0, VBX_PROTO_MAX_ERRMSG_LEN, &m->message);
  if (!r.err && m->code >= 0) vbx__rd_fail(&r, VBX_PROTO_E_PROTOCOL);
  return vbx__rd_done(&r);
}

/* OK, STDIN_CLOSE, TUNNEL_OPENED: empty. */
int vbx_proto_encode_empty(struct vbx_proto_buf *b, unsigned type, uint32_t id) {
  size_t start;
  int rc;

  if (type != VBX_PROTO_T_OK && type != VBX_PROTO_T_STDIN_CLOSE &&
      type != VBX_PROTO_T_TUNNEL_OPENED)
    return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, type, id, &start);
  if (rc) return rc;
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_empty(const uint8_t *p, size_t len) {
  (void)p;
  return len ? VBX_PROTO_E_PROTOCOL : 0;
}

/* PING, PONG: cookie u64. */
int vbx_proto_encode_ping(struct vbx_proto_buf *b, unsigned type, uint32_t id, uint64_t cookie) {
  size_t start;
  int rc;

  if (type != VBX_PROTO_T_PING && type != VBX_PROTO_T_PONG) return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, type, id, &start);
  if (rc) return rc;
  vbx__put_u64(b, cookie);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_ping(const uint8_t *p, size_t len, uint64_t *cookie) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  *cookie = vbx__rd_u64(&r);
  return vbx__rd_done(&r);
}

/* SHUTDOWN: grace_ms u32. */
int vbx_proto_encode_shutdown(struct vbx_proto_buf *b, uint32_t grace_ms) {
  size_t start;
  int rc;

  rc = vbx__frame_begin(b, VBX_PROTO_T_SHUTDOWN, 0, &start);
  if (rc) return rc;
  vbx__put_u32(b, grace_ms);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_shutdown(const uint8_t *p, size_t len, uint32_t *grace_ms) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  *grace_ms = vbx__rd_u32(&r);
  return vbx__rd_done(&r);
}
