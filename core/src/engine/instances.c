/*
 * engine/instances.c - creating a box's plugin instances (sandbox, then
 * provider, then each skill, provisioned into the sandbox) and destroying
 * them in reverse order, from the implementations the box was resolved to
 * (br->rb); every call goes through plugin/instance.h. Processes the
 * skills left open (streaming exec, sandbox_ref.c) are closed once the
 * skills are gone, before the sandbox.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"
#include "gateway/gateway.h"

/* "FILE:LINE:COLUMN: " of the option a refusing create named, when its
 * position is known, else "" (builder-made boxes, unnamed fields). */
static const char *refused_at(const vbx__options *o, const vbx_call *call, char *buf, size_t cap) {
  const vbx__pos *p = vbx__field_pos(o, call, NULL);
  buf[0] = '\0';
  if (p != NULL && p->file != NULL && p->line > 0)
    snprintf(buf, cap, "%s:%d:%d: ", p->file, p->line, p->col);
  return buf;
}

/* The programs every skill of the box declared it runs (skill types'
 * `commands`), for the backend's allowlist: *out NULL-terminated, malloc'd
 * (vbx__strv_free), NULL when none. 0, or the box failed naming the skill. */
static int skill_commands(vbx__box_run *br, char ***out) {
  char **all = NULL;
  size_t n = 0;
  *out = NULL;
  for (size_t i = 0; i < br->box->n_skills; i++) {
    const vbx__impl *impl = br->rb->skills[i];
    if (impl == NULL || vbx__claude_code_owns_skill(br, i)) continue;
    vbx_skill_config cfg;
    vbx__skill_config(br->box, i, &cfg);
    vbx_call call;
    vbx__box_call(br, &call);
    char **got = NULL;
    int rc = vbx__impl_skill_commands(impl, br->box->name, &cfg, &got, &call);
    const vbx__skill_decl *s = &br->box->skills[i];
    if (rc != 0) {
      vbx__strv_free(all);
      return vbx__box_result_fail(br->res, rc, "skill '%s%s%s': %s", s->type, s->value ? ":" : "",
                                  s->value ? s->value : "", vbx__call_message(&call, rc));
    }
    size_t m = 0;
    while (got && got[m])
      m++;
    if (m == 0) {
      free(got);
      continue;
    }
    char **g = realloc(all, (n + m + 1) * sizeof(*g));
    if (g == NULL) {
      vbx__strv_free(got);
      vbx__strv_free(all);
      return vbx__box_result_fail(br->res, VBX_E_NOMEM, "out of memory");
    }
    all = g;
    memcpy(all + n, got, m * sizeof(*got)); /* the strings move over */
    n += m;
    all[n] = NULL;
    free(got);
  }
  *out = all;
  return 0;
}

/* On qemu the claude-code CLI (a glibc program from the host) needs the
 * host's userland in the guest: the box's options with host_userland set
 * (*out, a new reference; NULL elsewhere). A spec that turned it off is
 * refused: the CLI could not start. 0 or the box failed. */
static int claude_code_options(vbx__box_run *br, json_t **out) {
  const vbx__sandbox_decl *sd = &br->box->sandbox;
  *out = NULL;
  if (strcmp(br->rb->sandbox->name, "qemu") != 0) return 0;
  json_t *hu = sd->options.obj ? json_object_get(sd->options.obj, "host_userland") : NULL;
  if (hu != NULL && !json_is_true(hu)) {
    const vbx__pos *p = vbx__options_pos(&sd->options, "host_userland");
    return vbx__box_result_fail(br->res, VBX_E_SPEC,
                                "%s%s%d:%d: agent:claude-code on qemu needs host_userland: the "
                                "CLI is a glibc program from the host; remove host_userland: false",
                                p && p->file ? p->file : "", p && p->file ? ":" : "",
                                p ? p->line : 0, p ? p->col : 0);
  }
  json_t *o = sd->options.obj ? json_deep_copy(sd->options.obj) : json_object();
  if (o == NULL || json_object_set_new(o, "host_userland", json_true()) != 0) {
    json_decref(o);
    return vbx__box_result_fail(br->res, VBX_E_NOMEM, "out of memory");
  }
  *out = o;
  return 0;
}

