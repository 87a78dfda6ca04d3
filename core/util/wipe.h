/*
 * util/wipe.h - erasing secrets (session secrets, derived keys, tokens)
 * from memory before it is freed or reused.
 */
#ifndef VBX_UTIL_WIPE_H
#define VBX_UTIL_WIPE_H

#include <stddef.h>

/* vbx__wipe - zero n bytes at p (may be NULL when n is 0) with stores the
 * compiler cannot drop, even right before free() or the end of the
 * object's life. Thread-safe (touches only p). */
void vbx__wipe(void *p, size_t n);

#endif
