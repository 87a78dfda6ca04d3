/*
 * image/kernel.c - building the slim guest kernel from Debian's
 * linux-source: extract, tinyconfig, merge our fragment, olddefconfig,
 * check for drift, make bzImage vmlinux; cached by vbx__image_kernel_key.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/fsutil.h"
#include "image/image.h"
#include "image/kconfig.h"
#include "image/locate.h"
#include "image/proc.h"
#include "util/error.h"

#define FRAGMENT_MAX (1u << 20)
#define DOTCONFIG_MAX (8u << 20)

typedef struct kbuild {
  const vbx__image_opts *o;
  char fragment[PATH_MAX], tarball[PATH_MAX];
  char src[PATH_MAX], obj[PATH_MAX], out[PATH_MAX], partial[PATH_MAX], log[PATH_MAX + 16];
  char *frag_text;
  size_t frag_len;
  vbx__kconfig want;
  struct stat tar_st;
} kbuild;

static void phase(const vbx__image_opts *o, const char *fmt, const char *arg) {
  if (!o->progress) return;
  fputs("image: kernel: ", o->progress);
  fprintf(o->progress, fmt, arg);
  fputc('\n', o->progress);
  fflush(o->progress);
}

static void phase_done(const vbx__image_opts *o, const char *what, double start) {
  if (!o->progress) return;
  fprintf(o->progress, "image: kernel: %s done (%.1f s)\n", what, vbx__img_now() - start);
  fflush(o->progress);
}

/* Extract the tarball once per tarball identity into CACHE/work/linux-<id>. */
static int extract(kbuild *b, const char *tarid, vbx_error *err) {
  char marker[PATH_MAX + 32], tmp[PATH_MAX + 16];
  if (vbx__img_path(b->src, sizeof(b->src), "%s/work/linux-%.16s", b->o->cache_dir, tarid) ||
      vbx__img_path(marker, sizeof(marker), "%s/.voidbox-extracted", b->src) ||
      vbx__img_path(tmp, sizeof(tmp), "%s.partial", b->src))
    return vbx__error_set(err, VBX_E_TOOBIG, "kernel: cache path too long");
  if (access(marker, F_OK) == 0) {
    phase(b->o, "source tree %s (already extracted)", b->src);
    return 0;
  }
  vbx__img_rm_rf(b->src);
  vbx__img_rm_rf(tmp);
  if (vbx__img_mkdir_p(tmp, 0755))
    return vbx__error_set(err, VBX_E_IO, "kernel: cannot create %s: %s", tmp, strerror(errno));
  double t0 = vbx__img_now();
  phase(b->o, "extract %s ...", b->tarball);
  const char *argv[] = {"tar", "-xf", b->tarball, "-C", tmp, "--strip-components=1", NULL};
  int rc =
      vbx__img_run_logged(argv, NULL, NULL, b->log, "kernel: extract", 30, b->o->progress, err);
  if (rc) return rc;
  char m2[PATH_MAX + 32];
  if (vbx__img_path(m2, sizeof(m2), "%s/.voidbox-extracted", tmp) ||
      vbx__img_write_file(m2, b->tarball, strlen(b->tarball), 0644) || rename(tmp, b->src))
    return vbx__error_set(err, VBX_E_IO, "kernel: cannot finish extracting into %s: %s", b->src,
                          strerror(errno));
  phase_done(b->o, "extract", t0);
  return 0;
}

static int make(kbuild *b, const char *what, const char *const *targets, int heartbeat,
                vbx_error *err) {
  char objarg[PATH_MAX + 8], jobs[32];
  const char *argv[16];
  size_t n = 0;
  snprintf(objarg, sizeof(objarg), "O=%s", b->obj);
  snprintf(jobs, sizeof(jobs), "-j%d", b->o->jobs > 0 ? b->o->jobs : 1);
  argv[n++] = "make";
  argv[n++] = objarg;
  argv[n++] = "ARCH=x86_64";
  argv[n++] = jobs;
  for (size_t i = 0; targets[i] && n < 15; i++)
    argv[n++] = targets[i];
  argv[n] = NULL;
  static const char *const env[] = {"KBUILD_BUILD_USER=voidbox", "KBUILD_BUILD_HOST=voidbox",
                                    "KBUILD_BUILD_TIMESTAMP=1970-01-01", "KBUILD_BUILD_VERSION=1",
                                    NULL};
  return vbx__img_run_logged(argv, b->src, env, b->log, what, heartbeat, b->o->progress, err);
}

