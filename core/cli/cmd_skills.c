/*
 * cmd_skills.c - `voidbox skills list|add|update`: the remote skills a
 * spec's directory pins in voidbox-skills.lock and the user's cache of them
 * (docs/skills.md, "remote"). The work is skill-remote's library
 * (plugins/skill-remote/remote.h), driven through the host's own
 * host-services table: the same HTTP client, bounds and lock rules as a
 * `remote:` skill in a run. No plugin is loaded.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "remote.h"
#include "runtime.h"
#include "util/cachedir.h"

typedef struct skills_opts {
  const char *spec_dir;   /* --spec-dir (default ".") */
  const char **addresses; /* the ADDRESS arguments */
  size_t n_addresses;
  const char *base_url;  /* --set skills.base_url=URL */
  const char *cache_dir; /* --set skills.cache_dir=DIR */
} skills_opts;

/* The resolved settings and the error slot of one command. */
typedef struct skills_ctx {
  rskill_env e;
  vbx_call call;
  char base[RSKILL_URL_MAX];
  char cache[4096];
} skills_ctx;

static void help(FILE *out) {
  fprintf(out,
          "usage: voidbox skills list [--spec-dir DIR] [--set KEY=VALUE]\n"
          "       voidbox skills add ADDRESS... [--spec-dir DIR] [--set KEY=VALUE]\n"
          "       voidbox skills update [ADDRESS...] [--spec-dir DIR] [--set KEY=VALUE]\n"
          "\n"
          "Remote skills (`remote:OWNER/REPO@SKILL` in a spec; OWNER/REPO/SKILL too): each\n"
          "SKILL.md is fetched over HTTPS into the user's cache and pinned by sha256 in\n"
          "voidbox-skills.lock, in the spec's directory. A run uses the cache while it\n"
          "matches the lock and refuses a skill whose content changed.\n"
          "\n"
          "list     the lock's entries (digest, and whether the cache holds them) and the\n"
          "         skills in the cache\n"
          "add      fetch each ADDRESS; pin it when the lock has no entry for it, else\n"
          "         check it against the entry (a changed skill is an error)\n"
          "update   fetch each ADDRESS (default: every entry of the lock) again and pin\n"
          "         what is there now\n"
          "\n"
          "options:\n"
          "  --spec-dir DIR       directory of the spec and its voidbox-skills.lock\n"
          "                       (default: the working directory)\n"
          "  --set skills.base_url=URL\n"
          "                       where skills are fetched from (default\n"
          "                       https://raw.githubusercontent.com; also\n"
          "                       VOIDBOX_SKILLS_BASE_URL); https only, or http to\n"
          "                       a loopback address\n"
          "  --set skills.cache_dir=DIR\n"
          "                       the cache (default $XDG_CACHE_HOME/voidbox/skills,\n"
          "                       ~/.cache/voidbox/skills; also VOIDBOX_SKILLS_CACHE_DIR)\n"
          "  -h, --help           this help\n"
          "exit codes: 0 done, 1 a fetch, check or write failed, 2 usage error\n");
}

static void on_note(void *user, const char *line) {
  (void)user;
  fprintf(stderr, "voidbox: %s\n", line);
}

/* Parse argv[1..] of a subcommand into o; VBX_EXIT_OK, or VBX_EXIT_USAGE
 * after printing the error (or -1 after printing the help). */
