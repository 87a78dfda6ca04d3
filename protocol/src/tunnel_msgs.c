/*
 * tunnel_msgs.c - TUNNEL_OPEN, TUNNEL_EOF and TUNNEL_CLOSE payloads
 * (TUNNEL_OPENED is empty and TUNNEL_DATA a data frame: control_msgs.c,
 * stream_msgs.c). Every TUNNEL_* frame carries a guest-allocated id, which
 * vbx__frame_begin checks.
 */
#include "internal.h"

/* TUNNEL_OPEN: service u32 (VBX_PROTO_TUNNEL_LLM_GATEWAY), reserved u32. */
int vbx_proto_encode_tunnel_open(struct vbx_proto_buf *b, uint32_t id, uint32_t service) {
  size_t start;
  int rc;

  if (service != VBX_PROTO_TUNNEL_LLM_GATEWAY) return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, VBX_PROTO_T_TUNNEL_OPEN, id, &start);
  if (rc) return rc;
  vbx__put_u32(b, service);
  vbx__put_u32(b, 0);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_tunnel_open(const uint8_t *p, size_t len, uint32_t *service) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  *service = vbx__rd_u32(&r);
  vbx__rd_zero(&r, 4);
  if (!r.err && *service != VBX_PROTO_TUNNEL_LLM_GATEWAY) vbx__rd_fail(&r, VBX_PROTO_E_PROTOCOL);
  return vbx__rd_done(&r);
}

/* TUNNEL_EOF: size u64 (every byte the sender sent on the tunnel). */
int vbx_proto_encode_tunnel_eof(struct vbx_proto_buf *b, uint32_t id, uint64_t size) {
  size_t start;
  int rc = vbx__frame_begin(b, VBX_PROTO_T_TUNNEL_EOF, id, &start);

  if (rc) return rc;
  vbx__put_u64(b, size);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_tunnel_eof(const uint8_t *p, size_t len, uint64_t *size) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  *size = vbx__rd_u64(&r);
  return vbx__rd_done(&r);
}

/* TUNNEL_CLOSE: flags u32 (bit 0 RESET), reserved u32. */
int vbx_proto_encode_tunnel_close(struct vbx_proto_buf *b, uint32_t id, uint32_t flags) {
  size_t start;
  int rc;

  if (flags & ~VBX_PROTO_TUNNEL_CLOSE_F_RESET) return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, VBX_PROTO_T_TUNNEL_CLOSE, id, &start);
  if (rc) return rc;
  vbx__put_u32(b, flags);
  vbx__put_u32(b, 0);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_tunnel_close(const uint8_t *p, size_t len, uint32_t *flags) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  *flags = vbx__rd_u32(&r);
  vbx__rd_zero(&r, 4);
  if (!r.err && (*flags & ~VBX_PROTO_TUNNEL_CLOSE_F_RESET)) vbx__rd_fail(&r, VBX_PROTO_E_PROTOCOL);
  return vbx__rd_done(&r);
}
