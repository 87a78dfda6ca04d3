/*
 * util/cachedir.h - where voidbox caches what it downloads or builds: guest
 * images and remote skills. The one place the precedence is written down;
 * the image builder, `voidbox image`, `voidbox doctor`, sandbox-qemu, the
 * `remote` skill type and `voidbox skills` all resolve it here.
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

/* vbx__cache_subdir - voidbox's user cache for `what` (a single path
 * component such as "skills") into out[size]: explicit_dir when non-empty,
 * else $XDG_CACHE_HOME/voidbox/WHAT (absolute XDG_CACHE_HOME only), else
 * $HOME/.cache/voidbox/WHAT. $VOIDBOX_CACHE_DIR does not apply: it names
 * the image cache itself. Creates nothing. Returns 0, VBX_E_NOTFOUND or
 * VBX_E_TOOBIG, like vbx__cache_dir, with the same thread rule. */
int vbx__cache_subdir(const char *what, const char *explicit_dir, char *out, size_t size);

#endif
