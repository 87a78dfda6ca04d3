/*
 * image/list.c - `voidbox image list`: what the cache holds.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/fsutil.h"
#include "image/image.h"

/* The name the link CACHE/<link> points at ("" when none). */
static void link_target(const char *cache, const char *link, char *out, size_t size) {
  char path[PATH_MAX];
  out[0] = '\0';
  if (vbx__img_path(path, sizeof(path), "%s/%s", cache, link)) return;
  ssize_t n = readlink(path, out, size - 1);
  out[n > 0 ? n : 0] = '\0';
}

static json_t *file_item(const char *path, time_t now) {
  struct stat st;
  if (stat(path, &st)) return NULL;
  return json_pack("{s:I,s:I}", "size", (json_int_t)st.st_size, "age_seconds",
                   (json_int_t)(now - st.st_mtime));
}

static json_t *kernel_item(const char *cache, const char *name, const char *current, time_t now) {
  char path[PATH_MAX];
  if (vbx__img_path(path, sizeof(path), "%s/%s/kernel.json", cache, name)) return NULL;
  json_t *doc = json_load_file(path, 0, NULL);
  if (!doc) return NULL; /* a partial or foreign directory */
  json_t *o = json_pack(
      "{s:s,s:O,s:O,s:O,s:O,s:O}", "name", name, "key", json_object_get(doc, "key"), "release",
      json_object_get(doc, "release"), "config_sha256", json_object_get(doc, "config_sha256"),
      "bzImage", json_object_get(doc, "bzImage"), "vmlinux", json_object_get(doc, "vmlinux"));
  json_decref(doc);
  if (!o) return NULL;
  struct stat st;
  if (!vbx__img_path(path, sizeof(path), "%s/%s/bzImage", cache, name) && !stat(path, &st))
    json_object_set_new(o, "age_seconds", json_integer((json_int_t)(now - st.st_mtime)));
  size_t n = strlen(name);
  json_object_set_new(o, "current", json_boolean(!strncmp(current, name, n) && current[n] == '/'));
  return o;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

char *vbx__image_list_json(const char *cache_dir) {
  json_t *kernels = json_array(), *initrds = json_array();
  char cur_k[PATH_MAX], cur_i[PATH_MAX], path[PATH_MAX];
  char **names = NULL;
  size_t n = 0;
  time_t now = time(NULL);
  link_target(cache_dir, "bzImage", cur_k, sizeof(cur_k));
  link_target(cache_dir, "initramfs.cpio", cur_i, sizeof(cur_i));
  DIR *d = opendir(cache_dir);
  for (struct dirent *de; d && (de = readdir(d));) {
    char **nn = realloc(names, (n + 1) * sizeof(*nn));
    if (!nn) break;
    names = nn;
    if (!(names[n] = strdup(de->d_name))) break;
    n++;
  }
  if (d) closedir(d);
  if (n) qsort(names, n, sizeof(*names), by_name);
  for (size_t i = 0; i < n; i++) {
    const char *nm = names[i];
    size_t len = strlen(nm);
    if (!strncmp(nm, "kernel-", 7) && !strchr(nm, '.')) {
      json_t *k = kernel_item(cache_dir, nm, cur_k, now);
      if (k) json_array_append_new(kernels, k);
    } else if (!strncmp(nm, "initramfs-", 10) && len > 15 && !strcmp(nm + len - 5, ".cpio")) {
      if (vbx__img_path(path, sizeof(path), "%s/%s", cache_dir, nm)) continue;
      json_t *it = file_item(path, now);
      if (!it) continue;
      char man[PATH_MAX];
      json_object_set_new(it, "name", json_string(nm));
      json_object_set_new(it, "current", json_boolean(!strcmp(cur_i, nm)));
      /* The full sha256 is in the manifest; do not rehash on every list. */
      snprintf(man, sizeof(man), "%s/%.*s.manifest.json", cache_dir, (int)(len - 5), nm);
      json_t *m = json_load_file(man, 0, NULL);
      json_t *sha = m ? json_object_get(json_object_get(m, "initramfs"), "sha256") : NULL;
      json_object_set_new(it, "sha256", sha ? json_incref(sha) : json_null());
      json_object_set_new(it, "manifest", m ? json_string(man) : json_null());
      json_decref(m);
      json_array_append_new(initrds, it);
    }
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  json_t *doc =
      json_pack("{s:s,s:o,s:o}", "cache_dir", cache_dir, "kernels", kernels, "initramfs", initrds);
  char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
  json_decref(doc);
  return text;
}