/* tinyconfig + fragment + olddefconfig, then the drift check. */
static int configure(kbuild *b, vbx__kernel_result *res, json_t *unmet_out, vbx_error *err) {
  double t0 = vbx__img_now();
  phase(b->o, "configure: tinyconfig + %s + olddefconfig", b->fragment);
  const char *tiny[] = {"tinyconfig", NULL}, *old[] = {"olddefconfig", NULL};
  char dotconfig[PATH_MAX + 16];
  if (vbx__img_path(dotconfig, sizeof(dotconfig), "%s/.config", b->obj))
    return vbx__error_set(err, VBX_E_TOOBIG, "kernel: path too long");
  int rc = make(b, "kernel: make tinyconfig", tiny, 0, err);
  if (rc) return rc;
  const char *merge[] = {
      "scripts/kconfig/merge_config.sh", "-m", "-O", b->obj, dotconfig, b->fragment, NULL};
  if ((rc = vbx__img_run_logged(merge, b->src, NULL, b->log, "kernel: merge_config.sh", 0,
                                b->o->progress, err)))
    return rc;
  if ((rc = make(b, "kernel: make olddefconfig", old, 0, err))) return rc;
  char *text = NULL;
  size_t len = 0;
  vbx__kconfig have = {0};
  vbx__strbuf report = VBX__STRBUF_INIT;
  if ((rc = vbx__img_read_file(dotconfig, DOTCONFIG_MAX, &text, &len))) {
    vbx__error_set(err, rc, "kernel: cannot read %s: %s", dotconfig, vbx__error_text(rc));
    goto out;
  }
  vbx__sha256_buf_hex(text, len, res->config_sha256);
  if ((rc = vbx__kconfig_parse(text, len, dotconfig, 0, &have, err))) goto out;
  int unmet = vbx__kconfig_verify(&b->want, &have, &report);
  if (unmet < 0) {
    rc = vbx__error_set(err, unmet, "kernel: out of memory");
    goto out;
  }
  res->unmet = unmet;
  if (unmet) {
    const char *p = report.data;
    while (p && *p) {
      size_t l = strcspn(p, "\n");
      json_array_append_new(unmet_out, json_stringn(p, l));
      p += l + (p[l] ? 1 : 0);
    }
    FILE *o = b->o->progress ? b->o->progress : stderr;
    fprintf(o, "image: kernel: %d option(s) from %s did not survive olddefconfig:\n%s", unmet,
            b->fragment, report.data);
    if (!b->o->allow_drift) {
      rc = vbx__error_set(err, VBX_E_SPEC,
                          "kernel: %d fragment option(s) not set in the final .config (their "
                          "dependencies are missing); fix %s or pass --allow-drift",
                          unmet, b->fragment);
      goto out;
    }
  }
  phase_done(b->o, "configure", t0);
  rc = 0;
out:
  free(text);
  vbx__kconfig_free(&have);
  vbx__strbuf_reset(&report);
  return rc;
}

static json_t *file_json(const char *path, uint64_t *size_out) {
  char hex[VBX__SHA256_HEX];
  uint64_t size = 0;
  if (vbx__sha256_file_hex(path, hex, &size)) return json_null();
  if (size_out) *size_out = size;
  return json_pack("{s:I,s:s}", "size", (json_int_t)size, "sha256", hex);
}

