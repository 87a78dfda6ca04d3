/*
 * skill-remote/lock.c - voidbox-skills.lock, the lockfile beside a spec that
 * pins each remote skill it uses:
 *
 *   {
 *     "voidbox_skills_lock": 1,
 *     "skills": {
 *       "OWNER/REPO@SKILL": {"dir":"skills/SKILL","files":{"SKILL.md":
 *         {"url":"https://...","sha256":"<64 hex>","size":N}},"fetched_at":"..."}
 *     }
 *   }
 *
 * One entry per line, sorted by address, so a change is a one-line diff.
 * A write re-reads the file under an flock on its directory and replaces it
 * by rename: concurrent writers (boxes of one pipeline, two voidbox
 * processes) never lose each other's entries and a reader never sees half
 * a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote.h"

#define LOCK_VERSION 1

static int bad(const rskill_env *e, const char *where, const char *what) {
  return e->h->set_error(e->call, VBX_E_INVAL, NULL,
                         "%s: %s (fix it, or remove the entry and run `voidbox skills add`)", where,
                         what);
}

/* String member `key` of obj copied into out[n]: 0, or -1 when missing,
 * not a string, empty or too long. */
static int get_str(const vbx_host_services *h, const vbx_json *obj, const char *key, char *out,
                   size_t n) {
  const vbx_json *v = h->json_object_get(obj, key);
  const char *s = v ? h->json_string_value(v) : NULL;
  size_t len = s ? h->json_string_length(v) : 0;
  if (s == NULL || len == 0 || len >= n || strlen(s) != len) return -1;
  memcpy(out, s, len + 1);
  return 0;
}

