/*
 * llm-common/buf.c - growable byte buffer (see buf.h).
 */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "voidbox/errors.h"

int vbx_lbuf_add(vbx_lbuf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t c = b->cap ? b->cap : 64;
    while (c < b->len + n + 1) c *= 2;
    char *nb = realloc(b->data, c);
    if (!nb) return VBX_E_NOMEM;
    b->data = nb;
    b->cap = c;
  }
  if (n) memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
  return 0;
}

int vbx_lbuf_puts(vbx_lbuf *b, const char *s) { return vbx_lbuf_add(b, s, strlen(s)); }

const char *vbx_lbuf_str(const vbx_lbuf *b) { return b->data ? b->data : ""; }

void vbx_lbuf_free(vbx_lbuf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