/* Copy the outputs into the partial dir and describe them in kernel.json. */
static int collect(kbuild *b, vbx__kernel_result *res, json_t *unmet, double start,
                   vbx_error *err) {
  char from[PATH_MAX + 64], to[PATH_MAX + 64];
  static const char *const files[][2] = {
      {"arch/x86/boot/bzImage", "bzImage"}, {"vmlinux", "vmlinux"}, {".config", "config"}};
  for (size_t i = 0; i < 3; i++) {
    if (vbx__img_path(from, sizeof(from), "%s/%s", b->obj, files[i][0]) ||
        vbx__img_path(to, sizeof(to), "%s/%s", b->partial, files[i][1]) ||
        vbx__img_copy_file(from, to, 0644))
      return vbx__error_set(err, VBX_E_IO, "kernel: cannot copy %s to %s", from, to);
  }
  char *rel = NULL;
  if (!vbx__img_path(from, sizeof(from), "%s/include/config/kernel.release", b->obj) &&
      !vbx__img_read_file(from, 256, &rel, NULL)) {
    rel[strcspn(rel, "\r\n")] = '\0';
    snprintf(res->release, sizeof(res->release), "%s", rel);
  }
  free(rel);
  unsigned proto = 0;
  snprintf(to, sizeof(to), "%s/bzImage", b->partial);
  if (vbx__image_bzimage_version(to, &proto))
    return vbx__error_set(err, VBX_E_INVAL, "kernel: %s has no HdrS boot header", to);
  char protostr[16];
  snprintf(protostr, sizeof(protostr), "%u.%u", proto >> 8, proto & 0xff);
  json_t *bz = file_json(to, &res->bzimage_size);
  if (json_is_object(bz)) json_object_set_new(bz, "boot_protocol", json_string(protostr));
  snprintf(to, sizeof(to), "%s/vmlinux", b->partial);
  json_t *vm = file_json(to, &res->vmlinux_size);
  res->seconds = vbx__img_now() - start;
  json_t *doc = json_pack(
      "{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:I,s:I},s:s,s:s,s:o,s:o,s:O,s:i,s:f}", "format",
      "voidbox-kernel", "key", res->key, "builder_version", VBX__IMAGE_BUILDER_VERSION, "fragment",
      b->fragment, "fragment_sha256", res->fragment_sha256, "source", "path", b->tarball, "size",
      (json_int_t)b->tar_st.st_size, "mtime", (json_int_t)b->tar_st.st_mtime, "release",
      res->release, "config_sha256", res->config_sha256, "bzImage", bz, "vmlinux", vm,
      "unmet_options", unmet, "jobs", b->o->jobs, "build_seconds", res->seconds);
  char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
  json_decref(doc);
  int rc = 0;
  snprintf(to, sizeof(to), "%s/kernel.json", b->partial);
  if (!text || vbx__img_write_file(to, text, strlen(text), 0644))
    rc = vbx__error_set(err, VBX_E_IO, "kernel: cannot write %s", to);
  free(text);
  return rc;
}

/* Point CACHE/bzImage and CACHE/vmlinux at this build. */
static int link_current(const vbx__image_opts *o, const char *key, vbx_error *err) {
  static const char *const names[] = {"bzImage", "vmlinux"};
  for (size_t i = 0; i < 2; i++) {
    char target[128], path[PATH_MAX];
    snprintf(target, sizeof(target), "kernel-%.16s/%s", key, names[i]);
    if (vbx__img_path(path, sizeof(path), "%s/%s", o->cache_dir, names[i]) ||
        vbx__img_symlink_replace(target, path))
      return vbx__error_set(err, VBX_E_IO, "kernel: cannot link %s", path);
  }
  return 0;
}

/* Read the cached kernel.json back into res. */
static int load_cached(kbuild *b, vbx__kernel_result *res) {
  char path[PATH_MAX + 16];
  if (vbx__img_path(path, sizeof(path), "%s/kernel.json", b->out)) return -1;
  json_t *doc = json_load_file(path, 0, NULL);
  if (!doc) return -1;
  const char *rel = json_string_value(json_object_get(doc, "release"));
  const char *cfg = json_string_value(json_object_get(doc, "config_sha256"));
  json_t *bz = json_object_get(doc, "bzImage"), *vm = json_object_get(doc, "vmlinux");
  int ok = rel && cfg && strlen(cfg) == 64 && json_is_object(bz) && json_is_object(vm);
  if (ok) {
    snprintf(res->release, sizeof(res->release), "%s", rel);
    memcpy(res->config_sha256, cfg, VBX__SHA256_HEX);
    res->bzimage_size = (uint64_t)json_integer_value(json_object_get(bz, "size"));
    res->vmlinux_size = (uint64_t)json_integer_value(json_object_get(vm, "size"));
    res->unmet = (int)json_array_size(json_object_get(doc, "unmet_options"));
  }
  json_decref(doc);
  return ok ? 0 : -1;
}

