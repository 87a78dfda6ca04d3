/*
 * plugin/plugin_dir.h - which directory the runtime loads plugins from by
 * default (documented in docs/plugin-guide.md).
 */
#ifndef VBX_PLUGIN_PLUGIN_DIR_H
#define VBX_PLUGIN_PLUGIN_DIR_H

#include <stddef.h>

/* Write the default plugin directory into buf (n bytes) and return buf:
 *  1. $VOIDBOX_PLUGIN_DIR when set and non-empty;
 *  2. the build tree's plugin directory (VBX_BUILD_PLUGIN_DIR) when the
 *     running executable sits in BUILD/bin of that same build tree and
 *     BUILD/plugins exists (running from the build tree, not installed);
 *  3. the install's plugin directory (VBX_PLUGIN_DIR).
 * Thread-safe (reads the environment and /proc/self/exe). */
const char *vbx__plugin_default_dir(char *buf, size_t n);

#endif
