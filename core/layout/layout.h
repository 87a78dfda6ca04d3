/*
 * core/layout/layout.h - which tree (an install prefix or a build
 * directory) the running code belongs to, and the paths of voidbox's files
 * in it.
 *
 * Nothing here is compiled in absolute: an object finds its tree from its
 * own location (dladdr, /proc/self/exe). An object in a build tree uses the
 * build tree's files, an installed one the installed files; neither looks at
 * the other tree. The relative layouts are in layout_dirs.h (generated).
 */
#ifndef VBX_LAYOUT_H
#define VBX_LAYOUT_H

#include <limits.h>
#include <stddef.h>

#include "layout_dirs.h"

typedef enum vbx_layout_kind {
  VBX_LAYOUT_INSTALLED = 1, /* root is an install prefix */
  VBX_LAYOUT_BUILD = 2      /* root is a CMake build directory */
} vbx_layout_kind;

typedef struct vbx_layout {
  vbx_layout_kind kind;
  char root[PATH_MAX]; /* the prefix or the build directory, resolved, no trailing '/' */
} vbx_layout;

/* vbx_layout_object_dir - the resolved directory of the file (executable or
 * shared object) whose code contains `addr`, into buf (n bytes). Returns 0,
 * VBX_E_NOTFOUND when addr is in no loaded object, VBX_E_IO when the file
 * cannot be resolved, VBX_E_TOOBIG when it does not fit. Thread-safe. */
int vbx_layout_object_dir(const void *addr, char *buf, size_t n);

/* vbx_layout_find - the tree of the object whose code contains `addr`.
 * It is a build tree when the directory above the object's holds
 * VBX_LAYOUT_BUILD_MARKER (root: that directory); else it is installed when
 * the object's directory is PREFIX/D for one of `installed_dirs` (relative
 * to the prefix, NULL-terminated; root: PREFIX). Returns 0, or
 * VBX_E_NOTFOUND when the object is in neither kind of tree (copied
 * elsewhere), or an error of vbx_layout_object_dir. Thread-safe. */
int vbx_layout_find(const void *addr, const char *const *installed_dirs, vbx_layout *out);

/* vbx_layout_path - ROOT/installed_rel or ROOT/build_rel by the layout's
 * kind, into out (n bytes). Returns 0 or VBX_E_TOOBIG. */
int vbx_layout_path(const vbx_layout *l, const char *installed_rel, const char *build_rel,
                    char *out, size_t n);

#endif
