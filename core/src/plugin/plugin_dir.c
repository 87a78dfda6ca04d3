/*
 * plugin/plugin_dir.c - see plugin_dir.h.
 */
#include "plugin/plugin_dir.h"

#include <stdio.h>
#include <stdlib.h>

#include "layout.h"

/* Any object of this file: dladdr finds the file that holds it. */
static const char anchor;

const char *vbx__plugin_default_dir(char *buf, size_t n, int *required) {
  const char *env = getenv("VOIDBOX_PLUGIN_DIR");
  *required = 1;
  if (env != NULL && env[0] != '\0') {
    snprintf(buf, n, "%s", env);
    return buf;
  }
  *required = 0;
  /* libvoidbox.so is installed in LIBDIR, a CLI linking it statically in
   * BINDIR. */
  static const char *const dirs[] = {VBX_LAYOUT_LIBDIR, VBX_LAYOUT_BINDIR, NULL};
  vbx_layout l;
  if (vbx_layout_find(&anchor, dirs, &l) != 0) return NULL;
  if (vbx_layout_path(&l, VBX_LAYOUT_PLUGINDIR, VBX_LAYOUT_BUILD_PLUGINDIR, buf, n) != 0)
    return NULL;
  return buf;
}
