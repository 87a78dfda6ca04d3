/*
 * frame.c - the 16-byte frame header: pack, parse and validate; one-shot
 * frame parse; the begin/end pair every typed encoder uses.
 */
#include <string.h>

#include "internal.h"

/* Bytes 0..15: magic 'V' 'B', version u8, type u8, flags u16, reserved u16,
 * id u32, length u32. */

static const char *const type_names[0x45] = {
    [VBX_PROTO_T_CHALLENGE] = "CHALLENGE",
    [VBX_PROTO_T_HELLO] = "HELLO",
    [VBX_PROTO_T_HELLO_OK] = "HELLO_OK",
    [VBX_PROTO_T_ERROR] = "ERROR",
    [VBX_PROTO_T_OK] = "OK",
    [VBX_PROTO_T_PING] = "PING",
    [VBX_PROTO_T_PONG] = "PONG",
    [VBX_PROTO_T_SHUTDOWN] = "SHUTDOWN",
    [VBX_PROTO_T_EXEC_START] = "EXEC_START",
    [VBX_PROTO_T_STDIN_DATA] = "STDIN_DATA",
    [VBX_PROTO_T_STDIN_CLOSE] = "STDIN_CLOSE",
    [VBX_PROTO_T_STDOUT_DATA] = "STDOUT_DATA",
    [VBX_PROTO_T_STDERR_DATA] = "STDERR_DATA",
    [VBX_PROTO_T_WINDOW_UPDATE] = "WINDOW_UPDATE",
    [VBX_PROTO_T_EXIT] = "EXIT",
    [VBX_PROTO_T_SIGNAL] = "SIGNAL",
    [VBX_PROTO_T_FILE_PUT_BEGIN] = "FILE_PUT_BEGIN",
    [VBX_PROTO_T_FILE_DATA] = "FILE_DATA",
    [VBX_PROTO_T_FILE_END] = "FILE_END",
    [VBX_PROTO_T_FILE_GET] = "FILE_GET",
    [VBX_PROTO_T_MKDIR] = "MKDIR",
    [VBX_PROTO_T_STAT] = "STAT",
    [VBX_PROTO_T_STAT_RESULT] = "STAT_RESULT",
    [VBX_PROTO_T_TELEMETRY_SUBSCRIBE] = "TELEMETRY_SUBSCRIBE",
    [VBX_PROTO_T_TELEMETRY_SAMPLE] = "TELEMETRY_SAMPLE",
    [VBX_PROTO_T_TUNNEL_OPEN] = "TUNNEL_OPEN",
    [VBX_PROTO_T_TUNNEL_OPENED] = "TUNNEL_OPENED",
    [VBX_PROTO_T_TUNNEL_DATA] = "TUNNEL_DATA",
    [VBX_PROTO_T_TUNNEL_EOF] = "TUNNEL_EOF",
    [VBX_PROTO_T_TUNNEL_CLOSE] = "TUNNEL_CLOSE",
};

const char *vbx_proto_type_name(unsigned type) {
  if (type >= sizeof(type_names) / sizeof(type_names[0])) return NULL;
  return type_names[type];
}

int vbx__id_rule(unsigned type) {
  switch (type) {
  case VBX_PROTO_T_CHALLENGE:
  case VBX_PROTO_T_HELLO:
  case VBX_PROTO_T_HELLO_OK:
  case VBX_PROTO_T_SHUTDOWN: return VBX__ID_ZERO;
  case VBX_PROTO_T_ERROR:
  case VBX_PROTO_T_PING:
  case VBX_PROTO_T_PONG: return VBX__ID_ANY;
  case VBX_PROTO_T_TUNNEL_OPEN:
  case VBX_PROTO_T_TUNNEL_OPENED:
  case VBX_PROTO_T_TUNNEL_DATA:
  case VBX_PROTO_T_TUNNEL_EOF:
  case VBX_PROTO_T_TUNNEL_CLOSE: return VBX__ID_GUEST;
  default: return VBX__ID_REQUEST;
  }
}

int vbx__id_ok(unsigned type, uint32_t id, int err) {
  switch (vbx__id_rule(type)) {
  case VBX__ID_ZERO: return id == 0 ? 0 : err;
  case VBX__ID_REQUEST: return id != 0 ? 0 : err;
  case VBX__ID_GUEST: return (id & VBX_PROTO_GUEST_ID_BIT) != 0 ? 0 : err;
  default: return 0;
  }
}

