/*
 * cmd_image.c - `voidbox image build` and `voidbox image list`
 * (docs/guest-image.md).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "image/image.h"
#include "util/cachedir.h"

static void image_help(FILE *out) {
  fprintf(out,
          "usage: voidbox image build [OPTIONS]\n"
          "       voidbox image list [--output human|json] [--cache-dir DIR]\n"
          "\n"
          "build: the slim guest kernel (bzImage, vmlinux) from Debian's linux-source with\n"
          "guest/image/kernel.config, cached by a key over its inputs, and a reproducible\n"
          "initramfs (/init = the static guest agent, busybox-static, CA certificates)\n"
          "with a JSON manifest. Images go to the user cache directory.\n"
          "\n"
          "build options:\n"
          "  --force              rebuild even when the cache has this kernel\n"
          "  --jobs N             make -jN (default: online CPUs)\n"
          "  --cache-dir DIR      image cache (default: $VOIDBOX_CACHE_DIR,\n"
          "                       $XDG_CACHE_HOME/voidbox/images, ~/.cache/voidbox/images)\n"
          "  --agent PATH         static guest agent for /init (default: this voidbox's:\n"
          "                       BUILD/bin or PREFIX/libexec/voidbox)\n"
          "  --only WHAT          kernel or initramfs (default: both)\n"
          "  --config PATH        kernel config fragment (default: this voidbox's copy of\n"
          "                       guest/image/kernel.config, in BUILD or PREFIX/share/voidbox)\n"
          "  --kernel-source TAR  kernel tarball (default: /usr/src/linux-source-6.1.tar.xz)\n"
          "  --busybox PATH       static busybox (default: /bin/busybox)\n"
          "  --allow-drift        warn, not fail, when fragment options do not stick\n"
          "  --quiet              no progress lines\n"
          "  --output FORMAT      human (default) or json summary on stdout\n"
          "exit codes: 0 built or cached, 1 build failed, 2 usage error\n");
}

static int parse_jobs(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  return *end || v < 1 || v > 256 ? -1 : (int)v;
}

static json_t *kernel_json(const vbx__kernel_result *k) {
  return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:b,s:i,s:f}", "key", k->key, "dir", k->dir, "release",
                   k->release, "config_sha256", k->config_sha256, "bzimage_size",
                   (json_int_t)k->bzimage_size, "vmlinux_size", (json_int_t)k->vmlinux_size,
                   "cached", k->cached, "unmet_options", k->unmet, "seconds", k->seconds);
}

static json_t *initramfs_json(const vbx__initramfs_result *r) {
  return json_pack("{s:s,s:s,s:s,s:I,s:I,s:f}", "path", r->path, "manifest", r->manifest, "sha256",
                   r->sha256, "size", (json_int_t)r->size, "entries", (json_int_t)r->entries,
                   "seconds", r->seconds);
}

static int cmd_build(int argc, char **argv) {
  vbx__image_opts o = {0};
  vbx_error err = {0};
  const char *cache = NULL, *only = NULL;
  int json = 0, quiet = 0, lock = -1, rc = VBX_EXIT_USAGE;
  char dir[PATH_MAX];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      image_help(stdout);
      return VBX_EXIT_OK;
    } else if (!strcmp(a, "--force")) {
      o.force = 1;
    } else if (!strcmp(a, "--allow-drift")) {
      o.allow_drift = 1;
    } else if (!strcmp(a, "--quiet")) {
      quiet = 1;
    } else if (v && !strcmp(a, "--jobs")) {
      if ((o.jobs = parse_jobs(v)) < 0) {
        vbx__cli_error("image build: --jobs needs a number from 1 to 256, not '%s'", v);
        return VBX_EXIT_USAGE;
      }
      i++;
    } else if (v && !strcmp(a, "--cache-dir")) {
      cache = v, i++;
    } else if (v && !strcmp(a, "--agent")) {
      o.agent = v, i++;
    } else if (v && !strcmp(a, "--config")) {
      o.fragment = v, i++;
    } else if (v && !strcmp(a, "--kernel-source")) {
      o.tarball = v, i++;
    } else if (v && !strcmp(a, "--busybox")) {
      o.busybox = v, i++;
    } else if (v && !strcmp(a, "--only")) {
      if (strcmp(v, "kernel") && strcmp(v, "initramfs")) {
        vbx__cli_error("image build: --only must be kernel or initramfs, not '%s'", v);
        return VBX_EXIT_USAGE;
      }
      only = v, i++;
    } else if (v && !strcmp(a, "--output")) {
      if (strcmp(v, "json") && strcmp(v, "human")) {
        vbx__cli_error("image build: --output must be human or json, not '%s'", v);
        return VBX_EXIT_USAGE;
      }
      json = !strcmp(v, "json"), i++;
    } else {
      vbx__cli_error("image build: unknown or incomplete option '%s' (see `voidbox image --help`)",
                     a);
      return VBX_EXIT_USAGE;
    }
  }
  if (o.jobs <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    o.jobs = n > 0 ? (int)n : 1;
  }
  o.progress = quiet ? NULL : stderr;
  rc = VBX_EXIT_FAILED;
  if (vbx__image_cache_dir(cache, dir, sizeof(dir), &err)) goto fail;
  o.cache_dir = dir;
  if ((lock = vbx__image_cache_lock(dir, o.progress, &err)) < 0) goto fail;
  vbx__kernel_result k;
  vbx__initramfs_result r;
  int do_k = !only || !strcmp(only, "kernel"), do_i = !only || !strcmp(only, "initramfs");
  if (do_k && vbx__image_build_kernel(&o, &k, &err)) goto fail;
  if (do_i && vbx__image_build_initramfs(&o, do_k ? &k : NULL, &r, &err)) goto fail;
  if (json) {
    json_t *doc =
        json_pack("{s:s,s:o,s:o}", "cache_dir", dir, "kernel", do_k ? kernel_json(&k) : json_null(),
                  "initramfs", do_i ? initramfs_json(&r) : json_null());
    char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (text) printf("%s\n", text);
    free(text);
    json_decref(doc);
  } else {
    if (do_k)
      printf(
          "kernel     %s %s (%s, %.1f s)\n  bzImage  %s/bzImage (%llu bytes)\n"
          "  vmlinux  %s/vmlinux (%llu bytes)\n",
          k.release, k.key, k.cached ? "cached" : "built", k.seconds, k.dir,
          (unsigned long long)k.bzimage_size, k.dir, (unsigned long long)k.vmlinux_size);
    if (do_i)
      printf(
          "initramfs  %s (%llu bytes, %zu entries, %.1f s)\n  sha256   %s\n"
          "  manifest %s\n",
          r.path, (unsigned long long)r.size, r.entries, r.seconds, r.sha256, r.manifest);
  }
  close(lock);
  return VBX_EXIT_OK;
fail:
  if (lock >= 0) close(lock);
  vbx__cli_error("image build: %s", err.message);
  return rc;
}

static void fmt_age(long long s, char *out, size_t size) {
  if (s < 120)
    snprintf(out, size, "%llds", s);
  else if (s < 7200)
    snprintf(out, size, "%lldm", s / 60);
  else if (s < 172800)
    snprintf(out, size, "%lldh", s / 3600);
  else
    snprintf(out, size, "%lldd", s / 86400);
}

static void list_human(json_t *doc) {
  char age[32];
  size_t i;
  json_t *it;
  printf("cache: %s\n", json_string_value(json_object_get(doc, "cache_dir")));
  json_t *ks = json_object_get(doc, "kernels"), *is = json_object_get(doc, "initramfs");
  printf("kernels: %zu\n", json_array_size(ks));
  json_array_foreach(ks, i, it) {
    json_t *bz = json_object_get(it, "bzImage"), *vm = json_object_get(it, "vmlinux");
    fmt_age(json_integer_value(json_object_get(it, "age_seconds")), age, sizeof(age));
    printf("  %s %-24s release %s  bzImage %lld B  vmlinux %lld B  age %s\n",
           json_is_true(json_object_get(it, "current")) ? "*" : " ",
           json_string_value(json_object_get(it, "name")),
           json_string_value(json_object_get(it, "release")),
           (long long)json_integer_value(json_object_get(bz, "size")),
           (long long)json_integer_value(json_object_get(vm, "size")), age);
    printf("      bzImage sha256 %s\n", json_string_value(json_object_get(bz, "sha256")));
  }
  printf("initramfs: %zu\n", json_array_size(is));
  json_array_foreach(is, i, it) {
    fmt_age(json_integer_value(json_object_get(it, "age_seconds")), age, sizeof(age));
    const char *sha = json_string_value(json_object_get(it, "sha256"));
    printf("  %s %-34s %lld B  age %s\n      sha256 %s\n",
           json_is_true(json_object_get(it, "current")) ? "*" : " ",
           json_string_value(json_object_get(it, "name")),
           (long long)json_integer_value(json_object_get(it, "size")), age,
           sha ? sha : "(no manifest)");
  }
  printf("(* = current: what the cache's bzImage/initramfs.cpio links point at)\n");
}

static int cmd_list(int argc, char **argv) {
  const char *cache = NULL;
  int json = 0;
  char dir[PATH_MAX];
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      image_help(stdout);
      return VBX_EXIT_OK;
    } else if (v && !strcmp(argv[i], "--cache-dir")) {
      cache = v, i++;
    } else if (v && !strcmp(argv[i], "--output") && (!strcmp(v, "json") || !strcmp(v, "human"))) {
      json = !strcmp(v, "json"), i++;
    } else {
      vbx__cli_error("image list: unknown or incomplete option '%s'", argv[i]);
      return VBX_EXIT_USAGE;
    }
  }
  if (vbx__cache_dir(cache, dir, sizeof(dir))) {
    vbx__cli_error("image list: no cache directory (set --cache-dir, VOIDBOX_CACHE_DIR or HOME)");
    return VBX_EXIT_FAILED;
  }
  char *text = vbx__image_list_json(dir);
  if (!text) {
    vbx__cli_error("image list: out of memory");
    return VBX_EXIT_FAILED;
  }
  if (json) {
    printf("%s\n", text);
  } else {
    json_t *doc = json_loads(text, 0, NULL);
    if (doc) list_human(doc);
    json_decref(doc);
  }
  free(text);
  return VBX_EXIT_OK;
}

int vbx__cmd_image(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    image_help(argc < 2 ? stderr : stdout);
    return argc < 2 ? VBX_EXIT_USAGE : VBX_EXIT_OK;
  }
  if (!strcmp(argv[1], "build")) return cmd_build(argc - 1, argv + 1);
  if (!strcmp(argv[1], "list")) return cmd_list(argc - 1, argv + 1);
  vbx__cli_error("image: unknown subcommand '%s' (build or list)", argv[1]);
  return VBX_EXIT_USAGE;
}
