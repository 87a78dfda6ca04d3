/*
 * term_text.h - text from boxes, models and plugins made harmless for a
 * terminal: control characters (C0 but tab, DEL, C1), bidirectional
 * overrides and bytes that are not UTF-8 are shown as visible escapes
 * ("^[" for ESC, "\u009b", "\u202e", "\xff") so output can neither move
 * the cursor, retitle the window, rewrite earlier lines nor reorder text.
 * Used for human output only; JSON output is escaped by the JSON encoder.
 */
#ifndef VBX_CLI_TERM_TEXT_H
#define VBX_CLI_TERM_TEXT_H

#include <stddef.h>

#include "util/strbuf.h"

/* Most bytes one input byte becomes ("\xff"): vbx__term_write's output
 * for n bytes fits in VBX_TERM_GROWTH * n bytes. */
#define VBX_TERM_GROWTH 4u

/* Append n bytes of s to sb, neutralised. A newline is escaped too ("^J"):
 * callers split lines first. */
void vbx__term_append(vbx__strbuf *sb, const char *s, size_t n);
/* Same for a NUL-terminated string (NULL appends nothing). */
void vbx__term_puts(vbx__strbuf *sb, const char *s);
/* vbx__term_plain - the length of the run of printable ASCII (0x20..0x7e)
 * that s[0, n) starts with: bytes the functions here keep as they are, one
 * newline being the first byte after it in most text. Pure. */
size_t vbx__term_plain(const char *s, size_t n);
/* vbx__term_write - the same neutralised text as vbx__term_append, written
 * to dst, which has room for VBX_TERM_GROWTH * n bytes (not
 * NUL-terminated). Returns the bytes written. Pure. */
size_t vbx__term_write(char *dst, const char *s, size_t n);

#endif
