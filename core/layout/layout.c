/*
 * core/layout/layout.c - see layout.h.
 */
#include "layout.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "voidbox/errors.h"

int vbx_layout_object_dir(const void *addr, char *buf, size_t n) {
  Dl_info info;
  struct link_map *lm = NULL;
  char file[PATH_MAX], real[PATH_MAX];
  if (dladdr1(addr, &info, (void **)&lm, RTLD_DL_LINKMAP) == 0 || lm == NULL) return VBX_E_NOTFOUND;
  if (lm->l_name == NULL || lm->l_name[0] == '\0') {
    /* The main program: dladdr names it by argv[0], the kernel by path. */
    ssize_t len = readlink("/proc/self/exe", file, sizeof(file) - 1);
    if (len <= 0) return VBX_E_IO;
    file[len] = '\0';
  } else if ((size_t)snprintf(file, sizeof(file), "%s", lm->l_name) >= sizeof(file)) {
    return VBX_E_TOOBIG;
  }
  if (realpath(file, real) == NULL) return VBX_E_IO;
  char *slash = strrchr(real, '/');
  if (slash == NULL) return VBX_E_IO;
  if (slash == real) slash++; /* the object is in "/" */
  *slash = '\0';
  if ((size_t)snprintf(buf, n, "%s", real) >= n) return VBX_E_TOOBIG;
  return 0;
}

/* True when dir ends with "/" + rel; *prefix_len is then the length of
 * what comes before it. */
static int ends_with_dir(const char *dir, const char *rel, size_t *prefix_len) {
  size_t d = strlen(dir), r = strlen(rel);
  if (r == 0 || d <= r || dir[d - r - 1] != '/' || strcmp(dir + d - r, rel) != 0) return 0;
  *prefix_len = d - r - 1;
  return 1;
}

static int is_build_dir(const char *dir) {
  char marker[PATH_MAX + 32];
  struct stat st;
  if ((size_t)snprintf(marker, sizeof(marker), "%s/%s", dir, VBX_LAYOUT_BUILD_MARKER) >=
      sizeof(marker))
    return 0;
  return stat(marker, &st) == 0 && S_ISREG(st.st_mode);
}

int vbx_layout_find(const void *addr, const char *const *installed_dirs, vbx_layout *out) {
  char dir[PATH_MAX];
  int rc = vbx_layout_object_dir(addr, dir, sizeof(dir));
  if (rc != 0) return rc;
  char parent[PATH_MAX];
  memcpy(parent, dir, sizeof(parent));
  char *slash = strrchr(parent, '/');
  if (slash != NULL && slash != parent) {
    *slash = '\0';
    if (is_build_dir(parent)) {
      out->kind = VBX_LAYOUT_BUILD;
      memcpy(out->root, parent, sizeof(out->root));
      return 0;
    }
  }
  for (size_t i = 0; installed_dirs != NULL && installed_dirs[i] != NULL; i++) {
    size_t len;
    if (!ends_with_dir(dir, installed_dirs[i], &len)) continue;
    out->kind = VBX_LAYOUT_INSTALLED;
    if (len == 0) /* the prefix is "/" */
      snprintf(out->root, sizeof(out->root), "/");
    else
      snprintf(out->root, sizeof(out->root), "%.*s", (int)len, dir);
    return 0;
  }
  return VBX_E_NOTFOUND;
}

int vbx_layout_path(const vbx_layout *l, const char *installed_rel, const char *build_rel,
                    char *out, size_t n) {
  const char *rel = l->kind == VBX_LAYOUT_BUILD ? build_rel : installed_rel;
  const char *sep = strcmp(l->root, "/") == 0 ? "" : "/";
  if ((size_t)snprintf(out, n, "%s%s%s", l->root, sep, rel) >= n) return VBX_E_TOOBIG;
  return 0;
}
