/*
 * skill-remote/cache.c - the user's cache of remote skills:
 * CACHE/OWNER/REPO/SKILL/ holds SKILL.md (a directory named after the
 * skill, as skill_pkg_load wants it) and .voidbox-source.json, the lock
 * entry it was fetched as plus its address (a dot file: not part of the
 * skill, never provisioned). An flock on the directory CACHE/OWNER/REPO
 * serialises the users of that repository's skills; taking it creates no
 * file, so a cache on a read-only file system (or shipped with an example)
 * serves the runs that need to write nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote.h"

#define SOURCE_MAX (64u * 1024u)

/* "%s/%s/%s" of CACHE, OWNER, REPO into out. */
static int repo_dir(const rskill_env *e, const rskill_addr *a, char *out, size_t n) {
  int k = snprintf(out, n, "%s/%s/%s", e->cache, a->owner, a->repo);
  if (k < 0 || (size_t)k >= n)
    return e->h->set_error(e->call, VBX_E_TOOBIG, NULL, "the skills cache path %.200s is too long",
                           e->cache);
  return 0;
}

int rskill_cache_dir(const rskill_env *e, const rskill_addr *a, char *out, size_t n) {
  int k = snprintf(out, n, "%s/%s/%s/%s", e->cache, a->owner, a->repo, a->skill);
  if (k < 0 || (size_t)k >= n)
    return e->h->set_error(e->call, VBX_E_TOOBIG, NULL, "the skills cache path %.200s is too long",
                           e->cache);
  return 0;
}

int rskill_cache_lock(const rskill_env *e, const rskill_addr *a, int *fd) {
  char dir[4096], what[4096 + 256], msg[600];
  *fd = -1;
  int rc = repo_dir(e, a, dir, sizeof dir);
  if (rc != 0) return rc;
  if ((rc = rskill_mkdirs(dir, msg, sizeof msg)) != 0)
    return e->h->set_error(e->call, rc, NULL, "remote skill '%s': %s", a->key, msg);
  int lfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lfd < 0)
    return e->h->set_error(e->call, VBX_E_IO, NULL, "remote skill '%s': cannot open %s: %s", a->key,
                           dir, strerror(errno));
  snprintf(what, sizeof what, "the cache of %s/%s, %s", a->owner, a->repo, dir);
  rc = rskill_flock(e, lfd, what);
  if (rc != 0) {
    close(lfd);
    return rc;
  }
  *fd = lfd;
  return 0;
}

void rskill_cache_unlock(int fd) {
  if (fd >= 0) close(fd); /* closing the only descriptor releases the flock */
}

/* The source record beside the cached SKILL.md into *src; a missing or
 * unreadable record leaves *src zeroed (it is informative only). */
static void read_source(const rskill_env *e, const char *dir, rskill_pin *src) {
  char path[4096 + 32], msg[300], *text = NULL;
  size_t len = 0;
  memset(src, 0, sizeof *src);
  snprintf(path, sizeof path, "%s/%s", dir, RSKILL_SOURCE_NAME);
  if (rskill_read_file(path, SOURCE_MAX, &text, &len, msg, sizeof msg) != 0) return;
  vbx_json *doc = e->h->json_parse(text, len, NULL);
  free(text);
  if (doc == NULL) return;
  rskill_env quiet = *e;
  quiet.call = NULL; /* a bad record is ignored, not an error */
  if (rskill_pin_parse(&quiet, doc, path, src) != 0) memset(src, 0, sizeof *src);
  e->h->json_decref(doc);
}

int rskill_cache_digest(const rskill_env *e, const rskill_addr *a, char hex[65], rskill_pin *src,
                        int *present) {
  char dir[4096], path[4096 + 16], msg[600], *data = NULL;
  size_t len = 0;
  *present = 0;
  hex[0] = '\0';
  if (src != NULL) memset(src, 0, sizeof *src);
  int rc = rskill_cache_dir(e, a, dir, sizeof dir);
  if (rc != 0) return rc;
  snprintf(path, sizeof path, "%s/SKILL.md", dir);
  rc = rskill_read_file(path, SKILL_MD_MAX_BYTES, &data, &len, msg, sizeof msg);
  if (rc == VBX_E_NOTFOUND) return 0;
  if (rc != 0) return e->h->set_error(e->call, rc, NULL, "remote skill '%s': %s", a->key, msg);
  rskill_sha256_hex(data, len, hex);
  free(data);
  *present = 1;
  if (src != NULL) read_source(e, dir, src);
  return 0;
}

int rskill_cache_store(const rskill_env *e, const rskill_addr *a, const char *data, size_t len,
                       const rskill_pin *src) {
  const vbx_host_services *h = e->h;
  char dir[4096], msg[600];
  int rc = rskill_cache_dir(e, a, dir, sizeof dir);
  if (rc != 0) return rc;
  if ((rc = rskill_mkdirs(dir, msg, sizeof msg)) != 0)
    return h->set_error(e->call, rc, NULL, "remote skill '%s': %s", a->key, msg);
  rc = rskill_write_atomic(dir, "SKILL.md", data, len, msg, sizeof msg);
  if (rc != 0) return h->set_error(e->call, rc, NULL, "remote skill '%s': %s", a->key, msg);
  vbx_json *rec = rskill_pin_json(h, src);
  vbx_json *addr = h->json_string_new(a->key, strlen(a->key));
  char *text = NULL;
  if (rec != NULL && addr != NULL) {
    int set = h->json_object_set(rec, "address", addr); /* takes addr, also on failure */
    addr = NULL;
    if (set == 0) text = h->json_dump(rec);
  }
  if (addr != NULL) h->json_decref(addr);
  if (rec != NULL) h->json_decref(rec);
  if (text == NULL) return h->set_error(e->call, VBX_E_NOMEM, NULL, "out of memory");
  size_t n = strlen(text);
  text[n] = '\n'; /* over the NUL: written by length */
  rc = rskill_write_atomic(dir, RSKILL_SOURCE_NAME, text, n + 1, msg, sizeof msg);
  h->free(text);
  if (rc != 0) return h->set_error(e->call, rc, NULL, "remote skill '%s': %s", a->key, msg);
  return 0;
}
