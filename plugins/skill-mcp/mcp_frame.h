/*
 * skill-mcp/mcp_frame.h - the stdio transport's framing: one JSON-RPC
 * message per line, LF-terminated (a CR before the LF is dropped), no
 * embedded newlines. Pull-style: push the bytes read, then take lines
 * until there are none.
 *
 * Bound: a line longer than `max` bytes is refused (VBX_E_TOOBIG) as soon
 * as its first max + 1 bytes are buffered, not when its newline comes; the
 * framer then discards the rest of that line and goes on with the next one.
 * So it never holds more than max bytes of a line plus one pushed chunk.
 *
 * Ownership: the framer owns its buffer (malloc); a line returned by
 * vbx_mcp_framer_next is borrowed until the next push or free. One owner,
 * no locking.
 */
#ifndef VBX_MCP_FRAME_H
#define VBX_MCP_FRAME_H

#include <stddef.h>

#include "voidbox/errors.h"

/* The default bound on one message: 4 MiB. */
#define VBX_MCP_LINE_MAX ((size_t)4 << 20)

typedef struct vbx_mcp_framer {
  char *buf;
  size_t start; /* first byte not yet returned */
  size_t len;   /* bytes in buf */
  size_t cap;
  size_t scan;  /* bytes from start known to hold no LF */
  size_t max;   /* bound on one line */
  int skipping; /* discarding the rest of an oversize line */
  size_t lines; /* lines returned so far */
} vbx_mcp_framer;

/* Initialise f with the bound `max` (0: VBX_MCP_LINE_MAX). Never fails. */
void vbx_mcp_framer_init(vbx_mcp_framer *f, size_t max);
/* Free the buffer; f may be initialised again. */
void vbx_mcp_framer_free(vbx_mcp_framer *f);
/* Append n bytes. Call vbx_mcp_framer_next until it returns 0 before the
 * next push. 0, VBX_E_NOMEM, or VBX_E_TOOBIG when the caller pushed again
 * without taking the lines (the buffer would pass its bound). */
int vbx_mcp_framer_push(vbx_mcp_framer *f, const char *data, size_t n);
/* The next complete line: 1 with *line (NUL-terminated, without its LF
 * or CR) and *len; 0 when no complete line is buffered; VBX_E_TOOBIG once
 * for a line over the bound (the framer skips the rest of it). Blank lines
 * are skipped. */
int vbx_mcp_framer_next(vbx_mcp_framer *f, char **line, size_t *len);
/* Bytes buffered that are not yet a complete line. */
size_t vbx_mcp_framer_pending(const vbx_mcp_framer *f);

#endif
