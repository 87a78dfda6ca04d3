/*
 * image/manifest.c - initramfs manifest document.
 */
#include "image/manifest.h"

#include <stdio.h>
#include <sys/stat.h>

static const char *type_name(uint32_t mode) {
  switch (mode & S_IFMT) {
  case S_IFREG: return "file";
  case S_IFDIR: return "dir";
  case S_IFLNK: return "symlink";
  case S_IFCHR: return "chardev";
  case S_IFBLK: return "blockdev";
  default: return "other";
  }
}

static json_t *entry_json(const vbx__tree_entry *e) {
  char path[VBX__NEWC_NAME_MAX + 2], mode[16];
  snprintf(path, sizeof(path), "/%s", e->name);
  snprintf(mode, sizeof(mode), "%04o", (unsigned)(e->mode & 07777));
  json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:i}", "path", path, "type", type_name(e->mode), "mode",
                        mode, "uid", (int)e->uid, "gid", (int)e->gid);
  if (!o) return NULL;
  if (S_ISREG(e->mode)) {
    json_object_set_new(o, "size", json_integer((json_int_t)e->size));
    json_object_set_new(o, "sha256", json_string(e->sha256));
  } else if (S_ISLNK(e->mode)) {
    json_object_set_new(o, "target", json_stringn(e->data, e->size));
  } else if (S_ISCHR(e->mode) || S_ISBLK(e->mode)) {
    char rdev[32];
    snprintf(rdev, sizeof(rdev), "%u:%u", e->rdev_major, e->rdev_minor);
    json_object_set_new(o, "rdev", json_string(rdev));
  }
  return o;
}

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

json_t *vbx__image_manifest(const vbx__manifest_input *in) {
  json_t *files = json_array(), *kernel = json_null();
  if (!files) return NULL;
  for (size_t i = 0; i < in->tree->n; i++) {
    json_t *e = entry_json(&in->tree->e[i]);
    if (!e || json_array_append_new(files, e)) {
      json_decref(files);
      return NULL;
    }
  }
  if (in->kernel)
    kernel = json_pack("{s:s,s:s,s:s,s:s}", "key", in->kernel->key, "release", in->kernel->release,
                       "fragment_sha256", in->kernel->fragment_sha256, "config_sha256",
                       in->kernel->config_sha256);
  return json_pack(
      "{s:s,s:i,s:s,s:s,s:i,s:{s:s,s:s,s:s,s:I,s:s,s:I},s:o,s:{s:{s:o,s:o},s:{s:o,s:o},s:{s:o}},"
      "s:o}",
      "format", "voidbox-initramfs-manifest", "manifest_version", 1, "builder_version",
      VBX__IMAGE_BUILDER_VERSION, "voidbox_version", VBX_VERSION_STRING, "source_date_epoch",
      (int)VBX__IMAGE_SOURCE_DATE_EPOCH, "initramfs", "file", in->file, "format", "newc",
      "compression", "none", "size", (json_int_t)in->size, "sha256", in->sha256, "entries",
      (json_int_t)in->tree->n, "kernel", kernel ? kernel : json_null(), "inputs", "agent", "path",
      str_or_null(in->agent_path), "sha256", str_or_null(in->agent_sha256), "busybox", "path",
      str_or_null(in->busybox_path), "version", str_or_null(in->busybox_version), "ca_bundle",
      "path", str_or_null(in->ca_bundle_path), "files", files);
}