static int build(kbuild *b, vbx__kernel_result *res, vbx_error *err) {
  const vbx__image_opts *o = b->o;
  double start = vbx__img_now();
  int rc;
  char tarid_text[PATH_MAX + 64], tarid[VBX__SHA256_HEX];
  snprintf(tarid_text, sizeof(tarid_text), "%s\n%lld\n%lld\n", b->tarball,
           (long long)b->tar_st.st_size, (long long)b->tar_st.st_mtime);
  vbx__sha256_buf_hex(tarid_text, strlen(tarid_text), tarid);
  if (vbx__img_path(b->obj, sizeof(b->obj), "%s/work/obj-%.16s", o->cache_dir, tarid) ||
      vbx__img_path(b->partial, sizeof(b->partial), "%s.partial", b->out) ||
      vbx__img_path(b->log, sizeof(b->log), "%s/build.log", b->partial))
    return vbx__error_set(err, VBX_E_TOOBIG, "kernel: cache path too long");
  vbx__img_rm_rf(b->partial);
  if (o->force) vbx__img_rm_rf(b->obj);
  if (vbx__img_mkdir_p(b->partial, 0755) || vbx__img_mkdir_p(b->obj, 0755))
    return vbx__error_set(err, VBX_E_IO, "kernel: cannot create %s: %s", b->partial,
                          strerror(errno));
  phase(o, "building kernel-%.16s", res->key);
  if (o->progress) fprintf(o->progress, "image: kernel: log %s\n", b->log);
  if ((rc = extract(b, tarid, err))) return rc;
  json_t *unmet = json_array();
  if ((rc = configure(b, res, unmet, err))) goto out;
  double t0 = vbx__img_now();
  char jobs[16];
  snprintf(jobs, sizeof(jobs), "%d", o->jobs);
  phase(o, "compile: make -j%s bzImage vmlinux (several minutes) ...", jobs);
  const char *targets[] = {"bzImage", "vmlinux", NULL};
  if ((rc = make(b, "kernel: make bzImage vmlinux", targets, 30, err))) goto out;
  phase_done(o, "compile", t0);
  if ((rc = collect(b, res, unmet, start, err))) goto out;
  vbx__img_rm_rf(b->out);
  if (rename(b->partial, b->out)) {
    rc = vbx__error_set(err, VBX_E_IO, "kernel: cannot rename %s to %s: %s", b->partial, b->out,
                        strerror(errno));
    goto out;
  }
  rc = 0;
out:
  json_decref(unmet);
  return rc;
}

int vbx__image_build_kernel(const vbx__image_opts *o, vbx__kernel_result *res, vbx_error *err) {
  kbuild b = {.o = o};
  int rc;
  memset(res, 0, sizeof(*res));
  double start = vbx__img_now();
  if ((rc = vbx__image_find_fragment(o->fragment, b.fragment, sizeof(b.fragment), err)) ||
      (rc = vbx__image_find_tarball(o->tarball, b.tarball, sizeof(b.tarball), err)))
    return rc;
  if ((rc = vbx__img_read_file(b.fragment, FRAGMENT_MAX, &b.frag_text, &b.frag_len))) {
    vbx__error_set(err, rc, "kernel: cannot read %s: %s", b.fragment, vbx__error_text(rc));
    goto out;
  }
  if ((rc = vbx__kconfig_parse(b.frag_text, b.frag_len, b.fragment, 1, &b.want, err))) goto out;
  if (stat(b.tarball, &b.tar_st)) {
    rc = vbx__error_set(err, VBX_E_IO, "kernel: stat %s: %s", b.tarball, strerror(errno));
    goto out;
  }
  vbx__kernel_key_input in = {b.frag_text,
                              b.frag_len,
                              b.tarball,
                              (uint64_t)b.tar_st.st_size,
                              (int64_t)b.tar_st.st_mtime,
                              VBX__IMAGE_BUILDER_VERSION};
  vbx__image_kernel_key(&in, res->key);
  vbx__sha256_buf_hex(b.frag_text, b.frag_len, res->fragment_sha256);
  if (vbx__img_path(b.out, sizeof(b.out), "%s/kernel-%.16s", o->cache_dir, res->key)) {
    rc = vbx__error_set(err, VBX_E_TOOBIG, "kernel: cache path too long");
    goto out;
  }
  if (!o->force && load_cached(&b, res) == 0) {
    res->cached = 1;
    phase(o, "cache hit: %s (no build needed)", b.out);
  } else if ((rc = build(&b, res, err))) {
    goto out;
  }
  snprintf(res->dir, sizeof(res->dir), "%s", b.out);
  if ((rc = link_current(o, res->key, err))) goto out;
  if (res->cached) res->seconds = vbx__img_now() - start;
  rc = 0;
out:
  free(b.frag_text);
  vbx__kconfig_free(&b.want);
  return rc;
}