static int parse(const char *cmd, int argc, char **argv, skills_opts *o) {
  o->spec_dir = ".";
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      help(stdout);
      return -1;
    }
    if (!strncmp(a, "--spec-dir", 10) || !strncmp(a, "--set", 5)) {
      size_t n = !strncmp(a, "--spec-dir", 10) ? 10 : 5;
      if (a[n] == '=')
        v = a + n + 1;
      else if (a[n] == '\0' && i + 1 < argc)
        v = argv[++i];
      if (v == NULL || (a[n] != '=' && a[n] != '\0')) {
        vbx__cli_error("skills %s: option %s needs a value (see `voidbox skills --help`)", cmd, a);
        return VBX_EXIT_USAGE;
      }
      if (n == 10) {
        o->spec_dir = v;
      } else if (!strncmp(v, "skills.base_url=", 16)) {
        o->base_url = v + 16;
      } else if (!strncmp(v, "skills.cache_dir=", 17)) {
        o->cache_dir = v + 17;
      } else {
        vbx__cli_error(
            "skills %s: --set takes skills.base_url=URL or skills.cache_dir=DIR, not "
            "'%s'",
            cmd, v);
        return VBX_EXIT_USAGE;
      }
      continue;
    }
    if (a[0] == '-') {
      static const char *const known[] = {"--spec-dir", "--set", "--help", NULL};
      char opt[128];
      snprintf(opt, sizeof opt, "%.*s", (int)strcspn(a, "="), a);
      vbx__cli_error("skills %s: unknown option '%s'%s (see `voidbox skills --help`)", cmd, a,
                     vbx__cli_hint(opt, known));
      return VBX_EXIT_USAGE;
    }
    o->addresses[o->n_addresses++] = a;
  }
  return VBX_EXIT_OK;
}

/* A setting: --set, else the VOIDBOX_* variable (the host table's lookup). */
static const char *setting(const vbx_host_services *h, const char *given, const char *key) {
  return given && given[0] ? given : h->config_get(h->ctx, key);
}

static int open_ctx(const char *cmd, const skills_opts *o, skills_ctx *c) {
  const vbx_host_services *h = vbx__tool_host_services();
  char msg[900];
  memset(c, 0, sizeof *c);
  const char *base = setting(h, o->base_url, "skills.base_url");
  if (rskill_base_check(base && base[0] ? base : RSKILL_DEFAULT_BASE, c->base, sizeof c->base, msg,
                        sizeof msg) != 0) {
    vbx__cli_error("skills %s: %s (skills.base_url)", cmd, msg);
    return VBX_EXIT_USAGE;
  }
  int rc = vbx__cache_subdir("skills", setting(h, o->cache_dir, "skills.cache_dir"), c->cache,
                             sizeof c->cache);
  if (rc != 0) {
    vbx__cli_error("skills %s: %s", cmd,
                   rc == VBX_E_NOTFOUND ? "no cache directory: set skills.cache_dir, "
                                          "VOIDBOX_SKILLS_CACHE_DIR, XDG_CACHE_HOME or HOME"
                                        : "the cache directory path is too long");
    return VBX_EXIT_USAGE;
  }
  c->e.h = h;
  c->e.call = &c->call;
  c->e.base = c->base;
  c->e.cache = c->cache;
  c->e.lock_dir = o->spec_dir;
  c->e.note = on_note;
  c->e.note_user = c;
  return VBX_EXIT_OK;
}

static const char *message(const skills_ctx *c, int rc) {
  return c->call.message[0] ? c->call.message : vbx_strerror(rc);
}

/* add/update one address; prints its line. */
static int one(const char *cmd, skills_ctx *c, const char *text, rskill_mode mode) {
  rskill_addr a;
  rskill_result res;
  char msg[900];
  if (rskill_addr_parse(text, &a, msg, sizeof msg) != 0) {
    vbx__cli_error("skills %s: %s", cmd, msg);
    return VBX_EXIT_USAGE;
  }
  memset(&c->call, 0, sizeof c->call);
  int rc = rskill_ensure(&c->e, &a, mode, NULL, &res);
  if (rc != 0) {
    const char *m = message(c, rc); /* a transport error names the URL, not the skill */
    if (strstr(m, a.key) == NULL)
      vbx__cli_error("skills %s: remote skill '%s': %s", cmd, a.key, m);
    else
      vbx__cli_error("skills %s: %s", cmd, m);
    return VBX_EXIT_FAILED;
  }
  const char *what = res.pinned && !res.old_sha256[0]                   ? "pinned"
                     : res.pinned && strcmp(res.old_sha256, res.sha256) ? "updated"
                     : res.pinned                                       ? "moved"
                                                                        : "up to date";
  printf("%s  sha256 %s  %s  (%s)\n", a.key, res.sha256, what, res.url);
  return VBX_EXIT_OK;
}

/* The addresses of every entry of the lockfile, into o (malloc'd copies
 * appended after the given ones); *doc keeps the strings alive. */
