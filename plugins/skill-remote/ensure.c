/*
 * skill-remote/ensure.c - what a remote skill's use does with the cache,
 * the lockfile and the network (docs/skills.md, "remote"):
 *
 *   lock entry  cache        offline  ->
 *   yes         matches      any         the cache; no network
 *   yes         missing/old  no          fetch from the pinned place; a
 *                                        different digest is an error
 *   yes         missing/old  yes         error
 *   no          any          no          fetch (search), cache, pin
 *   no          present      yes         pin the cache's own record
 *   no          missing      yes         error
 *
 * All of it under the cache's flock on the skill's repository, the
 * lockfile read after taking it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote.h"

/* One line for the user: through e->note, else the host's log. */
static void note(const rskill_env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const rskill_env *e, const char *fmt, ...) {
  char line[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (e->note != NULL)
    e->note(e->note_user, line);
  else
    e->h->log(e->h->ctx, VBX_LOG_WARN, "%s", line);
}

/* " --spec-dir DIR" when the lockfile is not in the working directory. */
static void spec_dir_opt(const rskill_env *e, char *out, size_t n) {
  if (e->lock_dir == NULL || e->lock_dir[0] == '\0' || strcmp(e->lock_dir, ".") == 0)
    out[0] = '\0';
  else
    snprintf(out, n, " --spec-dir %s", e->lock_dir);
}

static int changed(const rskill_env *e, const rskill_addr *a, const rskill_pin *pin,
                   const rskill_fetched *f) {
  char lock[4096], opt[4096 + 16];
  rskill_lock_path(e, lock, sizeof lock);
  spec_dir_opt(e, opt, sizeof opt);
  return e->h->set_error(e->call, VBX_E_PERM, NULL,
                         "remote skill '%s' changed: %s now has sha256 %s, but %s pins sha256 %s; "
                         "if the change is expected, accept it with `voidbox skills update%s %s`",
                         a->key, f->pin.url, f->pin.sha256, lock, pin->sha256, opt, a->key);
}

/* The offline refusal for a skill the cache cannot serve. */
static int offline_miss(const rskill_env *e, const rskill_addr *a, const rskill_pin *pin,
                        int present, const char *have) {
  char dir[4096];
  if (rskill_cache_dir(e, a, dir, sizeof dir) != 0) return VBX_E_TOOBIG;
  if (!present)
    return e->h->set_error(e->call, VBX_E_NOTFOUND, NULL,
                           "remote skill '%s' is not in the cache (%s) and the network is off "
                           "(--offline); run once without --offline, or `voidbox skills add %s`",
                           a->key, dir, a->key);
  return e->h->set_error(e->call, VBX_E_PERM, NULL,
                         "remote skill '%s': the cache (%s) holds sha256 %s, but the lock pins "
                         "sha256 %s, and the network is off (--offline) to fetch the pinned one",
                         a->key, dir, have, pin->sha256);
}

/* RSKILL_CHECK: the lockfile already parsed; offline, the cache must do. */
static int check(const rskill_env *e, const rskill_addr *a, const rskill_pin *pin, int found) {
  char have[65];
  rskill_pin src;
  int present = 0;
  if (!e->offline) return 0;
  int rc = rskill_cache_digest(e, a, have, &src, &present);
  if (rc != 0) return rc;
  if (found && present && strcmp(have, pin->sha256) == 0) return 0;
  if (!found && present && strcmp(src.sha256, have) == 0) return 0;
  return offline_miss(e, a, pin, present, have);
}

/* Load the cached directory into *pkg: exactly the pinned SKILL.md, and no
 * other file (only SKILL.md is fetched, nothing else could be verified). */
static int load(const rskill_env *e, const rskill_addr *a, const char *sha, skill_pkg *pkg) {
  char dir[4096], msg[900], have[65];
  int rc = rskill_cache_dir(e, a, dir, sizeof dir);
  if (rc != 0) return rc;
  rc = skill_pkg_load(NULL, dir, pkg, msg, sizeof msg);
  if (rc != 0) return e->h->set_error(e->call, rc, NULL, "remote skill '%s': %s", a->key, msg);
  rskill_sha256_hex(pkg->md.content, pkg->md.len, have);
  if (strcmp(have, sha) != 0)
    rc = e->h->set_error(e->call, VBX_E_PERM, NULL,
                         "remote skill '%s': %s/SKILL.md has sha256 %s, not the pinned %s (was "
                         "it edited?); `voidbox skills add %s` fetches it again",
                         a->key, dir, have, sha, a->key);
  else if (pkg->n_res > 0)
    rc = e->h->set_error(e->call, VBX_E_PERM, NULL,
                         "remote skill '%s': %s/%s is not part of the pinned skill (only SKILL.md "
                         "is fetched); remove it",
                         a->key, dir, pkg->res[0].rel);
  if (rc != 0) skill_pkg_clear(pkg);
  return rc;
}

/* Pin f in the lockfile and say so. */
static int pin_fetched(const rskill_env *e, const rskill_addr *a, const rskill_pin *old, int found,
                       const rskill_pin *now, rskill_result *res) {
  char lock[4096];
  int rc = rskill_lock_path(e, lock, sizeof lock);
  if (rc == 0) rc = rskill_lock_put(e, a->key, now);
  if (rc != 0) return rc;
  res->pinned = 1;
  if (!found)
    note(e, "remote skill '%s': fetched %s (sha256 %s), pinned in %s", a->key, now->url,
         now->sha256, lock);
  else if (strcmp(old->sha256, now->sha256) != 0)
    note(e, "remote skill '%s': sha256 %s -> %s (%s), pinned in %s", a->key, old->sha256,
         now->sha256, now->url, lock);
  else
    note(e, "remote skill '%s': now found at %s (sha256 %s unchanged), pinned in %s", a->key,
         now->url, now->sha256, lock);
  return 0;
}

/* The modes that may write, with the cache's flock held. */
static int ensure_locked(const rskill_env *e, const rskill_addr *a, rskill_mode mode,
                         rskill_result *res) {
  vbx_json *doc = NULL;
  rskill_pin pin, src;
  rskill_fetched f;
  char have[65], lock[4096];
  int found = 0, present = 0;
  memset(&f, 0, sizeof f);
  int rc = rskill_lock_read(e, &doc);
  if (rc == 0) rc = rskill_lock_entry(e, doc, a->key, &pin, &found);
  if (rc == 0) rc = rskill_cache_digest(e, a, have, &src, &present);
  if (rc == 0) rc = rskill_lock_path(e, lock, sizeof lock);
  if (rc != 0) goto out;
  if (found) snprintf(res->old_sha256, sizeof res->old_sha256, "%s", pin.sha256);
  if (mode == RSKILL_USE && found && present && strcmp(have, pin.sha256) == 0) {
    snprintf(res->sha256, sizeof res->sha256, "%s", pin.sha256);
    snprintf(res->url, sizeof res->url, "%s", pin.url);
    goto out; /* the cache serves the lock: no network */
  }
  if (mode == RSKILL_USE && e->offline) {
    if (found || !present || strcmp(src.sha256, have) != 0) {
      rc = offline_miss(e, a, &pin, present, have);
      goto out;
    }
    rc = rskill_lock_put(e, a->key, &src); /* first use, offline: the cache's record */
    if (rc != 0) goto out;
    res->pinned = 1;
    snprintf(res->sha256, sizeof res->sha256, "%s", src.sha256);
    snprintf(res->url, sizeof res->url, "%s", src.url);
    note(e, "remote skill '%s': pinned in %s from the cache (sha256 %s, fetched from %s at %s)",
         a->key, lock, src.sha256, src.url, src.fetched_at);
    goto out;
  }
  /* Fetch: from the pinned place unless updating or pinning afresh. */
  rc = rskill_fetch(e, a, found && mode != RSKILL_UPDATE ? pin.dir : NULL, &f);
  if (rc != 0) goto out;
  res->fetched = 1;
  if (found && mode != RSKILL_UPDATE && strcmp(f.pin.sha256, pin.sha256) != 0) {
    rc = changed(e, a, &pin, &f);
    goto out;
  }
  if (!present || strcmp(have, f.pin.sha256) != 0 || strcmp(src.url, f.pin.url) != 0) {
    rc = rskill_cache_store(e, a, f.data, f.len, &f.pin);
    if (rc != 0) goto out;
  }
  snprintf(res->sha256, sizeof res->sha256, "%s", f.pin.sha256);
  snprintf(res->url, sizeof res->url, "%s", f.pin.url);
  /* A use or an add keeps an entry it matched (even when the base URL
   * changed); an update rewrites whatever moved. */
  if (!found || (mode == RSKILL_UPDATE &&
                 (strcmp(pin.sha256, f.pin.sha256) != 0 || strcmp(pin.dir, f.pin.dir) != 0 ||
                  strcmp(pin.url, f.pin.url) != 0)))
    rc = pin_fetched(e, a, &pin, found, &f.pin, res);
out:
  free(f.data);
  if (doc) e->h->json_decref(doc);
  return rc;
}

int rskill_ensure(const rskill_env *e, const rskill_addr *a, rskill_mode mode, skill_pkg *pkg,
                  rskill_result *res) {
  memset(res, 0, sizeof *res);
  if (pkg != NULL) memset(pkg, 0, sizeof *pkg);
  if (mode == RSKILL_CHECK) {
    vbx_json *doc = NULL;
    rskill_pin pin;
    int found = 0;
    int rc = rskill_lock_read(e, &doc);
    if (rc == 0) rc = rskill_lock_entry(e, doc, a->key, &pin, &found);
    if (rc == 0) rc = check(e, a, &pin, found);
    if (doc) e->h->json_decref(doc);
    return rc;
  }
  int fd = -1;
  int rc = rskill_cache_lock(e, a, &fd);
  if (rc == 0) rc = ensure_locked(e, a, mode, res);
  if (rc == 0 && pkg != NULL) rc = load(e, a, res->sha256, pkg);
  rskill_cache_unlock(fd);
  return rc;
}