static int create_sandbox(vbx__box_run *br) {
  const vbx_box *box = br->box;
  const vbx__sandbox_decl *sd = &box->sandbox;
  vbx_sandbox_config cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.struct_size = sizeof(cfg);
  cfg.box_name = box->name;
  cfg.memory_mb = sd->memory_mb;
  cfg.vcpus = sd->vcpus;
  cfg.network = sd->network;
  cfg.env = (const char *const *)sd->env;
  cfg.mounts = sd->mounts;
  cfg.n_mounts = sd->n_mounts;
  cfg.timeout_secs = sd->timeout_secs;
  cfg.options = (const vbx_json *)sd->options.obj;
  cfg.spec_dir = box->base_dir;
  cfg.disk_mb = sd->disk_mb;
  cfg.network_policy = sd->network ? sd->network_policy : NULL;
  const vbx__impl *impl = br->rb->sandbox;
  if (!vbx__impl_has(impl, VBX_M_CREATE))
    return vbx__box_result_fail(br->res, VBX_E_PLUGIN, "sandbox backend '%s' has no create method",
                                impl->name);
  char **commands = NULL; /* what the skills run, for an allowlist */
  int rc = skill_commands(br, &commands);
  if (rc != 0) return rc;
  cfg.skill_commands = (const char *const *)commands;
  json_t *opts = NULL;      /* the spec's options, plus what claude-code needs */
  vbx_mount *mounts = NULL; /* the spec's, plus claude-code's CLI */
  if (br->cc.gw != NULL && (rc = claude_code_options(br, &opts)) != 0) {
    vbx__strv_free(commands);
    return rc;
  }
  if (opts != NULL) cfg.options = (const vbx_json *)opts;
  if (br->cc.gw != NULL) {
    cfg.llm_gateway_port = vbx__gateway_port(br->cc.gw);
    mounts = calloc(sd->n_mounts + 1, sizeof(*mounts));
    if (mounts == NULL) {
      vbx__strv_free(commands);
      json_decref(opts);
      return vbx__box_result_fail(br->res, VBX_E_NOMEM, "out of memory");
    }
    if (sd->n_mounts) memcpy(mounts, sd->mounts, sd->n_mounts * sizeof(*mounts));
    mounts[sd->n_mounts] = br->cc.mount;
    cfg.mounts = mounts;
    cfg.n_mounts = sd->n_mounts + 1;
  }
  char **env = vbx__obs_sandbox_env(cfg.env);
  if (env == NULL) {
    free(mounts);
    vbx__strv_free(commands);
    json_decref(opts);
    return vbx__box_result_fail(br->res, VBX_E_NOMEM, "out of memory");
  }
  cfg.env = (const char *const *)env;
  vbx_call call;
  vbx__box_call(br, &call);
  vbx__obs_scope saved;
  vbx_span *span = vbx__obs_phase_begin("sandbox.create", &saved);
  vbx__span_attr(span, "voidbox.sandbox.backend", impl->name);
  rc = vbx__inst_sandbox_create(&br->sandbox, impl, box->name, &cfg, &call);
  vbx__obs_phase_end(span, rc, rc != 0 ? vbx__call_message(&call, rc) : NULL, &saved);
  vbx__strv_free(env);
  free(mounts); /* the backend copied what it keeps */
  vbx__strv_free(commands);
  json_decref(opts);
  char at[600];
  if (rc != 0)
    return vbx__box_result_fail(br->res, rc, "%ssandbox backend '%s': %s",
                                refused_at(&sd->options, &call, at, sizeof(at)), impl->name,
                                vbx__call_message(&call, rc));
  return 0;
}

static int create_provider(vbx__box_run *br) {
  vbx_llm_config cfg;
  vbx__llm_config(br->box, &cfg);
  const vbx__impl *impl = br->rb->llm;
  if (!vbx__impl_has(impl, VBX_M_CREATE) || !vbx__impl_has(impl, VBX_M_COMPLETE))
    return vbx__box_result_fail(
        br->res, VBX_E_PLUGIN, "llm provider '%s' lacks the create or complete method", impl->name);
  vbx_call call;
  vbx__box_call(br, &call);
  int rc = vbx__inst_llm_create(&br->provider, impl, br->box->name, &cfg, &call);
  char at[600];
  if (rc != 0)
    return vbx__box_result_fail(br->res, rc, "%sllm provider '%s': %s",
                                refused_at(&br->box->llm.options, &call, at, sizeof(at)),
                                impl->name, vbx__call_message(&call, rc));
  return 0;
}

static char *skill_label(const vbx__skill_decl *s) {
  vbx__strbuf sb = VBX__STRBUF_INIT;
  vbx__strbuf_printf(&sb, "%s%s%s", s->type ? s->type : "", s->value ? ":" : "",
                     s->value ? s->value : "");
  return sb.failed ? NULL : vbx__strbuf_take(&sb);
}

static int create_skill_inst(vbx__box_run *br, size_t i);

