/*
 * util/error.h - filling vbx_error reports (the embedding API's error type).
 */
#ifndef VBX_UTIL_ERROR_H
#define VBX_UTIL_ERROR_H

#include "voidbox/voidbox.h"

/* Set err (may be NULL) to code and a formatted message. Returns code. */
int vbx__error_set(vbx_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set err to a positioned error: message becomes "FILE:LINE:COLUMN: text".
 * line/column are 1-based; 0 leaves them out. Returns code. */
int vbx__error_at(vbx_error *err, int code, const char *file, int line, int column, const char *fmt,
                  ...) __attribute__((format(printf, 6, 7)));

/* "VBX_E_NAME: description" of a code, "unknown error" for others; static
 * storage. What vbx_strerror returns. Thread-safe. */
const char *vbx__error_text(int code);
/* The name of an error code ("VBX_E_TIMEOUT") into buf; unknown codes give
 * "VBX_E_GENERIC". Returns the name's length. Thread-safe. */
size_t vbx__error_name(int code, char *buf, size_t cap);
/* The code of an error name; VBX_E_GENERIC when unknown. */
int vbx__error_code(const char *name);

/* The closest of `candidates` (NULL-terminated) to `word` by edit distance,
 * or NULL when none is close enough to be a plausible typo. */
const char *vbx__did_you_mean(const char *word, const char *const *candidates);

#endif
