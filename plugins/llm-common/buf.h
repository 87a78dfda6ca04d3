/*
 * llm-common/buf.h - the LLM plugins' text buffer is util's vbx__strbuf
 * (util/strbuf.h: growable, NUL-terminated once non-empty, allocation
 * failure sticky; one owner). The names below remain for the providers'
 * request builders.
 */
#ifndef VBX_LLM_BUF_H
#define VBX_LLM_BUF_H

#include "util/strbuf.h"

typedef vbx__strbuf vbx_lbuf;

/* Contents as a C string ("" when empty); borrowed. */
static inline const char *vbx_lbuf_str(const vbx__strbuf *b) { return b->data ? b->data : ""; }
/* Free and reset. */
static inline void vbx_lbuf_free(vbx__strbuf *b) { vbx__strbuf_reset(b); }

#endif
