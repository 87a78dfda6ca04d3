/*
 * buf.c - output buffers for encoders: fixed (caller memory) or growable
 * (malloc'ed, bounded by a limit).
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void vbx_proto_buf_init_fixed(struct vbx_proto_buf *b, void *mem, size_t cap) {
  b->data = mem;
  b->len = 0;
  b->cap = mem ? cap : 0;
  b->limit = b->cap;
  b->owned = 0;
  b->err = 0;
}

void vbx_proto_buf_init_growable(struct vbx_proto_buf *b, size_t limit) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->limit = limit ? limit : VBX_PROTO_HEADER_SIZE + VBX_PROTO_MAX_PAYLOAD;
  b->owned = 1;
  b->err = 0;
}

void vbx_proto_buf_reset(struct vbx_proto_buf *b) {
  b->len = 0;
  b->err = 0;
}

void vbx_proto_buf_consume(struct vbx_proto_buf *b, size_t n) {
  if (n >= b->len) {
    b->len = 0;
    return;
  }
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
}

void vbx_proto_buf_fini(struct vbx_proto_buf *b) {
  if (b->owned) free(b->data);
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->err = 0;
}

/* reserve - make room for n more bytes; 0 or an error. */
static int reserve(struct vbx_proto_buf *b, size_t n) {
  size_t need, cap;
  uint8_t *p;

  if (n > b->limit || b->len > b->limit - n) return VBX_PROTO_E_TOOBIG;
  need = b->len + n;
  if (need <= b->cap) return 0;
  if (!b->owned) return VBX_PROTO_E_TOOBIG;
  cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap = cap > b->limit / 2 ? b->limit : cap * 2;
  if (cap > b->limit) cap = b->limit; /* need <= limit, so still enough */
  p = realloc(b->data, cap);
  if (!p) return VBX_PROTO_E_NOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

void vbx__put(struct vbx_proto_buf *b, const void *p, size_t n) {
  int rc;

  if (b->err || n == 0) return;
  rc = reserve(b, n);
  if (rc) {
    b->err = rc;
    return;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}