/* One skill, created and provisioned under a "skill.provision" span. */
static int create_skill(vbx__box_run *br, size_t i) {
  if (br->rb->skills[i] == NULL) return create_skill_inst(br, i);
  char name[300];
  const vbx__skill_decl *s = &br->box->skills[i];
  snprintf(name, sizeof(name), "skill.provision %.100s%s%.150s", s->type ? s->type : "",
           s->value ? ":" : "", s->value ? s->value : "");
  vbx__obs_scope saved;
  vbx_span *span = vbx__obs_phase_begin(name, &saved);
  int rc = create_skill_inst(br, i);
  vbx__obs_phase_end(span, rc, rc != 0 ? br->res->error : NULL, &saved);
  return rc;
}

static int create_skill_inst(vbx__box_run *br, size_t i) {
  const vbx__skill_decl *s = &br->box->skills[i];
  vbx__skill_inst *si = &br->skills[i];
  memset(si, 0, sizeof(*si));
  const vbx__impl *impl = br->rb->skills[i];
  si->inst.impl = impl;
  if ((si->label = skill_label(s)) == NULL)
    return vbx__box_result_fail(br->res, VBX_E_NOMEM, "out of memory");
  br->n_skills = i + 1;
  /* the agent: skill chose the engine, and claude-code starts its mcp
   * servers itself: nothing to create */
  if (impl == NULL || vbx__claude_code_owns_skill(br, i)) return 0;
  if (!vbx__impl_has(impl, VBX_M_CREATE) || !vbx__impl_has(impl, VBX_M_PROVISION))
    return vbx__box_result_fail(br->res, VBX_E_PLUGIN,
                                "skill type '%s' lacks the create or provision method", impl->name);
  vbx_skill_config cfg;
  vbx__skill_config(br->box, i, &cfg);
  vbx_call call;
  vbx__box_call(br, &call);
  int rc = vbx__inst_skill_create(&si->inst, impl, br->box->name, &cfg, &call);
  char at[600];
  if (rc != 0)
    return vbx__box_result_fail(br->res, rc, "%sskill '%s': %s",
                                refused_at(&s->options, &call, at, sizeof(at)), si->label,
                                vbx__call_message(&call, rc));
  vbx_skill_contrib contrib;
  memset(&contrib, 0, sizeof(contrib));
  contrib.struct_size = sizeof(contrib);
  vbx__box_call(br, &call);
  rc = vbx__inst_provision(&si->inst, &br->ref, &contrib, &call);
  si->system_prompt = contrib.system_prompt;
  si->tools = (json_t *)contrib.tools;
  if (contrib.name != NULL && contrib.name[0] != '\0') {
    free(si->label);
    si->label = contrib.name;
  } else {
    free(contrib.name);
  }
  if (rc != 0)
    return vbx__box_result_fail(br->res, rc, "skill '%s': provisioning failed: %s", si->label,
                                vbx__call_message(&call, rc));
  if (si->tools != NULL && !json_is_array(si->tools))
    return vbx__box_result_fail(br->res, VBX_E_PLUGIN, "skill '%s': tools is not an array",
                                si->label);
  return 0;
}

int vbx__box_setup(vbx__box_run *br) {
  vbx__sandbox_ref_init(br);
  int rc = create_sandbox(br);
  if (rc != 0) return rc;
  /* agent:claude-code's model calls go through the gateway's own instance */
  if (br->cc.gw == NULL && (rc = create_provider(br)) != 0) return rc;
  for (size_t i = 0; i < br->box->n_skills; i++)
    if ((rc = create_skill(br, i)) != 0) return rc;
  return 0;
}

void vbx__box_teardown(vbx__box_run *br) {
  uint64_t deadline = vbx__now_ns() + VBX__INST_DESTROY_NS;
  for (size_t i = br->n_skills; i-- > 0;) {
    vbx__skill_inst *si = &br->skills[i];
    vbx__inst_destroy(&si->inst, deadline);
    free(si->label);
    free(si->system_prompt);
    json_decref(si->tools);
    memset(si, 0, sizeof(*si));
  }
  br->n_skills = 0;
  vbx__procs_close_all(br, deadline);
  vbx__inst_destroy(&br->provider, deadline);
  vbx__obs_sandbox_sample(br);
  if (br->sandbox.handle != NULL) {
    vbx__obs_scope saved;
    vbx_span *span = vbx__obs_phase_begin("sandbox.destroy", &saved);
    vbx__inst_destroy(&br->sandbox, deadline);
    vbx__obs_phase_end(span, 0, NULL, &saved);
  }
}
