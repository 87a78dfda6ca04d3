/*
 * util/utf8.h - UTF-8 decoding and making bytes safe for JSON text, shared
 * by the engine (tool output), the CLI (terminal output, events) and
 * reports.
 */
#ifndef VBX_UTIL_UTF8_H
#define VBX_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode the sequence at s (n > 0 bytes left): its length (1 for any ASCII
 * byte, NUL included) and code point, or 0 when the bytes are not a valid,
 * shortest-form UTF-8 scalar value. */
size_t vbx__utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* A malloc'd copy of n bytes made safe for JSON text: invalid UTF-8 and NUL
 * bytes become '?'. NULL on OOM. */
char *vbx__text_sanitize(const char *s, size_t n);

#endif
