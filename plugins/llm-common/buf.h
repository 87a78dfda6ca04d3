/*
 * llm-common/buf.h - a small growable byte buffer private to the LLM
 * plugins (they do not link libvoidbox internals). Always NUL-terminated
 * once non-empty; malloc'd; one owner; not thread-safe.
 */
#ifndef VBX_LLM_BUF_H
#define VBX_LLM_BUF_H

#include <stddef.h>

typedef struct vbx_lbuf {
  char *data;
  size_t len, cap;
} vbx_lbuf;

/* Append n bytes. Returns 0 or VBX_E_NOMEM (buffer unchanged). */
int vbx_lbuf_add(vbx_lbuf *b, const char *s, size_t n);
/* Append a C string. */
int vbx_lbuf_puts(vbx_lbuf *b, const char *s);
/* Contents as a C string ("" when empty); borrowed. */
const char *vbx_lbuf_str(const vbx_lbuf *b);
/* Free and reset. */
void vbx_lbuf_free(vbx_lbuf *b);

#endif
