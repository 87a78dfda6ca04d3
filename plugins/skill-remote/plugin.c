/*
 * skill-remote/plugin.c - the plugin descriptor and the skill type
 * "remote": `remote:OWNER/REPO@SKILL` (or OWNER/REPO/SKILL) names an Agent
 * Skills package in a GitHub repository, the skills.sh way. Its SKILL.md is
 * fetched over HTTPS into the user's cache and pinned by sha256 in
 * voidbox-skills.lock beside the spec (remote.h), then installed and
 * listed exactly as a `file:` skill is (skill-common/skill_pkg.h).
 *
 * Host settings (`--set KEY=VALUE`, or the VOIDBOX_* variable):
 *   skills.base_url   VOIDBOX_SKILLS_BASE_URL   default
 *                     https://raw.githubusercontent.com
 *   skills.cache_dir  VOIDBOX_SKILLS_CACHE_DIR  default
 *                     $XDG_CACHE_HOME/voidbox/skills, ~/.cache/voidbox/skills
 *   skills.offline    VOIDBOX_SKILLS_OFFLINE    1/true/yes: never fetch
 *                     (`voidbox run --offline` sets it)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "popt.h"
#include "remote.h"
#include "util/cachedir.h"
#include "voidbox/plugin.h"

typedef struct rs_state {
  const vbx_host_services *host;
} rs_state;

typedef struct rs_skill {
  const vbx_host_services *host;
  skill_pkg pkg;
} rs_skill;

/* Where one declaration's calls look: settings resolved into e, with the
 * strings it points at. */
typedef struct rs_where {
  rskill_env e;
  rskill_addr a;
  char base[RSKILL_URL_MAX];
  char cache[4096];
} rs_where;

/* A boolean setting: unset or empty is 0. */
static int flag(const vbx_host_services *h, vbx_call *call, const char *key, int *out) {
  const char *v = h->config_get(h->ctx, key);
  *out = 0;
  if (v == NULL || v[0] == '\0' || !strcmp(v, "0") || !strcasecmp(v, "false") ||
      !strcasecmp(v, "no"))
    return 0;
  if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes")) {
    *out = 1;
    return 0;
  }
  return h->set_error(call, VBX_E_INVAL, NULL,
                      "setting %s must be 1/true/yes or 0/false/no, not '%s'", key, v);
}

static int rs_resolve(const vbx_host_services *h, const vbx_skill_config *cfg, vbx_call *call,
                      rs_where *w) {
  char msg[900];
  memset(w, 0, sizeof *w);
  int rc = vbx_popt_none(h, cfg->options, "the remote skill", call);
  if (rc != 0) return rc;
  rc = rskill_addr_parse(cfg->value, &w->a, msg, sizeof msg);
  if (rc != 0) return h->set_error(call, rc, NULL, "%s", msg);
  const char *base = h->config_get(h->ctx, "skills.base_url");
  rc = rskill_base_check(base && base[0] ? base : RSKILL_DEFAULT_BASE, w->base, sizeof w->base, msg,
                         sizeof msg);
  if (rc != 0)
    return h->set_error(call, rc, NULL,
                        "%s (setting skills.base_url: --set skills.base_url=URL or "
                        "VOIDBOX_SKILLS_BASE_URL)",
                        msg);
  rc = vbx__cache_subdir("skills", h->config_get(h->ctx, "skills.cache_dir"), w->cache,
                         sizeof w->cache);
  if (rc != 0)
    return h->set_error(call, rc, NULL,
                        rc == VBX_E_NOTFOUND
                            ? "no cache directory for remote skills: set skills.cache_dir "
                              "(VOIDBOX_SKILLS_CACHE_DIR), XDG_CACHE_HOME or HOME"
                            : "the remote skills cache directory path is too long");
  rc = flag(h, call, "skills.offline", &w->e.offline);
  if (rc != 0) return rc;
  w->e.h = h;
  w->e.call = call;
  w->e.base = w->base;
  w->e.cache = w->cache;
  w->e.lock_dir = cfg->spec_dir && cfg->spec_dir[0] ? cfg->spec_dir : ".";
  return 0;
}

static int rs_validate(void *state, const vbx_skill_config *cfg, vbx_call *call) {
  rs_state *st = state;
  rs_where w;
  rskill_result res;
  int rc = rs_resolve(st->host, cfg, call, &w);
  if (rc == 0) rc = rskill_ensure(&w.e, &w.a, RSKILL_CHECK, NULL, &res);
  return rc;
}

static int rs_create(void *state, const vbx_skill_config *cfg, vbx_call *call, void **out) {
  rs_state *st = state;
  rs_where w;
  rskill_result res;
  *out = NULL;
  int rc = rs_resolve(st->host, cfg, call, &w);
  if (rc != 0) return rc;
  rs_skill *s = calloc(1, sizeof *s);
  if (s == NULL) return st->host->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  s->host = st->host;
  rc = rskill_ensure(&w.e, &w.a, RSKILL_USE, &s->pkg, &res);
  if (rc != 0) {
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

static void rs_destroy(void *skill) {
  rs_skill *s = skill;
  if (s == NULL) return;
  skill_pkg_clear(&s->pkg);
  free(s);
}

static int rs_provision(void *skill, const vbx_sandbox_ref *sandbox, vbx_skill_contrib *out,
                        vbx_call *call) {
  rs_skill *s = skill;
  return skill_pkg_install(&s->pkg, s->host, sandbox, out, call);
}

static const vbx_skill_type_vtable rs_vtable = {
    .struct_size = sizeof(vbx_skill_type_vtable),
    .name = "remote",
    .description =
        "an Agent Skills package from GitHub, OWNER/REPO@SKILL (skills.sh), fetched "
        "into the cache, pinned by sha256 in voidbox-skills.lock, installed at "
        "/skills/NAME/",
    .flags = VBX_VT_THREAD_SAFE,
    .validate = rs_validate,
    .create = rs_create,
    .destroy = rs_destroy,
    .provision = rs_provision,
    .call_tool = NULL,
};

static int rs_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  rs_state *st = calloc(1, sizeof *st);
  if (st == NULL) return VBX_E_NOMEM;
  st->host = host;
  int rc = reg->register_skill_type(reg->reg, &rs_vtable);
  if (rc != 0) {
    free(st);
    return rc;
  }
  *state = st;
  return 0;
}

static void rs_fini(void *state) { free(state); }

VBX_PLUGIN_DEFINE("skill-remote", "0.1.0", "Apache-2.0",
                  "skill type \"remote\": SKILL.md skills fetched by skills.sh address, "
                  "cached and pinned",
                  rs_init, rs_fini)
