/*
 * skill-file/plugin.c - the plugin descriptor and the skill type "file":
 * `file:PATH` names a local skill in the Agent Skills format, a directory
 * holding SKILL.md (plus resource files) or that SKILL.md alone. It is
 * checked (skill-common/skill_md.h), installed into the sandbox under
 * /skills/NAME/, and listed in the system prompt by name and description
 * with the path of its instructions, which the model reads when it needs
 * them (progressive disclosure). It declares no tools.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "popt.h"
#include "skill_pkg.h"
#include "voidbox/plugin.h"

typedef struct sf_state {
  const vbx_host_services *host;
} sf_state;

typedef struct sf_skill {
  const vbx_host_services *host;
  skill_pkg pkg;
} sf_skill;

static int sf_load(const vbx_host_services *h, const vbx_skill_config *cfg, skill_pkg *pkg,
                   vbx_call *call) {
  char msg[900];
  int rc = vbx_popt_none(h, cfg->options, "the file skill", call);
  if (rc != 0) return rc;
  rc = skill_pkg_load(cfg->spec_dir, cfg->value, pkg, msg, sizeof msg);
  if (rc != 0) return h->set_error(call, rc, NULL, "%s", msg);
  return 0;
}

static int sf_validate(void *state, const vbx_skill_config *cfg, vbx_call *call) {
  sf_state *st = state;
  skill_pkg pkg;
  int rc = sf_load(st->host, cfg, &pkg, call);
  if (rc == 0) skill_pkg_clear(&pkg);
  return rc;
}

static int sf_create(void *state, const vbx_skill_config *cfg, vbx_call *call, void **out) {
  sf_state *st = state;
  *out = NULL;
  sf_skill *s = calloc(1, sizeof *s);
  if (s == NULL) return st->host->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  s->host = st->host;
  int rc = sf_load(st->host, cfg, &s->pkg, call);
  if (rc != 0) {
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

static void sf_destroy(void *skill) {
  sf_skill *s = skill;
  if (s == NULL) return;
  skill_pkg_clear(&s->pkg);
  free(s);
}

static int sf_provision(void *skill, const vbx_sandbox_ref *sandbox, vbx_skill_contrib *out,
                        vbx_call *call) {
  sf_skill *s = skill;
  return skill_pkg_install(&s->pkg, s->host, sandbox, out, call);
}

static const vbx_skill_type_vtable sf_vtable = {
    .struct_size = sizeof(vbx_skill_type_vtable),
    .name = "file",
    .description =
        "a local Agent Skills package (a directory with SKILL.md, or the file) "
        "installed at /skills/NAME/ and listed in the system prompt",
    .flags = VBX_VT_THREAD_SAFE,
    .validate = sf_validate,
    .create = sf_create,
    .destroy = sf_destroy,
    .provision = sf_provision,
    .call_tool = NULL,
};

static int sf_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  sf_state *st = calloc(1, sizeof *st);
  if (st == NULL) return VBX_E_NOMEM;
  st->host = host;
  int rc = reg->register_skill_type(reg->reg, &sf_vtable);
  if (rc != 0) {
    free(st);
    return rc;
  }
  *state = st;
  return 0;
}

static void sf_fini(void *state) { free(state); }

VBX_PLUGIN_DEFINE("skill-file", "0.1.0", "Apache-2.0", "skill type \"file\": local SKILL.md files",
                  sf_init, sf_fini)
