/*
 * bench_image.c - guest image figures: kernel and initramfs sizes, image
 * build time cold vs cached.
 *
 * The initramfs is built twice into a temporary cache (it is not cached:
 * every build writes it again; the two digests must match). The kernel's
 * cold build takes minutes, so by default its cold time is the one recorded
 * in kernel.json when the user's image cache built it, and the cached time
 * is measured now; VBX_BENCH_IMAGE_COLD=1 builds a kernel from scratch into
 * a temporary cache instead. Figures, not pass/fail; exit 1 only when a
 * build fails.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/fsutil.h"
#include "image/image.h"
#include "image/proc.h"
#include "util/cachedir.h"

static int build_initramfs(const char *cache, const char *agent, vbx__initramfs_result *r) {
  vbx__image_opts o = {.cache_dir = cache, .agent = agent, .fragment = VBX_BENCH_FRAGMENT};
  vbx_error err = {0};
  if (vbx__image_build_initramfs(&o, NULL, r, &err)) {
    fprintf(stderr, "bench_image: initramfs build failed: %s\n", err.message);
    return -1;
  }
  return 0;
}

static int bench_initramfs(void) {
  char tmp[] = "/tmp/vbx-bench-image.XXXXXX";
  const char *agent = VBX_BENCH_AGENT;
  const char *note = "";
  if (access(agent, R_OK)) {
    agent = "/bin/busybox";
    note = " (guest agent not built: /bin/busybox stands in for /init)";
  }
  if (!mkdtemp(tmp)) return -1;
  vbx__initramfs_result a, b;
  int rc = build_initramfs(tmp, agent, &a) || build_initramfs(tmp, agent, &b) ? -1 : 0;
  if (!rc)
    printf(
        "bench_image: initramfs %llu bytes, %zu entries%s\n"
        "bench_image: initramfs build %.3f s, rebuild %.3f s (not cached; sha256 %s)\n",
        (unsigned long long)a.size, a.entries, note, a.seconds, b.seconds,
        strcmp(a.sha256, b.sha256) ? "DIFFERS: not reproducible" : "identical");
  vbx__img_rm_rf(tmp);
  return rc;
}

/* Cached kernel build time, and the cold time recorded when it was built. */
static int bench_kernel(void) {
  char cache[PATH_MAX], tmp[] = "/tmp/vbx-bench-kernel.XXXXXX";
  int cold = getenv("VBX_BENCH_IMAGE_COLD") && !strcmp(getenv("VBX_BENCH_IMAGE_COLD"), "1");
  if (cold) {
    if (!mkdtemp(tmp)) return -1;
    snprintf(cache, sizeof(cache), "%s", tmp);
  } else if (vbx__cache_dir(NULL, cache, sizeof(cache))) {
    printf("bench_image: kernel: skipped (no image cache directory)\n");
    return 0;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  vbx__image_opts o = {.cache_dir = cache,
                       .fragment = VBX_BENCH_FRAGMENT,
                       .jobs = n > 0 ? (int)n : 1,
                       .progress = cold ? stderr : NULL};
  vbx__kernel_result k;
  vbx_error err = {0};
  int rc = 0, lock = -1;
  if (!cold) {
    /* Only measure a cache hit: never start a multi-minute build here. */
    char link[PATH_MAX + 16];
    struct stat st;
    snprintf(link, sizeof(link), "%s/bzImage", cache);
    if (stat(link, &st)) {
      printf(
          "bench_image: kernel: skipped (no kernel in %s; run `voidbox image build`, or "
          "VBX_BENCH_IMAGE_COLD=1 for a cold build)\n",
          cache);
      return 0;
    }
  }
  if (!cold && access(cache, W_OK)) {
    printf("bench_image: kernel: skipped (%s not writable)\n", cache);
    return 0;
  }
  lock = vbx__image_cache_lock(cache, NULL, &err);
  if (lock < 0) {
    fprintf(stderr, "bench_image: %s\n", err.message);
    rc = -1;
    goto out;
  }
  if (vbx__image_build_kernel(&o, &k, &err)) {
    fprintf(stderr, "bench_image: kernel build failed: %s\n", err.message);
    rc = -1;
    goto out;
  }
  if (!cold && !k.cached) {
    printf("bench_image: kernel: note: the cached kernel was stale, this was a cold build\n");
  }
  double cold_s = k.seconds, hit_s = -1;
  char kj[PATH_MAX + 32];
  snprintf(kj, sizeof(kj), "%s/kernel.json", k.dir);
  json_t *doc = json_load_file(kj, 0, NULL);
  if (doc) cold_s = json_real_value(json_object_get(doc, "build_seconds"));
  json_decref(doc);
  if (cold || !k.cached) {
    vbx__kernel_result again;
    o.progress = NULL;
    if (vbx__image_build_kernel(&o, &again, &err) == 0 && again.cached) hit_s = again.seconds;
  } else {
    hit_s = k.seconds;
  }
  printf("bench_image: kernel %s: bzImage %llu bytes, vmlinux %llu bytes\n", k.release,
         (unsigned long long)k.bzimage_size, (unsigned long long)k.vmlinux_size);
  printf("bench_image: kernel build cold %.1f s (%s), cached %.4f s\n", cold_s,
         cold ? "measured now" : "recorded in kernel.json", hit_s);
out:
  if (lock >= 0) close(lock);
  if (cold) vbx__img_rm_rf(tmp);
  return rc;
}

int main(void) {
  int rc = bench_initramfs();
  if (bench_kernel()) rc = -1;
  return rc ? 1 : 0;
}
