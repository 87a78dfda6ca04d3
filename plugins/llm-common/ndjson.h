/*
 * llm-common/ndjson.h - an incremental newline-delimited JSON line splitter.
 *
 * Fed arbitrary chunk splits; calls back once per non-blank line (LF or
 * CRLF terminated; the CR is removed). A final line without LF is delivered
 * by vbx_ndjson_finish. A line longer than max_line fails with VBX_E_TOOBIG;
 * the splitter never buffers more than max_line bytes. Errors are sticky.
 *
 * Ownership: the splitter owns its buffer (malloc); the line passed to the
 * callback is borrowed and NUL-terminated. Not thread-safe; one owner.
 */
#ifndef VBX_LLM_NDJSON_H
#define VBX_LLM_NDJSON_H

#include <stddef.h>

/* Return 0 to go on or a negative VBX_E_* code (sticky, returned by feed). */
typedef int (*vbx_ndjson_line_fn)(void *user, const char *line, size_t len);

typedef struct vbx_ndjson_splitter {
  vbx_ndjson_line_fn on_line;
  void *user;
  size_t max_line;
  char *buf;
  size_t len, cap;
  int error;
  size_t lines; /* lines delivered so far */
} vbx_ndjson_splitter;

/* Initialise s; max_line must be > 0. Never fails. */
void vbx_ndjson_init(vbx_ndjson_splitter *s, size_t max_line, vbx_ndjson_line_fn fn, void *user);
/* Feed len bytes. Returns 0 or the sticky error. */
int vbx_ndjson_feed(vbx_ndjson_splitter *s, const char *data, size_t len);
/* End of stream: deliver a pending unterminated line. Returns the sticky error. */
int vbx_ndjson_finish(vbx_ndjson_splitter *s);
/* Forget partial state (retried request). */
void vbx_ndjson_reset(vbx_ndjson_splitter *s);
/* Free the buffer. */
void vbx_ndjson_free(vbx_ndjson_splitter *s);

#endif