static int lock_addresses(skills_ctx *c, skills_opts *o, vbx_json **doc, size_t cap) {
  const vbx_host_services *h = c->e.h;
  int rc = rskill_lock_read(&c->e, doc);
  if (rc != 0 || *doc == NULL) return rc;
  const vbx_json *skills = h->json_object_get(*doc, "skills");
  vbx_json *v;
  const char *key;
  for (size_t i = 0; (key = h->json_object_key_at(skills, i, &v)) != NULL; i++) {
    if (o->n_addresses == cap) return h->set_error(c->e.call, VBX_E_LIMIT, NULL, "too many");
    o->addresses[o->n_addresses++] = key;
  }
  return 0;
}

static int cmd_fetch(const char *cmd, int argc, char **argv, rskill_mode mode) {
  skills_opts o = {0};
  skills_ctx c;
  vbx_json *doc = NULL;
  memset(&c, 0, sizeof c);
  size_t cap = (size_t)argc + 4096;
  o.addresses = calloc(cap, sizeof *o.addresses);
  int rc = o.addresses ? parse(cmd, argc, argv, &o) : VBX_EXIT_FAILED;
  if (rc != VBX_EXIT_OK) {
    rc = rc < 0 ? VBX_EXIT_OK : rc;
    goto out;
  }
  if ((rc = open_ctx(cmd, &o, &c)) != VBX_EXIT_OK) goto out;
  if (o.n_addresses == 0 && mode == RSKILL_ADD) {
    vbx__cli_error("skills add: name at least one ADDRESS (OWNER/REPO@SKILL)");
    rc = VBX_EXIT_USAGE;
    goto out;
  }
  if (o.n_addresses == 0) {
    int r = lock_addresses(&c, &o, &doc, cap);
    if (r != 0) {
      vbx__cli_error("skills %s: %s", cmd, message(&c, r));
      rc = VBX_EXIT_FAILED;
      goto out;
    }
    if (o.n_addresses == 0) {
      fprintf(stderr, "voidbox: skills %s: no remote skill is pinned in %s/%s; nothing to do\n",
              cmd, o.spec_dir, RSKILL_LOCK_NAME);
      goto out;
    }
  }
  for (size_t i = 0; i < o.n_addresses; i++) {
    int r = one(cmd, &c, o.addresses[i], mode);
    if (r > rc) rc = r; /* usage (2) outranks failed (1) */
  }
out:
  if (doc) c.e.h->json_decref(doc);
  free(o.addresses);
  return rc;
}

/* One cached skill directory CACHE/OWNER/REPO/SKILL, printed. */
static void list_cached(skills_ctx *c, const char *owner, const char *repo, const char *skill,
                        size_t *count) {
  char text[RSKILL_KEY_MAX + 8], msg[600], hex[65];
  rskill_addr a;
  rskill_pin src;
  int present = 0;
  snprintf(text, sizeof text, "%.40s/%.101s@%.65s", owner, repo, skill);
  if (rskill_addr_parse(text, &a, msg, sizeof msg) != 0) return; /* not ours */
  memset(&c->call, 0, sizeof c->call);
  if (rskill_cache_digest(&c->e, &a, hex, &src, &present) != 0 || !present) return;
  (*count)++;
  printf("  %-40s sha256 %s  fetched %s from %s\n", a.key, hex,
         src.fetched_at[0] ? src.fetched_at : "?", src.url[0] ? src.url : "?");
}

/* The entries of dir, sorted (*out malloc'd, each entry too); -1 when
 * unreadable. */
static int names(const char *dir, struct dirent ***out) {
  return scandir(dir, out, NULL, alphasort);
}

static void walk_cache(skills_ctx *c, size_t *count) {
  struct dirent **o = NULL, **r = NULL, **s = NULL;
  char p1[4096 + 256], p2[8192 + 512];
  int no = names(c->cache, &o);
  for (int i = 0; i < no; i++) {
    if (o[i]->d_name[0] == '.') continue;
    snprintf(p1, sizeof p1, "%s/%s", c->cache, o[i]->d_name);
    int nr = names(p1, &r);
    for (int j = 0; j < nr; j++) {
      if (r[j]->d_name[0] == '.') continue;
      snprintf(p2, sizeof p2, "%s/%s", p1, r[j]->d_name);
      int ns = names(p2, &s);
      for (int k = 0; k < ns; k++)
        if (s[k]->d_name[0] != '.') list_cached(c, o[i]->d_name, r[j]->d_name, s[k]->d_name, count);
      for (int k = 0; k < ns; k++)
        free(s[k]);
      free(s);
      s = NULL;
    }
    for (int j = 0; j < nr; j++)
      free(r[j]);
    free(r);
    r = NULL;
  }
  for (int i = 0; i < no; i++)
    free(o[i]);
  free(o);
}

