/*
 * image/manifest.h - the JSON manifest written next to each initramfs:
 * every entry (path, type, mode, uid/gid, size, sha256 or link target), the
 * archive's own digest, the kernel it was built with, and versions. It has
 * no timestamps, so the same inputs give the same manifest.
 */
#ifndef VBX_IMAGE_MANIFEST_H
#define VBX_IMAGE_MANIFEST_H

#include <jansson.h>
#include <stdint.h>

#include "image/image.h"
#include "image/tree.h"

typedef struct vbx__manifest_input {
  const vbx__tree *tree; /* finalized */
  const char *file;      /* "initramfs-<sha16>.cpio" */
  const char *sha256;    /* of the archive */
  uint64_t size;
  const vbx__kernel_result *kernel; /* may be NULL: "kernel": null */
  const char *agent_path, *agent_sha256;
  const char *busybox_path, *busybox_version;
  const char *ca_bundle_path;
} vbx__manifest_input;

/* Build the manifest document (new reference, caller decrefs), or NULL on
 * allocation failure. Keys: format ("voidbox-initramfs-manifest"),
 * manifest_version (1), builder_version, voidbox_version,
 * source_date_epoch, initramfs {file, format "newc", compression "none",
 * size, sha256, entries}, kernel {key, release, fragment_sha256,
 * config_sha256} or null, inputs {agent, busybox, ca_bundle}, files [ {path
 * "/init", type "file"|"dir"|"symlink"|"chardev", mode "0755", uid, gid,
 * size, sha256 | target | rdev "5:1"} ] in archive order. */
json_t *vbx__image_manifest(const vbx__manifest_input *in);

#endif