void vbx_proto_header_pack(const struct vbx_proto_header *hdr, uint8_t out[VBX_PROTO_HEADER_SIZE]) {
  out[0] = VBX_PROTO_MAGIC0;
  out[1] = VBX_PROTO_MAGIC1;
  out[2] = VBX_PROTO_WIRE_VERSION;
  out[3] = hdr->type;
  vbx__st16(out + 4, hdr->flags);
  vbx__st16(out + 6, 0);
  vbx__st32(out + 8, hdr->id);
  vbx__st32(out + 12, hdr->length);
}

int vbx_proto_header_parse(const uint8_t in[VBX_PROTO_HEADER_SIZE], uint32_t max_payload,
                           struct vbx_proto_header *out) {
  if (!in || !out) return VBX_PROTO_E_INVAL;
  if (max_payload == 0 || max_payload > VBX_PROTO_MAX_PAYLOAD) max_payload = VBX_PROTO_MAX_PAYLOAD;
  if (in[0] != VBX_PROTO_MAGIC0 || in[1] != VBX_PROTO_MAGIC1) return VBX_PROTO_E_PROTOCOL;
  if (in[2] != VBX_PROTO_WIRE_VERSION) return VBX_PROTO_E_VERSION;
  out->version = in[2];
  out->type = in[3];
  out->flags = vbx__le16(in + 4);
  out->id = vbx__le32(in + 8);
  out->length = vbx__le32(in + 12);
  if (!vbx_proto_type_name(out->type) || out->flags || vbx__le16(in + 6))
    return VBX_PROTO_E_PROTOCOL;
  if (out->length > max_payload) return VBX_PROTO_E_TOOBIG;
  return 0;
}

int vbx_proto_frame_parse(const uint8_t *buf, size_t len, uint32_t max_payload,
                          struct vbx_proto_frame *out, size_t *frame_len) {
  int rc;

  if ((!buf && len) || !out || !frame_len) return VBX_PROTO_E_INVAL;
  if (len < VBX_PROTO_HEADER_SIZE) return VBX_PROTO_E_AGAIN;
  rc = vbx_proto_header_parse(buf, max_payload, &out->hdr);
  if (rc) return rc;
  if (len - VBX_PROTO_HEADER_SIZE < out->hdr.length) return VBX_PROTO_E_AGAIN;
  out->payload = out->hdr.length ? buf + VBX_PROTO_HEADER_SIZE : NULL;
  *frame_len = VBX_PROTO_HEADER_SIZE + (size_t)out->hdr.length;
  return 0;
}

int vbx__frame_begin(struct vbx_proto_buf *b, unsigned type, uint32_t id, size_t *start) {
  struct vbx_proto_header h = {VBX_PROTO_WIRE_VERSION, (uint8_t)type, 0, id, 0};
  uint8_t raw[VBX_PROTO_HEADER_SIZE];

  if (!b || !vbx_proto_type_name(type)) return VBX_PROTO_E_INVAL;
  if (vbx__id_ok(type, id, VBX_PROTO_E_INVAL)) return VBX_PROTO_E_INVAL;
  *start = b->len;
  b->err = 0;
  vbx_proto_header_pack(&h, raw);
  vbx__put(b, raw, sizeof(raw));
  return 0;
}

int vbx__frame_end(struct vbx_proto_buf *b, size_t start) {
  size_t plen;
  int rc = b->err;

  if (!rc) {
    plen = b->len - start - VBX_PROTO_HEADER_SIZE;
    if (plen > VBX_PROTO_MAX_PAYLOAD)
      rc = VBX_PROTO_E_TOOBIG;
    else
      vbx__st32(b->data + start + 12, (uint32_t)plen);
  }
  if (rc) b->len = start;
  b->err = 0;
  return rc;
}

int vbx_proto_encode_frame(struct vbx_proto_buf *b, unsigned type, uint32_t id, const void *payload,
                           size_t len) {
  size_t start;
  int rc;

  if (len && !payload) return VBX_PROTO_E_INVAL;
  if (len > VBX_PROTO_MAX_PAYLOAD) return VBX_PROTO_E_TOOBIG;
  rc = vbx__frame_begin(b, type, id, &start);
  if (rc) return rc;
  vbx__put(b, payload, len);
  return vbx__frame_end(b, start);
}