static int is_hex64(const char *s) {
  size_t i = 0;
  for (; s[i]; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
  return i == 64;
}

vbx_json *rskill_pin_json(const vbx_host_services *h, const rskill_pin *pin) {
  vbx_json *o = h->json_object_new(), *files = h->json_object_new(), *f = h->json_object_new();
  int rc = (o && files && f) ? 0 : VBX_E_NOMEM;
  /* Each setter takes its value, also when it fails. */
  if (rc == 0) rc = h->json_object_set(f, "url", h->json_string_new(pin->url, strlen(pin->url)));
  if (rc == 0) rc = h->json_object_set(f, "sha256", h->json_string_new(pin->sha256, 64));
  if (rc == 0) rc = h->json_object_set(f, "size", h->json_integer_new((int64_t)pin->size));
  if (rc == 0) rc = h->json_object_set(o, "dir", h->json_string_new(pin->dir, strlen(pin->dir)));
  if (rc == 0) rc = h->json_object_set(files, "SKILL.md", f);
  f = NULL;
  if (rc == 0) rc = h->json_object_set(o, "files", files);
  files = NULL;
  if (rc == 0)
    rc = h->json_object_set(o, "fetched_at",
                            h->json_string_new(pin->fetched_at, strlen(pin->fetched_at)));
  if (f) h->json_decref(f);
  if (files) h->json_decref(files);
  if (rc != 0 && o) {
    h->json_decref(o);
    o = NULL;
  }
  return o;
}

int rskill_pin_parse(const rskill_env *e, const vbx_json *obj, const char *where, rskill_pin *pin) {
  const vbx_host_services *h = e->h;
  memset(pin, 0, sizeof *pin);
  if (h->json_type(obj) != VBX_JSON_OBJECT) return bad(e, where, "an entry must be an object");
  if (get_str(h, obj, "dir", pin->dir, sizeof pin->dir) != 0)
    return bad(e, where, "'dir' must be a non-empty string (the skill's place in the repository)");
  if (strstr(pin->dir, "..") != NULL || pin->dir[0] == '/')
    return bad(e, where, "'dir' may not contain '..' or start with '/'");
  const vbx_json *files = h->json_object_get(obj, "files");
  const vbx_json *f = files ? h->json_object_get(files, "SKILL.md") : NULL;
  if (f == NULL || h->json_type(f) != VBX_JSON_OBJECT)
    return bad(e, where, "'files' must map \"SKILL.md\" to {url, sha256, size}");
  if (get_str(h, f, "url", pin->url, sizeof pin->url) != 0)
    return bad(e, where, "files.\"SKILL.md\".url must be a non-empty string");
  if (get_str(h, f, "sha256", pin->sha256, sizeof pin->sha256) != 0 || !is_hex64(pin->sha256))
    return bad(e, where, "files.\"SKILL.md\".sha256 must be 64 lower-case hex digits");
  const vbx_json *size = h->json_object_get(f, "size");
  if (size == NULL || h->json_type(size) != VBX_JSON_INTEGER || h->json_integer_value(size) < 0)
    return bad(e, where, "files.\"SKILL.md\".size must be a non-negative integer");
  pin->size = (uint64_t)h->json_integer_value(size);
  if (get_str(h, obj, "fetched_at", pin->fetched_at, sizeof pin->fetched_at) != 0)
    return bad(e, where, "'fetched_at' must be a non-empty string (a UTC time)");
  return 0;
}

int rskill_lock_path(const rskill_env *e, char *out, size_t n) {
  const char *dir = e->lock_dir && e->lock_dir[0] ? e->lock_dir : ".";
  int k = snprintf(out, n, "%s/%s", dir, RSKILL_LOCK_NAME);
  if (k < 0 || (size_t)k >= n)
    return e->h->set_error(e->call, VBX_E_TOOBIG, NULL, "the lockfile path %.200s/%s is too long",
                           dir, RSKILL_LOCK_NAME);
  return 0;
}

/* Check the parsed lockfile at `path`. */
static int check_doc(const rskill_env *e, const char *path, const vbx_json *doc) {
  const vbx_host_services *h = e->h;
  char where[4096 + RSKILL_KEY_MAX + 32];
  if (h->json_type(doc) != VBX_JSON_OBJECT) return bad(e, path, "the lockfile must be an object");
  const vbx_json *v = h->json_object_get(doc, "voidbox_skills_lock");
  if (v == NULL || h->json_type(v) != VBX_JSON_INTEGER || h->json_integer_value(v) < 1)
    return bad(e, path, "\"voidbox_skills_lock\" must be the format number, 1");
  if (h->json_integer_value(v) > LOCK_VERSION)
    return h->set_error(e->call, VBX_E_UNSUPPORTED, NULL,
                        "%s: lockfile format %lld was written by a newer voidbox (this one reads "
                        "format %d)",
                        path, (long long)h->json_integer_value(v), LOCK_VERSION);
  const vbx_json *skills = h->json_object_get(doc, "skills");
  if (skills == NULL || h->json_type(skills) != VBX_JSON_OBJECT)
    return bad(e, path, "\"skills\" must be an object mapping addresses to entries");
  vbx_json *ent;
  const char *key;
  for (size_t i = 0; (key = h->json_object_key_at(skills, i, &ent)) != NULL; i++) {
    rskill_pin pin;
    snprintf(where, sizeof where, "%s: entry '%.200s'", path, key);
    int rc = rskill_pin_parse(e, ent, where, &pin);
    if (rc != 0) return rc;
  }
  return 0;
}

int rskill_lock_read(const rskill_env *e, vbx_json **doc) {
  char path[4096], msg[600], *text = NULL;
  size_t len = 0;
  *doc = NULL;
  int rc = rskill_lock_path(e, path, sizeof path);
  if (rc != 0) return rc;
  rc = rskill_read_file(path, RSKILL_LOCK_MAX, &text, &len, msg, sizeof msg);
  if (rc == VBX_E_NOTFOUND) return 0;
  if (rc != 0) return e->h->set_error(e->call, rc, NULL, "lockfile %s", msg);
  vbx_json *d = e->h->json_parse(text, len, NULL);
  free(text);
  if (d == NULL) return bad(e, path, "not valid JSON; `python3 -m json.tool` shows where");
  rc = check_doc(e, path, d);
  if (rc != 0) {
    e->h->json_decref(d);
    return rc;
  }
  *doc = d;
  return 0;
}

int rskill_lock_entry(const rskill_env *e, const vbx_json *doc, const char *key, rskill_pin *pin,
                      int *found) {
  char path[4096], where[4096 + RSKILL_KEY_MAX + 32];
  *found = 0;
  memset(pin, 0, sizeof *pin);
  const vbx_json *skills = doc ? e->h->json_object_get(doc, "skills") : NULL;
  const vbx_json *ent = skills ? e->h->json_object_get(skills, key) : NULL;
  if (ent == NULL) return 0;
  int rc = rskill_lock_path(e, path, sizeof path);
  if (rc != 0) return rc;
  snprintf(where, sizeof where, "%s: entry '%s'", path, key);
  rc = rskill_pin_parse(e, ent, where, pin);
  if (rc == 0) *found = 1;
  return rc;
}

/* Append s to the growing text *buf (malloc'd); -1 when out of memory. */
static int put(char **buf, size_t *len, size_t *cap, const char *s) {
  size_t n = strlen(s);
  if (*len + n + 1 > *cap) {
    size_t c = *cap ? *cap * 2 : 4096;
    while (c < *len + n + 1)
      c *= 2;
    char *b = realloc(*buf, c);
    if (b == NULL) return -1;
    *buf = b, *cap = c;
  }
  memcpy(*buf + *len, s, n + 1);
  *len += n;
  return 0;
}

/* s as a JSON string literal (quotes included) appended. */
static int put_quoted(char **buf, size_t *len, size_t *cap, const char *s) {
  char one[8];
  if (put(buf, len, cap, "\"") != 0) return -1;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      snprintf(one, sizeof one, "\\%c", c);
    else if (c < 0x20)
      snprintf(one, sizeof one, "\\u%04x", c);
    else
      one[0] = (char)c, one[1] = '\0';
    if (put(buf, len, cap, one) != 0) return -1;
  }
  return put(buf, len, cap, "\"");
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The lockfile text: `old`'s entries (doc may be NULL) with `key` set to
 * `ent`, sorted; *out malloc'd. */
static int render(const rskill_env *e, const vbx_json *doc, const char *key, const vbx_json *ent,
                  char **out) {
  const vbx_host_services *h = e->h;
  const vbx_json *skills = doc ? h->json_object_get(doc, "skills") : NULL;
  size_t n = skills ? h->json_object_size(skills) : 0, k = 0, len = 0, cap = 0;
  const char **keys = calloc(n + 1, sizeof *keys);
  char *buf = NULL;
  int rc = keys ? 0 : VBX_E_NOMEM;
  vbx_json *v;
  const char *name;
  for (size_t i = 0; rc == 0 && (name = h->json_object_key_at(skills, i, &v)) != NULL; i++)
    if (strcmp(name, key) != 0) keys[k++] = name;
  if (rc == 0) keys[k++] = key;
  if (rc == 0) qsort(keys, k, sizeof *keys, cmp_str);
  if (rc == 0 && put(&buf, &len, &cap, "{\n  \"voidbox_skills_lock\": 1,\n  \"skills\": {\n") != 0)
    rc = VBX_E_NOMEM;
  for (size_t i = 0; rc == 0 && i < k; i++) {
    const vbx_json *val = strcmp(keys[i], key) == 0 ? ent : h->json_object_get(skills, keys[i]);
    char *dump = h->json_dump(val);
    if (dump == NULL || put(&buf, &len, &cap, "    ") != 0 ||
        put_quoted(&buf, &len, &cap, keys[i]) != 0 || put(&buf, &len, &cap, ": ") != 0 ||
        put(&buf, &len, &cap, dump) != 0 || put(&buf, &len, &cap, i + 1 < k ? ",\n" : "\n") != 0)
      rc = VBX_E_NOMEM;
    h->free(dump);
  }
  if (rc == 0 && put(&buf, &len, &cap, "  }\n}\n") != 0) rc = VBX_E_NOMEM;
  free(keys);
  if (rc != 0) {
    free(buf);
    return h->set_error(e->call, rc, NULL, "out of memory");
  }
  *out = buf;
  return 0;
}

int rskill_lock_put(const rskill_env *e, const char *key, const rskill_pin *pin) {
  const vbx_host_services *h = e->h;
  const char *dir = e->lock_dir && e->lock_dir[0] ? e->lock_dir : ".";
  char path[4096], msg[600];
  int rc = rskill_lock_path(e, path, sizeof path);
  if (rc != 0) return rc;
  vbx_json *doc = NULL, *ent = NULL;
  char *text = NULL;
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    rc = h->set_error(e->call, VBX_E_IO, NULL, "cannot open %s for the lockfile: %s", dir,
                      strerror(errno));
    goto out;
  }
  rc = rskill_flock(e, dfd, dir);
  if (rc != 0) goto out;
  rc = rskill_lock_read(e, &doc); /* what is on disk now, under the flock */
  if (rc != 0) goto out;
  if ((ent = rskill_pin_json(h, pin)) == NULL) {
    rc = h->set_error(e->call, VBX_E_NOMEM, NULL, "out of memory");
    goto out;
  }
  rc = render(e, doc, key, ent, &text);
  if (rc != 0) goto out;
  rc = rskill_write_atomic(dir, RSKILL_LOCK_NAME, text, strlen(text), msg, sizeof msg);
  if (rc != 0) rc = h->set_error(e->call, rc, NULL, "lockfile: %s", msg);
out:
  free(text);
  if (ent) h->json_decref(ent);
  if (doc) h->json_decref(doc);
  if (dfd >= 0) close(dfd); /* releases the flock */
  return rc;
}
