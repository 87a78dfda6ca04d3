/*
 * skill-file/plugin.c - the plugin descriptor and the skill type "file":
 * `file:PATH` names a local SKILL.md that is copied into the sandbox at
 * /skills/NAME/SKILL.md and added to the system prompt as
 * "## Skill: NAME\n<body>". It declares no tools.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "popt.h"
#include "skill_md.h"
#include "voidbox/plugin.h"

typedef struct sf_state {
  const vbx_host_services *host;
} sf_state;

typedef struct sf_skill {
  const vbx_host_services *host;
  skill_md md;
} sf_skill;

static int sf_load(const vbx_host_services *h, const vbx_skill_config *cfg, skill_md *md,
                   vbx_call *call) {
  char msg[900];
  int rc = vbx_popt_none(h, cfg->options, "the file skill", call);
  if (rc != 0) return rc;
  rc = skill_md_load(cfg->spec_dir, cfg->value, md, msg, sizeof msg);
  if (rc != 0) return h->set_error(call, rc, NULL, "%s", msg);
  return 0;
}

static int sf_validate(void *state, const vbx_skill_config *cfg, vbx_call *call) {
  sf_state *st = state;
  skill_md md;
  int rc = sf_load(st->host, cfg, &md, call);
  if (rc == 0) skill_md_clear(&md);
  return rc;
}

static int sf_create(void *state, const vbx_skill_config *cfg, vbx_call *call, void **out) {
  sf_state *st = state;
  *out = NULL;
  sf_skill *s = calloc(1, sizeof *s);
  if (s == NULL) return st->host->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  s->host = st->host;
  int rc = sf_load(st->host, cfg, &s->md, call);
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
  skill_md_clear(&s->md);
  free(s);
}

static int sf_provision(void *skill, const vbx_sandbox_ref *sandbox, vbx_skill_contrib *out,
                        vbx_call *call) {
  sf_skill *s = skill;
  const vbx_host_services *h = s->host;
  char path[SKILL_NAME_MAX + 32];
  if (sandbox == NULL || sandbox->file_write == NULL)
    return h->set_error(call, VBX_E_UNSUPPORTED, NULL,
                        "file skill '%s': the sandbox cannot write files", s->md.name);
  snprintf(path, sizeof path, "/skills/%s/SKILL.md", s->md.name);
  int rc = sandbox->file_write(sandbox->handle, path, s->md.content, s->md.len, 0644, call);
  if (rc != 0) return rc; /* the sandbox set the message */
  size_t body = strlen(s->md.body);
  size_t n = strlen(s->md.name) + body + 16;
  out->name = h->strdup(s->md.name);
  out->system_prompt = h->alloc(n);
  out->tools = NULL;
  if (out->name == NULL || out->system_prompt == NULL) {
    h->free(out->name);
    h->free(out->system_prompt);
    out->name = out->system_prompt = NULL;
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  }
  snprintf(out->system_prompt, n, "## Skill: %s\n%s", s->md.name, s->md.body);
  return 0;
}

static const vbx_skill_type_vtable sf_vtable = {
    .struct_size = sizeof(vbx_skill_type_vtable),
    .name = "file",
    .description = "a local SKILL.md copied to /skills/NAME/ and added to the system prompt",
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
