/*
 * internal.h - private helpers shared by the protocol sources: a bounds-
 * checked little-endian reader over a payload, writer helpers over a
 * vbx_proto_buf, and the frame begin/end pair used by every typed encoder.
 * Not installed; names are vbx__ (internal, hidden visibility).
 */
#ifndef VBX_PROTOCOL_INTERNAL_H
#define VBX_PROTOCOL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "voidbox/protocol/messages.h"
#include "voidbox/protocol/wire.h"

/* ---- reader: never moves past the end; the first failure sticks ---- */
struct vbx__rd {
  const uint8_t *p;
  size_t left;
  int err; /* 0 or the first error */
};

static inline void vbx__rd_init(struct vbx__rd *r, const uint8_t *p, size_t len) {
  r->p = p;
  r->left = p ? len : 0;
  r->err = (p || len == 0) ? 0 : VBX_PROTO_E_PROTOCOL;
}

/* vbx__rd_take - n bytes or NULL (error recorded). */
static inline const uint8_t *vbx__rd_take(struct vbx__rd *r, size_t n) {
  const uint8_t *at;

  if (r->err) return NULL;
  if (n > r->left) {
    r->err = VBX_PROTO_E_PROTOCOL;
    return NULL;
  }
  at = r->p;
  r->p += n;
  r->left -= n;
  return at;
}

static inline uint16_t vbx__le16(const uint8_t *b) { return (uint16_t)(b[0] | (b[1] << 8)); }
static inline uint32_t vbx__le32(const uint8_t *b) {
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}
static inline uint64_t vbx__le64(const uint8_t *b) {
  return (uint64_t)vbx__le32(b) | ((uint64_t)vbx__le32(b + 4) << 32);
}
static inline void vbx__st16(uint8_t *b, uint16_t v) {
  b[0] = (uint8_t)v;
  b[1] = (uint8_t)(v >> 8);
}
static inline void vbx__st32(uint8_t *b, uint32_t v) {
  b[0] = (uint8_t)v;
  b[1] = (uint8_t)(v >> 8);
  b[2] = (uint8_t)(v >> 16);
  b[3] = (uint8_t)(v >> 24);
}
static inline void vbx__st64(uint8_t *b, uint64_t v) {
  vbx__st32(b, (uint32_t)v);
  vbx__st32(b + 4, (uint32_t)(v >> 32));
}

static inline uint8_t vbx__rd_u8(struct vbx__rd *r) {
  const uint8_t *b = vbx__rd_take(r, 1);
  return b ? b[0] : 0;
}
static inline uint16_t vbx__rd_u16(struct vbx__rd *r) {
  const uint8_t *b = vbx__rd_take(r, 2);
  return b ? vbx__le16(b) : 0;
}
static inline uint32_t vbx__rd_u32(struct vbx__rd *r) {
  const uint8_t *b = vbx__rd_take(r, 4);
  return b ? vbx__le32(b) : 0;
}
static inline uint64_t vbx__rd_u64(struct vbx__rd *r) {
  const uint8_t *b = vbx__rd_take(r, 8);
  return b ? vbx__le64(b) : 0;
}
static inline void vbx__rd_fail(struct vbx__rd *r, int err) {
  if (!r->err) r->err = err;
}
/* vbx__rd_zero - n reserved bytes that must be zero. */
static inline void vbx__rd_zero(struct vbx__rd *r, size_t n) {
  const uint8_t *b = vbx__rd_take(r, n);
  size_t i;

  for (i = 0; b && i < n; i++)
    if (b[i]) vbx__rd_fail(r, VBX_PROTO_E_PROTOCOL);
}
/* vbx__rd_done - the payload must be consumed exactly; returns the result. */
static inline int vbx__rd_done(struct vbx__rd *r) {
  if (!r->err && r->left) r->err = VBX_PROTO_E_PROTOCOL;
  return r->err;
}

/* vbx__rd_str - a u32-length-prefixed string of min..max bytes with no NUL.
 * Length above max is E_TOOBIG (checked before the bytes are touched). */
int vbx__rd_str(struct vbx__rd *r, uint32_t min, uint32_t max, struct vbx_proto_str *out);

/* vbx__str_ok - the encoder-side twin of vbx__rd_str's checks: 0, E_TOOBIG
 * or E_INVAL. */
int vbx__str_ok(const char *p, size_t len, uint32_t min, uint32_t max);

/* ---- writer: appends to the frame under construction; errors stick in
 * b->err and are reported by vbx__frame_end. ---- */
void vbx__put(struct vbx_proto_buf *b, const void *p, size_t n);
static inline void vbx__put_u8(struct vbx_proto_buf *b, uint8_t v) { vbx__put(b, &v, 1); }
static inline void vbx__put_u16(struct vbx_proto_buf *b, uint16_t v) {
  uint8_t t[2];
  vbx__st16(t, v);
  vbx__put(b, t, 2);
}
static inline void vbx__put_u32(struct vbx_proto_buf *b, uint32_t v) {
  uint8_t t[4];
  vbx__st32(t, v);
  vbx__put(b, t, 4);
}
static inline void vbx__put_u64(struct vbx_proto_buf *b, uint64_t v) {
  uint8_t t[8];
  vbx__st64(t, v);
  vbx__put(b, t, 8);
}
static inline void vbx__put_zero(struct vbx_proto_buf *b, size_t n) {
  static const uint8_t z[8];
  while (n) {
    size_t k = n < sizeof(z) ? n : sizeof(z);
    vbx__put(b, z, k);
    n -= k;
  }
}
static inline void vbx__put_str(struct vbx_proto_buf *b, const char *p, uint32_t n) {
  vbx__put_u32(b, n);
  vbx__put(b, p, n);
}

/* Id rule of a type: 0 = must be 0, 1 = must be non-zero, 2 = any,
 * 3 = a guest-allocated id (VBX_PROTO_GUEST_ID_BIT set). */
enum { VBX__ID_ZERO = 0, VBX__ID_REQUEST = 1, VBX__ID_ANY = 2, VBX__ID_GUEST = 3 };
int vbx__id_rule(unsigned type);
/* vbx__id_ok - 0 if id obeys the rule of type, else `err`. */
int vbx__id_ok(unsigned type, uint32_t id, int err);

/* vbx__frame_begin - start a frame: checks the type's id rule (E_INVAL),
 * reserves the header, records the start offset in *start. */
int vbx__frame_begin(struct vbx_proto_buf *b, unsigned type, uint32_t id, size_t *start);
/* vbx__frame_end - finish the frame begun at start: patch the payload
 * length into the header, or on any error (sticky b->err, payload over
 * VBX_PROTO_MAX_PAYLOAD) roll the buffer back to start. Returns 0 or error. */
int vbx__frame_end(struct vbx_proto_buf *b, size_t start);

#endif /* VBX_PROTOCOL_INTERNAL_H */
