/*
 * util/strbuf.h - a growable, always NUL-terminated byte buffer.
 *
 * Not thread-safe; one owner at a time. Allocation failure is sticky: after
 * the first failed append the buffer stays as it was and `failed` is set, so
 * callers may append many times and check once.
 */
#ifndef VBX_UTIL_STRBUF_H
#define VBX_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct vbx__strbuf {
  char *data; /* NUL-terminated once anything was appended; may be NULL */
  size_t len;
  size_t cap;
  int failed; /* an allocation failed */
} vbx__strbuf;

#define VBX__STRBUF_INIT \
  { NULL, 0, 0, 0 }

/* Append len bytes. Returns 0 or VBX_E_NOMEM. */
int vbx__strbuf_append(vbx__strbuf *sb, const char *data, size_t len);
/* Append a C string. */
int vbx__strbuf_puts(vbx__strbuf *sb, const char *s);
/* Append formatted text. */
int vbx__strbuf_printf(vbx__strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vbx__strbuf_vprintf(vbx__strbuf *sb, const char *fmt, va_list ap);
/* Give the buffer's malloc'd string to the caller (never NULL unless
 * allocation failed: an empty buffer yields ""). The buffer is reset. */
char *vbx__strbuf_take(vbx__strbuf *sb);
/* Free the contents and reset. */
void vbx__strbuf_reset(vbx__strbuf *sb);
/* Empty the buffer but keep its allocation (and clear `failed`). */
void vbx__strbuf_clear(vbx__strbuf *sb);

#endif
