/*
 * image/tree.h - the in-memory file tree of an initramfs: entries collected
 * in any order, then sorted, checked (no duplicates, every parent directory
 * present) and written as newc cpio. The tree owns copies of names, file
 * contents and symlink targets. One owner at a time.
 */
#ifndef VBX_IMAGE_TREE_H
#define VBX_IMAGE_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "image/newc.h"
#include "voidbox/voidbox.h"

typedef struct vbx__tree_entry {
  char *name;    /* relative path: "bin/sh" */
  uint32_t mode; /* type | permissions */
  uint32_t uid, gid;
  uint32_t rdev_major, rdev_minor;
  char *data; /* file contents / symlink target; owned */
  size_t size;
  char sha256[VBX__SHA256_HEX]; /* regular files: digest of data */
} vbx__tree_entry;

typedef struct vbx__tree {
  vbx__tree_entry *e;
  size_t n, cap;
} vbx__tree;

/* Add entries. name is copied; data is copied (file, symlink). Parents are
 * not added implicitly: use vbx__tree_add_dirs for "a/b/c" to add a, a/b,
 * a/b/c (skipping ones already present). Return 0 or VBX_E_NOMEM/INVAL. */
int vbx__tree_add_dir(vbx__tree *t, const char *name, uint32_t perm, uint32_t uid, uint32_t gid);
int vbx__tree_add_dirs(vbx__tree *t, const char *path, uint32_t perm);
int vbx__tree_add_file(vbx__tree *t, const char *name, uint32_t perm, const void *data,
                       size_t size);
int vbx__tree_add_symlink(vbx__tree *t, const char *name, const char *target);
int vbx__tree_add_chardev(vbx__tree *t, const char *name, uint32_t perm, uint32_t major,
                          uint32_t minor);

/* Find an entry by name (linear; NULL when absent). */
const vbx__tree_entry *vbx__tree_find(const vbx__tree *t, const char *name);

/* Sort by name and check: no duplicate names, every entry's parent is a
 * directory in the tree. Returns 0 or VBX_E_INVAL with err naming the entry. */
int vbx__tree_finalize(vbx__tree *t, vbx_error *err);

/* Write the finalized tree to fd as newc with every mtime = mtime. sha_hex
 * and size_out receive the archive's digest and length. Returns 0 or a
 * VBX_E_* code from the writer (err says which entry). */
int vbx__tree_write(const vbx__tree *t, int fd, uint32_t mtime, char sha_hex[VBX__SHA256_HEX],
                    uint64_t *size_out, vbx_error *err);

/* Free everything; t becomes empty. */
void vbx__tree_free(vbx__tree *t);

#endif
