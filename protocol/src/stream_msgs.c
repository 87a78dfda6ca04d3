/*
 * stream_msgs.c - data-carrying payloads (STDIN_DATA, STDOUT_DATA,
 * STDERR_DATA, FILE_DATA, TUNNEL_DATA) and WINDOW_UPDATE.
 */
#include <string.h>

#include "internal.h"

static int is_data_type(unsigned type) {
  return type == VBX_PROTO_T_STDIN_DATA || type == VBX_PROTO_T_STDOUT_DATA ||
         type == VBX_PROTO_T_STDERR_DATA || type == VBX_PROTO_T_FILE_DATA ||
         type == VBX_PROTO_T_TUNNEL_DATA;
}

static int data_args_ok(unsigned type, uint32_t id, uint64_t offset, uint32_t len) {
  if (!is_data_type(type) || vbx__id_ok(type, id, VBX_PROTO_E_INVAL) || len == 0)
    return VBX_PROTO_E_INVAL;
  if (len > VBX_PROTO_MAX_DATA) return VBX_PROTO_E_TOOBIG;
  if (offset > UINT64_MAX - len) return VBX_PROTO_E_INVAL;
  return 0;
}

/* Data: offset u64, then 1..VBX_PROTO_MAX_DATA bytes. */
int vbx_proto_encode_data(struct vbx_proto_buf *b, unsigned type, uint32_t id,
                          const struct vbx_proto_data *m) {
  size_t start;
  int rc;

  if (!m || !m->data) return VBX_PROTO_E_INVAL;
  rc = data_args_ok(type, id, m->offset, m->len);
  if (!rc) rc = vbx__frame_begin(b, type, id, &start);
  if (rc) return rc;
  vbx__put_u64(b, m->offset);
  vbx__put(b, m->data, m->len);
  return vbx__frame_end(b, start);
}

int vbx_proto_data_header(uint8_t out[VBX_PROTO_DATA_HEADER_SIZE], unsigned type, uint32_t id,
                          uint64_t offset, uint32_t len) {
  struct vbx_proto_header h = {VBX_PROTO_WIRE_VERSION, (uint8_t)type, 0, id,
                               len + VBX_PROTO_DATA_PREFIX};
  int rc = data_args_ok(type, id, offset, len);

  if (rc) return rc;
  vbx_proto_header_pack(&h, out);
  vbx__st64(out + VBX_PROTO_HEADER_SIZE, offset);
  return 0;
}

int vbx_proto_decode_data(const uint8_t *p, size_t len, struct vbx_proto_data *m) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  m->offset = vbx__rd_u64(&r);
  m->len = (uint32_t)(r.left > VBX_PROTO_MAX_DATA ? 0 : r.left);
  m->data = r.p;
  if (!r.err && r.left > VBX_PROTO_MAX_DATA) vbx__rd_fail(&r, VBX_PROTO_E_TOOBIG);
  if (!r.err && (m->len == 0 || m->offset > UINT64_MAX - m->len))
    vbx__rd_fail(&r, VBX_PROTO_E_PROTOCOL);
  vbx__rd_take(&r, m->len);
  return vbx__rd_done(&r);
}

/* WINDOW_UPDATE: increment u32 (1..VBX_PROTO_MAX_WINDOW). */
int vbx_proto_encode_window_update(struct vbx_proto_buf *b, uint32_t id, uint32_t increment) {
  size_t start;
  int rc;

  if (increment == 0 || increment > 0x7fffffffu) return VBX_PROTO_E_INVAL;
  rc = vbx__frame_begin(b, VBX_PROTO_T_WINDOW_UPDATE, id, &start);
  if (rc) return rc;
  vbx__put_u32(b, increment);
  return vbx__frame_end(b, start);
}

int vbx_proto_decode_window_update(const uint8_t *p, size_t len, uint32_t *increment) {
  struct vbx__rd r;

  vbx__rd_init(&r, p, len);
  *increment = vbx__rd_u32(&r);
  if (!r.err && (*increment == 0 || *increment > 0x7fffffffu))
    vbx__rd_fail(&r, VBX_PROTO_E_PROTOCOL);
  return vbx__rd_done(&r);
}
