/*
 * image/image.h - the guest image builder behind `voidbox image build` and
 * `voidbox image list` (docs/guest-image.md).
 *
 * A guest image is a slim kernel (bzImage + vmlinux, built from Debian's
 * linux-source with guest/image/kernel.config merged over tinyconfig, cached
 * by a key over its inputs) and a reproducible newc initramfs whose /init is
 * the static guest agent, with busybox-static and CA certificates, plus a
 * JSON manifest. Everything lives in the user cache directory (cache.h).
 *
 * Builds take an exclusive lock on the cache dir; calls are otherwise not
 * meant to run concurrently from one process.
 */
#ifndef VBX_IMAGE_IMAGE_H
#define VBX_IMAGE_IMAGE_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "image/cache.h"
#include "voidbox/voidbox.h"

/* Fixed mtime of every initramfs entry (SOURCE_DATE_EPOCH). */
#define VBX__IMAGE_SOURCE_DATE_EPOCH 0u

typedef struct vbx__image_opts {
  const char *cache_dir; /* resolved and created (vbx__image_cache_dir) */
  const char *fragment;  /* --config; NULL: vbx__image_find_fragment */
  const char *tarball;   /* --kernel-source; NULL: default */
  const char *agent;     /* --agent; NULL: vbx__image_find_agent */
  const char *busybox;   /* NULL: /bin/busybox */
  const char *ca_bundle; /* NULL: /etc/ssl/certs/ca-certificates.crt */
  int jobs;              /* make -jN; <= 0: number of online CPUs */
  int force;             /* rebuild even when cached */
  int allow_drift;       /* warn instead of failing on unmet options */
  FILE *progress;        /* phase lines; NULL: quiet */
} vbx__image_opts;

typedef struct vbx__kernel_result {
  char key[VBX__SHA256_HEX]; /* cache key */
  char dir[PATH_MAX];        /* CACHE/kernel-<key16> */
  char fragment_sha256[VBX__SHA256_HEX];
  char config_sha256[VBX__SHA256_HEX]; /* of the final .config */
  char release[128];                   /* "6.1.0" (kernel.release) */
  uint64_t bzimage_size, vmlinux_size;
  int cached; /* 1: found in the cache, no make */
  int unmet;  /* fragment options that did not stick */
  double seconds;
} vbx__kernel_result;

typedef struct vbx__initramfs_result {
  char sha256[VBX__SHA256_HEX];
  uint64_t size;
  size_t entries;
  char path[PATH_MAX];     /* CACHE/initramfs-<sha16>.cpio */
  char manifest[PATH_MAX]; /* CACHE/initramfs-<sha16>.manifest.json */
  double seconds;
} vbx__initramfs_result;

/* Build (or find in the cache) the kernel. Must be called with the cache
 * lock held. On success the CACHE/bzImage and CACHE/vmlinux links point at
 * it. Returns 0 or VBX_E_* with err set (VBX_E_SPEC for fragment errors and
 * drift, VBX_E_NOTFOUND for missing inputs, VBX_E_GENERIC for a failed
 * tool, whose log tail went to progress). */
int vbx__image_build_kernel(const vbx__image_opts *o, vbx__kernel_result *res, vbx_error *err);

/* Build the initramfs and its manifest. kernel (may be NULL) is recorded in
 * the manifest; when NULL the manifest records the kernel the CACHE/bzImage
 * link points at, if any. Must be called with the cache lock held. Updates
 * the CACHE/initramfs.cpio and CACHE/initramfs.manifest.json links. */
int vbx__image_build_initramfs(const vbx__image_opts *o, const vbx__kernel_result *kernel,
                               vbx__initramfs_result *res, vbx_error *err);

/* Describe what the cache holds as a JSON document (caller frees with
 * free()): {"cache_dir", "kernels": [...], "initramfs": [...]}; each item
 * has file names, sizes, sha256, age_seconds and "current". Returns NULL
 * on allocation failure; a missing cache dir gives empty lists. */
char *vbx__image_list_json(const char *cache_dir);

#endif