static int cmd_list(int argc, char **argv) {
  skills_opts o = {0};
  skills_ctx c;
  vbx_json *doc = NULL;
  char lock[4096];
  memset(&c, 0, sizeof c);
  o.addresses = calloc((size_t)argc + 1, sizeof *o.addresses);
  int rc = o.addresses ? parse("list", argc, argv, &o) : VBX_EXIT_FAILED;
  if (rc != VBX_EXIT_OK) {
    rc = rc < 0 ? VBX_EXIT_OK : rc;
    goto out;
  }
  if (o.n_addresses > 0) {
    vbx__cli_error("skills list: takes no ADDRESS ('%s')", o.addresses[0]);
    rc = VBX_EXIT_USAGE;
    goto out;
  }
  if ((rc = open_ctx("list", &o, &c)) != VBX_EXIT_OK) goto out;
  rskill_lock_path(&c.e, lock, sizeof lock);
  int r = rskill_lock_read(&c.e, &doc);
  if (r != 0) {
    vbx__cli_error("skills list: %s", message(&c, r));
    rc = VBX_EXIT_FAILED;
    goto out;
  }
  const vbx_host_services *h = c.e.h;
  const vbx_json *skills = doc ? h->json_object_get(doc, "skills") : NULL;
  size_t n = skills ? h->json_object_size(skills) : 0, cached = 0;
  printf("lock %s: %zu remote skill%s%s\n", lock, n, n == 1 ? "" : "s",
         doc ? "" : " (no lockfile)");
  vbx_json *v;
  const char *key;
  for (size_t i = 0; skills && (key = h->json_object_key_at(skills, i, &v)) != NULL; i++) {
    rskill_addr a;
    rskill_pin pin;
    char msg[600], hex[65], state[200];
    int found = 0, present = 0;
    memset(&c.call, 0, sizeof c.call);
    if (rskill_addr_parse(key, &a, msg, sizeof msg) != 0) {
      printf("  %-40s (not a valid address: %s)\n", key, msg);
      continue;
    }
    if (rskill_lock_entry(&c.e, doc, key, &pin, &found) != 0 ||
        rskill_cache_digest(&c.e, &a, hex, NULL, &present) != 0) {
      printf("  %-40s (%s)\n", key, message(&c, VBX_E_IO));
      continue;
    }
    if (!present)
      snprintf(state, sizeof state, "cache: missing (a run fetches it, unless --offline)");
    else if (strcmp(hex, pin.sha256) == 0)
      snprintf(state, sizeof state, "cache: ok");
    else
      snprintf(state, sizeof state, "cache: DIFFERS, holds sha256 %s", hex);
    printf("  %-40s sha256 %s  %s\n", key, pin.sha256, state);
  }
  printf("cache %s:\n", c.cache);
  walk_cache(&c, &cached);
  printf("  (%zu skill%s)\n", cached, cached == 1 ? "" : "s");
out:
  if (doc) c.e.h->json_decref(doc);
  free(o.addresses);
  return rc;
}

int vbx__cmd_skills(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    help(argc < 2 ? stderr : stdout);
    return argc < 2 ? VBX_EXIT_USAGE : VBX_EXIT_OK;
  }
  if (!strcmp(argv[1], "list")) return cmd_list(argc - 1, argv + 1);
  if (!strcmp(argv[1], "add")) return cmd_fetch("add", argc - 1, argv + 1, RSKILL_ADD);
  if (!strcmp(argv[1], "update")) return cmd_fetch("update", argc - 1, argv + 1, RSKILL_UPDATE);
  static const char *const subs[] = {"list", "add", "update", NULL};
  vbx__cli_error("skills: unknown subcommand '%s'%s (list, add or update)", argv[1],
                 vbx__cli_hint(argv[1], subs));
  return VBX_EXIT_USAGE;
}
