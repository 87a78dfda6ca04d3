/*
 * image/tree.c - initramfs file tree: collect, sort, check, write.
 */
#include "image/tree.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/error.h"

static int add(vbx__tree *t, const char *name, uint32_t mode, uint32_t uid, uint32_t gid,
               const void *data, size_t size) {
  if (!name || !*name || name[0] == '/') return VBX_E_INVAL;
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    vbx__tree_entry *e = realloc(t->e, cap * sizeof(*e));
    if (!e) return VBX_E_NOMEM;
    t->e = e, t->cap = cap;
  }
  vbx__tree_entry *e = &t->e[t->n];
  memset(e, 0, sizeof(*e));
  e->name = strdup(name);
  if (size) {
    e->data = malloc(size);
    if (e->data) memcpy(e->data, data, size);
  }
  if (!e->name || (size && !e->data)) {
    free(e->name);
    free(e->data);
    return VBX_E_NOMEM;
  }
  e->mode = mode, e->uid = uid, e->gid = gid, e->size = size;
  if (S_ISREG(mode)) vbx__sha256_buf_hex(data, size, e->sha256);
  t->n++;
  return 0;
}

int vbx__tree_add_dir(vbx__tree *t, const char *name, uint32_t perm, uint32_t uid, uint32_t gid) {
  return add(t, name, S_IFDIR | (perm & 07777), uid, gid, NULL, 0);
}

const vbx__tree_entry *vbx__tree_find(const vbx__tree *t, const char *name) {
  for (size_t i = 0; i < t->n; i++)
    if (!strcmp(t->e[i].name, name)) return &t->e[i];
  return NULL;
}

int vbx__tree_add_dirs(vbx__tree *t, const char *path, uint32_t perm) {
  char buf[VBX__NEWC_NAME_MAX + 1];
  size_t len = strlen(path);
  if (len == 0 || len > VBX__NEWC_NAME_MAX) return VBX_E_INVAL;
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char c = buf[i];
    buf[i] = '\0';
    int rc = vbx__tree_find(t, buf) ? 0 : vbx__tree_add_dir(t, buf, perm, 0, 0);
    buf[i] = c;
    if (rc) return rc;
  }
  return 0;
}

int vbx__tree_add_file(vbx__tree *t, const char *name, uint32_t perm, const void *data,
                       size_t size) {
  return add(t, name, S_IFREG | (perm & 07777), 0, 0, data, size);
}

int vbx__tree_add_symlink(vbx__tree *t, const char *name, const char *target) {
  if (!target || !*target) return VBX_E_INVAL;
  return add(t, name, S_IFLNK | 0777, 0, 0, target, strlen(target));
}

int vbx__tree_add_chardev(vbx__tree *t, const char *name, uint32_t perm, uint32_t major,
                          uint32_t minor) {
  int rc = add(t, name, S_IFCHR | (perm & 07777), 0, 0, NULL, 0);
  if (!rc) t->e[t->n - 1].rdev_major = major, t->e[t->n - 1].rdev_minor = minor;
  return rc;
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const vbx__tree_entry *)a)->name, ((const vbx__tree_entry *)b)->name);
}

static const vbx__tree_entry *find_sorted(const vbx__tree *t, const char *name) {
  vbx__tree_entry key = {.name = (char *)name};
  return bsearch(&key, t->e, t->n, sizeof(*t->e), by_name);
}

int vbx__tree_finalize(vbx__tree *t, vbx_error *err) {
  if (t->n) qsort(t->e, t->n, sizeof(*t->e), by_name);
  for (size_t i = 0; i < t->n; i++) {
    if (i && !strcmp(t->e[i].name, t->e[i - 1].name))
      return vbx__error_set(err, VBX_E_INVAL, "initramfs: entry '%s' added twice", t->e[i].name);
    const char *slash = strrchr(t->e[i].name, '/');
    if (!slash) continue;
    char parent[VBX__NEWC_NAME_MAX + 1];
    size_t n = (size_t)(slash - t->e[i].name);
    if (n > VBX__NEWC_NAME_MAX)
      return vbx__error_set(err, VBX_E_TOOBIG, "initramfs: name too long");
    memcpy(parent, t->e[i].name, n);
    parent[n] = '\0';
    const vbx__tree_entry *p = find_sorted(t, parent);
    if (!p || !S_ISDIR(p->mode))
      return vbx__error_set(err, VBX_E_INVAL, "initramfs: '%s' has no parent directory '%s'",
                            t->e[i].name, parent);
  }
  return 0;
}

int vbx__tree_write(const vbx__tree *t, int fd, uint32_t mtime, char sha_hex[VBX__SHA256_HEX],
                    uint64_t *size_out, vbx_error *err) {
  vbx__newc w;
  vbx__newc_init(&w, fd, mtime);
  for (size_t i = 0; i < t->n; i++) {
    const vbx__tree_entry *e = &t->e[i];
    vbx__newc_entry ne = {e->name,       e->mode,       e->uid,  e->gid,
                          e->rdev_major, e->rdev_minor, e->data, e->size};
    int rc = vbx__newc_add(&w, &ne);
    if (rc)
      return vbx__error_set(err, rc, "initramfs: writing '%s': %s", e->name, vbx__error_text(rc));
  }
  int rc = vbx__newc_finish(&w, sha_hex, size_out);
  if (rc) return vbx__error_set(err, rc, "initramfs: writing the trailer: %s", vbx__error_text(rc));
  return 0;
}

void vbx__tree_free(vbx__tree *t) {
  for (size_t i = 0; i < t->n; i++) {
    free(t->e[i].name);
    free(t->e[i].data);
  }
  free(t->e);
  memset(t, 0, sizeof(*t));
}
