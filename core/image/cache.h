/*
 * image/cache.h - where guest images live and how the kernel cache key is
 * computed.
 *
 * Images live in a user cache directory, never in the source tree:
 *   --cache-dir DIR, else $VOIDBOX_CACHE_DIR, else
 *   $XDG_CACHE_HOME/voidbox/images, else $HOME/.cache/voidbox/images
 *   (vbx__cache_dir in util/cachedir.h resolves it; this file creates it).
 * Layout (docs/guest-image.md):
 *   kernel-<key16>/{bzImage,vmlinux,config,kernel.json,build.log}
 *   initramfs-<sha16>.cpio, initramfs-<sha16>.manifest.json
 *   bzImage, vmlinux, initramfs.cpio, initramfs.manifest.json: symlinks to
 *   the newest build
 *   work/: extracted kernel source and object tree (reused), .lock
 */
#ifndef VBX_IMAGE_CACHE_H
#define VBX_IMAGE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "image/sha256.h"
#include "voidbox/voidbox.h"

/* Bumped whenever the builder changes what it produces for the same inputs;
 * part of the kernel cache key and of every manifest. */
#define VBX__IMAGE_BUILDER_VERSION "1"

/* Resolve the cache directory (vbx__cache_dir) into out[size] and create it.
 * explicit_dir may be NULL. Returns 0, VBX_E_NOTFOUND (no HOME and nothing
 * else set), VBX_E_TOOBIG or VBX_E_IO (cannot create; err names the path). */
int vbx__image_cache_dir(const char *explicit_dir, char *out, size_t size, vbx_error *err);

/* What the kernel cache key is made of. */
typedef struct vbx__kernel_key_input {
  const char *fragment; /* config fragment contents */
  size_t fragment_len;
  const char *tarball_path; /* kernel source tarball identity: */
  uint64_t tarball_size;    /*   path, size and mtime */
  int64_t tarball_mtime;
  const char *builder_version;
} vbx__kernel_key_input;

/* The cache key: sha256 (hex) of the text
 *   "voidbox-kernel-key\nbuilder=<v>\nfragment-sha256=<hex>\n"
 *   "tarball=<path>\ntarball-size=<n>\ntarball-mtime=<n>\n".
 * Pure function. */
void vbx__image_kernel_key(const vbx__kernel_key_input *in, char hex[VBX__SHA256_HEX]);

/* Take an exclusive lock on DIR/.lock (waiting, with a note to progress
 * when another build holds it). Returns an fd to close to release, or a
 * negative VBX_E_* code. */
int vbx__image_cache_lock(const char *dir, void *progress_file, vbx_error *err);

#endif
