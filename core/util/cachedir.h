/*
 * util/cachedir.h - where voidbox caches its guest images. The one place
 * the precedence is written down; the image builder, `voidbox image`,
 * `voidbox doctor` and sandbox-qemu all resolve it here.
 */
#ifndef VBX_UTIL_CACHEDIR_H
#define VBX_UTIL_CACHEDIR_H

#include <stddef.h>

/* vbx__cache_dir - the image cache directory into out[size]: explicit_dir
 * when non-empty (a --cache-dir or image_dir option), else
 * $VOIDBOX_CACHE_DIR, else $XDG_CACHE_HOME/voidbox/images (only an
 * absolute XDG_CACHE_HOME counts, as XDG says), else
 * $HOME/.cache/voidbox/images. Creates nothing. Returns 0, VBX_E_NOTFOUND
 * (none of them set) or VBX_E_TOOBIG (does not fit in size). Reads the
 * environment: thread-safe as long as nobody calls setenv meanwhile. */
int vbx__cache_dir(const char *explicit_dir, char *out, size_t size);

#endif
