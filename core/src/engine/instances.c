/*
 * engine/instances.c - creating a box's plugin instances (sandbox, then
 * provider, then each skill, provisioned into the sandbox) and destroying
 * them in reverse order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/internal.h"

/* "FILE:LINE:COLUMN: " of the option a refusing create named, when its
 * position is known, else "" (builder-made boxes, unnamed fields). */
static const char *refused_at(const vbx__options *o, const vbx_call *call, char *buf,
                              size_t cap) {
  const vbx__pos *p = vbx__field_pos(o, call, NULL);
  buf[0] = '\0';
  if (p != NULL && p->file != NULL && p->line > 0)
    snprintf(buf, cap, "%s:%d:%d: ", p->file, p->line, p->col);
  return buf;
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
  br->sb_vt = br->impls.sandbox->vtable;
  if (!VBX_HAS_METHOD(br->sb_vt, vbx_sandbox_backend_vtable, create))
    return vbx__box_result_fail(br->res, VBX_E_PLUGIN, "sandbox backend '%s' has no create method",
                                br->impls.sandbox->name);
  vbx_call call;
  vbx__box_call(br, &call);
  void *sb = NULL;
  int rc;
  VBX__PLUGIN_CALL(VBX__IMPL_PLUGIN(br->impls.sandbox), "sandbox.create", box->name,
                   call.deadline_ns,
                   rc = br->sb_vt->create(br->impls.sandbox->plugin_state, &cfg, &call, &sb));
  if (rc == 0 && sb == NULL) rc = vbx__call_fail(&call, VBX_E_PLUGIN, NULL, "create returned no sandbox");
  char at[600];
  if (rc != 0)
    return vbx__box_result_fail(br->res, rc, "%ssandbox backend '%s': %s",
                                refused_at(&sd->options, &call, at, sizeof(at)),
                                br->impls.sandbox->name, vbx__call_message(&call, rc));
  br->sandbox = sb;
  return 0;
}

static int create_provider(vbx__box_run *br) {
  vbx_llm_config cfg;
  vbx__llm_config(br->box, &cfg);
  br->llm_vt = br->impls.llm->vtable;
  if (!VBX_HAS_METHOD(br->llm_vt, vbx_llm_provider_vtable, create) ||
      !VBX_HAS_METHOD(br->llm_vt, vbx_llm_provider_vtable, complete))
    return vbx__box_result_fail(br->res, VBX_E_PLUGIN,
                                "llm provider '%s' lacks the create or complete method",
                                br->impls.llm->name);
  vbx_call call;
  vbx__box_call(br, &call);
  void *pv = NULL;
  int rc;
  VBX__PLUGIN_CALL(VBX__IMPL_PLUGIN(br->impls.llm), "llm.create", br->box->name, call.deadline_ns,
                   rc = br->llm_vt->create(br->impls.llm->plugin_state, &cfg, &call, &pv));
  if (rc == 0 && pv == NULL) rc = vbx__call_fail(&call, VBX_E_PLUGIN, NULL, "create returned no provider");
  char at[600];
  if (rc != 0)
    return vbx__box_result_fail(br->res, rc, "%sllm provider '%s': %s",
                                refused_at(&br->box->llm.options, &call, at, sizeof(at)),
                                br->impls.llm->name, vbx__call_message(&call, rc));
  br->provider = pv;
  return 0;
}

static char *skill_label(const vbx__skill_decl *s) {
  vbx__strbuf sb = VBX__STRBUF_INIT;
  vbx__strbuf_printf(&sb, "%s%s%s", s->type ? s->type : "", s->value ? ":" : "",
                     s->value ? s->value : "");
  return sb.failed ? NULL : vbx__strbuf_take(&sb);
}

static int create_skill(vbx__box_run *br, size_t i) {
  const vbx__skill_decl *s = &br->box->skills[i];
  vbx__skill_inst *si = &br->skills[i];
  memset(si, 0, sizeof(*si));
  si->impl = br->impls.skills[i];
  si->vt = si->impl->vtable;
  if ((si->label = skill_label(s)) == NULL) return vbx__box_result_fail(br->res, VBX_E_NOMEM, "out of memory");
  br->n_skills = i + 1;
  if (!VBX_HAS_METHOD(si->vt, vbx_skill_type_vtable, create) ||
      !VBX_HAS_METHOD(si->vt, vbx_skill_type_vtable, provision))
    return vbx__box_result_fail(br->res, VBX_E_PLUGIN,
                                "skill type '%s' lacks the create or provision method",
                                si->impl->name);
  vbx_skill_config cfg;
  vbx__skill_config(br->box, i, &cfg);
  vbx_call call;
  vbx__box_call(br, &call);
  void *h = NULL;
  int rc;
  VBX__PLUGIN_CALL(VBX__IMPL_PLUGIN(si->impl), "skill.create", br->box->name, call.deadline_ns,
                   rc = si->vt->create(si->impl->plugin_state, &cfg, &call, &h));
  if (rc == 0 && h == NULL) rc = vbx__call_fail(&call, VBX_E_PLUGIN, NULL, "create returned no skill");
  char at[600];
  if (rc != 0)
    return vbx__box_result_fail(br->res, rc, "%sskill '%s': %s",
                                refused_at(&s->options, &call, at, sizeof(at)), si->label,
                                vbx__call_message(&call, rc));
  si->handle = h;
  vbx_skill_contrib contrib;
  memset(&contrib, 0, sizeof(contrib));
  contrib.struct_size = sizeof(contrib);
  vbx__box_call(br, &call);
  VBX__PLUGIN_CALL(VBX__IMPL_PLUGIN(si->impl), "skill.provision", br->box->name, call.deadline_ns,
                   rc = si->vt->provision(h, &br->ref, &contrib, &call));
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
  if ((rc = create_provider(br)) != 0) return rc;
  for (size_t i = 0; i < br->box->n_skills; i++)
    if ((rc = create_skill(br, i)) != 0) return rc;
  return 0;
}

void vbx__box_teardown(vbx__box_run *br) {
  const char *box = br->box->name;
  uint64_t deadline = vbx__now_ns() + VBX__TEARDOWN_NS;
  for (size_t i = br->n_skills; i-- > 0;) {
    vbx__skill_inst *si = &br->skills[i];
    if (si->handle != NULL && VBX_HAS_METHOD(si->vt, vbx_skill_type_vtable, destroy))
      VBX__PLUGIN_CALL(VBX__IMPL_PLUGIN(si->impl), "skill.destroy", box, deadline,
                       si->vt->destroy(si->handle));
    free(si->label);
    free(si->system_prompt);
    json_decref(si->tools);
    memset(si, 0, sizeof(*si));
  }
  br->n_skills = 0;
  if (br->provider != NULL && VBX_HAS_METHOD(br->llm_vt, vbx_llm_provider_vtable, destroy))
    VBX__PLUGIN_CALL(VBX__IMPL_PLUGIN(br->impls.llm), "llm.destroy", box, deadline,
                     br->llm_vt->destroy(br->provider));
  br->provider = NULL;
  if (br->sandbox != NULL && VBX_HAS_METHOD(br->sb_vt, vbx_sandbox_backend_vtable, destroy))
    VBX__PLUGIN_CALL(VBX__IMPL_PLUGIN(br->impls.sandbox), "sandbox.destroy", box, deadline,
                     br->sb_vt->destroy(br->sandbox));
  br->sandbox = NULL;
}
