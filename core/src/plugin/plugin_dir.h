/*
 * plugin/plugin_dir.h - which directory the runtime loads plugins from by
 * default (documented in docs/plugin-guide.md).
 */
#ifndef VBX_PLUGIN_PLUGIN_DIR_H
#define VBX_PLUGIN_PLUGIN_DIR_H

#include <stddef.h>

/* Write the default plugin directory into buf (n bytes) and return buf:
 *  1. $VOIDBOX_PLUGIN_DIR when set and non-empty (*required = 1: it must
 *     exist);
 *  2. relative to the file that holds this code (libvoidbox.so, or the
 *     executable that links the runtime statically), found by
 *     vbx_layout_find: BUILD/plugins in a build tree, PREFIX/lib/voidbox/
 *     plugins when installed (*required = 0: an absent one loads nothing).
 * Returns NULL when the code is in neither kind of tree (no default).
 * Nothing is compiled in absolute, so an installed tree never reads a build
 * tree's plugins and a tree installed with --prefix or moved finds its own.
 * Thread-safe. */
const char *vbx__plugin_default_dir(char *buf, size_t n, int *required);

#endif
