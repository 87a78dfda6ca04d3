/*
 * strings.c - length-prefixed strings and string lists: bounded reading,
 * encoder-side validation, views and NUL-terminated copies.
 */
#include <string.h>

#include "internal.h"

struct vbx_proto_str vbx_proto_str_c(const char *s) {
  struct vbx_proto_str v = {s, 0};
  size_t n = s ? strlen(s) : 0;

  v.len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
  return v;
}

int vbx_proto_str_copy(struct vbx_proto_str s, char *dst, size_t cap) {
  if (!dst || cap == 0 || (s.len && !s.ptr)) return VBX_PROTO_E_INVAL;
  if ((size_t)s.len >= cap) {
    dst[0] = '\0';
    return VBX_PROTO_E_TOOBIG;
  }
  if (s.len) memcpy(dst, s.ptr, s.len);
  dst[s.len] = '\0';
  return 0;
}

int vbx__rd_str(struct vbx__rd *r, uint32_t min, uint32_t max, struct vbx_proto_str *out) {
  uint32_t n = vbx__rd_u32(r);
  const uint8_t *b;

  out->ptr = NULL;
  out->len = 0;
  if (r->err) return r->err;
  if (n > max) {
    vbx__rd_fail(r, VBX_PROTO_E_TOOBIG);
    return r->err;
  }
  if (n < min) {
    vbx__rd_fail(r, VBX_PROTO_E_PROTOCOL);
    return r->err;
  }
  b = vbx__rd_take(r, n);
  if (!b) return r->err;
  if (n && memchr(b, 0, n)) {
    vbx__rd_fail(r, VBX_PROTO_E_PROTOCOL);
    return r->err;
  }
  out->ptr = (const char *)b;
  out->len = n;
  return 0;
}

int vbx__str_ok(const char *p, size_t len, uint32_t min, uint32_t max) {
  if (len > max) return VBX_PROTO_E_TOOBIG;
  if (len < min || (len && !p) || (len && memchr(p, 0, len))) return VBX_PROTO_E_INVAL;
  return 0;
}

int vbx_proto_strlist_get(const struct vbx_proto_strlist *l, uint32_t index,
                          struct vbx_proto_str *out) {
  const uint8_t *p = l->enc;
  uint32_t i, n;

  if (index >= l->count) return VBX_PROTO_E_INVAL;
  for (i = 0;; i++) {
    n = vbx__le32(p);
    if (i == index) break;
    p += 4 + (size_t)n;
  }
  out->ptr = (const char *)(p + 4);
  out->len = n;
  return 0;
}

int vbx_proto_strlist_copy(const struct vbx_proto_strlist *l, char **vec, size_t vec_cap,
                           char *arena, size_t arena_cap) {
  const uint8_t *p = l->enc;
  size_t used = 0;
  uint32_t i, n;

  if (!vec || vec_cap < (size_t)l->count + 1) return VBX_PROTO_E_TOOBIG;
  for (i = 0; i < l->count; i++) {
    n = vbx__le32(p);
    if (!arena || arena_cap - used < (size_t)n + 1) return VBX_PROTO_E_TOOBIG;
    memcpy(arena + used, p + 4, n);
    arena[used + n] = '\0';
    vec[i] = arena + used;
    used += (size_t)n + 1;
    p += 4 + (size_t)n;
  }
  vec[l->count] = NULL;
  return 0;
}
