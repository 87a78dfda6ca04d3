/*
 * engine/resolve.c - a box's plugins: lookup in the frozen registry with
 * "did you mean" hints, and option validation by each plugin, into one
 * vbx__resolved_box (resolve.h). Plugin calls go through plugin/instance.h.
 */
#include "engine/resolve.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plugin/instance.h"
#include "util/error.h"
#include "util/strbuf.h"

static int issue_set(vbx__box_issue *issue, int code, const vbx__pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int issue_set(vbx__box_issue *issue, int code, const vbx__pos *pos, const char *fmt, ...) {
  if (issue == NULL) return code;
  issue->code = code;
  issue->pos = pos;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(issue->message, sizeof(issue->message), fmt, ap);
  va_end(ap);
  return code;
}

/* "unknown KIND 'x' (did you mean 'y'?); loaded PLURAL: a, b" */
static int unknown(const vbx__registry *reg, vbx__kind kind, const char *what, const char *plural,
                   const char *name, const vbx__pos *pos, vbx__box_issue *issue) {
  const char *const *names = vbx__registry_names(reg, kind);
  const char *hint = vbx__did_you_mean(name, names);
  vbx__strbuf sb = VBX__STRBUF_INIT;
  for (size_t i = 0; names && names[i]; i++)
    vbx__strbuf_printf(&sb, "%s%s", i ? ", " : "", names[i]);
  char hints[160] = "";
  if (hint) snprintf(hints, sizeof(hints), " (did you mean '%s'?)", hint);
  issue_set(issue, VBX_E_NOTFOUND, pos, "unknown %s '%s'%s; loaded %s: %s", what, name, hints,
            plural, sb.len ? sb.data : "none");
  vbx__strbuf_reset(&sb);
  return VBX_E_NOTFOUND;
}

/* The `agent:` skill s: which engine runs the box. `before` is an earlier
 * agent: skill of the box, or NULL. */
static int resolve_engine(vbx__resolved_box *out, const vbx__skill_decl *s,
                          const vbx__skill_decl *before, vbx__box_issue *issue) {
  const char *v = s->value ? s->value : "";
  if (before != NULL)
    return issue_set(issue, VBX_E_INVAL, &s->pos,
                     "box '%s' chooses its agent engine twice ('agent:%s' and 'agent:%s'); keep "
                     "one",
                     out->box->name, before->value ? before->value : "", v);
  const char *key = s->options.obj && json_object_size(s->options.obj)
                        ? json_object_iter_key(json_object_iter(s->options.obj))
                        : NULL;
  if (key != NULL) {
    const vbx__pos *kp = vbx__options_pos(&s->options, key);
    return issue_set(issue, VBX_E_INVAL, kp ? kp : &s->pos,
                     "the agent engine takes no options, but option '%s' is set", key);
  }
  if (strcmp(v, "voidbox") == 0) {
    out->engine = VBX__ENGINE_NATIVE;
  } else if (strcmp(v, "claude-code") == 0) {
    const vbx_sandbox_backend_vtable *vt = out->sandbox->vtable;
    if (vt->flags & VBX_SANDBOX_IS_SIMULATED)
      return issue_set(issue, VBX_E_INVAL, &s->pos,
                       "agent:claude-code runs the claude-code CLI inside the sandbox, but "
                       "sandbox backend '%s' only simulates commands; use local or qemu",
                       out->sandbox->name);
    if (strcmp(out->sandbox->name, "kvm") == 0)
      return issue_set(issue, VBX_E_INVAL, &s->pos,
                       "agent:claude-code mounts the host's claude-code CLI into the box, and "
                       "sandbox backend 'kvm' has no host mounts (no virtio-9p device); use "
                       "local or qemu");
    out->engine = VBX__ENGINE_CLAUDE_CODE;
  } else {
    static const char *const engines[] = {"voidbox", "claude-code", NULL};
    const char *hint = vbx__did_you_mean(v, engines);
    for (size_t i = 0; hint == NULL && v[0] != '\0' && engines[i] != NULL; i++)
      if (strncmp(engines[i], v, strlen(v)) == 0) hint = engines[i]; /* "claude" */
    char hints[80] = "";
    if (hint) snprintf(hints, sizeof(hints), " (did you mean '%s'?)", hint);
    return issue_set(issue, VBX_E_INVAL, s->value ? &s->type_pos : &s->pos,
                     "unknown agent engine '%s'%s; engines: voidbox (the default), claude-code", v,
                     hints);
  }
  return 0;
}

int vbx__box_resolve(const vbx__registry *reg, const vbx_box *box, vbx__resolved_box *out,
                     vbx__box_issue *issue) {
  memset(out, 0, sizeof(*out));
  out->box = box;
  const char *backend = box->sandbox.backend ? box->sandbox.backend : "mock";
  out->sandbox = vbx__registry_find(reg, VBX_KIND_SANDBOX, backend);
  if (out->sandbox == NULL)
    return unknown(reg, VBX_KIND_SANDBOX, "sandbox backend", "backends", backend,
                   &box->sandbox.backend_pos, issue);
  if (box->llm.provider == NULL || box->llm.provider[0] == '\0')
    return issue_set(issue, VBX_E_INVAL, box->llm.pos.line ? &box->llm.pos : &box->pos,
                     "box '%s' has no llm provider (set llm.provider)", box->name);
  out->llm = vbx__registry_find(reg, VBX_KIND_LLM, box->llm.provider);
  if (out->llm == NULL)
    return unknown(reg, VBX_KIND_LLM, "llm provider", "providers", box->llm.provider,
                   &box->llm.provider_pos, issue);
  if (box->n_skills > VBX__MAX_SKILLS)
    return issue_set(issue, VBX_E_INVAL, &box->pos, "box '%s' has %zu skills; the limit is %d",
                     box->name, box->n_skills, VBX__MAX_SKILLS);
  const vbx__skill_decl *agent = NULL;
  for (size_t i = 0; i < box->n_skills; i++) {
    const vbx__skill_decl *s = &box->skills[i];
    if (s->type != NULL && strcmp(s->type, VBX__AGENT_SKILL_TYPE) == 0) {
      int rc = resolve_engine(out, s, agent, issue);
      if (rc != 0) return rc;
      agent = s;
      continue;
    }
    out->skills[i] = vbx__registry_find(reg, VBX_KIND_SKILL, s->type ? s->type : "");
    if (out->skills[i] == NULL)
      return unknown(reg, VBX_KIND_SKILL, "skill type", "skill types", s->type ? s->type : "",
                     &s->type_pos, issue);
  }
  return 0;
}

void vbx__skill_config(const vbx_box *box, size_t i, vbx_skill_config *cfg) {
  const vbx__skill_decl *s = &box->skills[i];
  memset(cfg, 0, sizeof(*cfg));
  cfg->struct_size = sizeof(*cfg);
  cfg->type = s->type;
  cfg->value = s->value;
  cfg->options = (const vbx_json *)s->options.obj;
  cfg->box_name = box->name;
  cfg->spec_dir = box->base_dir;
}

void vbx__llm_config(const vbx_box *box, vbx_llm_config *cfg) {
  const vbx__llm_decl *ld = &box->llm;
  memset(cfg, 0, sizeof(*cfg));
  cfg->struct_size = sizeof(*cfg);
  cfg->box_name = box->name;
  cfg->model = ld->model;
  cfg->base_url = ld->base_url;
  cfg->api_key_env = ld->api_key_env;
  cfg->options = (const vbx_json *)ld->options.obj;
  cfg->spec_dir = box->base_dir;
}

/* First key of an options object, or NULL when it has none. */
static const char *first_key(const vbx__options *o) {
  if (o->obj == NULL || !json_is_object(o->obj) || json_object_size(o->obj) == 0) return NULL;
  return json_object_iter_key(json_object_iter(o->obj));
}

const vbx__pos *vbx__field_pos(const vbx__options *o, const vbx_call *call,
                               const vbx__pos *fallback) {
  const vbx__pos *p = call->field[0] ? vbx__options_pos(o, call->field) : NULL;
  return p ? p : fallback;
}

/* One plugin's validate_options (sandbox backend or LLM provider). */
static int validate_options(const vbx__impl *impl, const vbx__options *o, const vbx__pos *fallback,
                            const vbx__cancel *c1, const vbx__cancel *c2, vbx__box_issue *issue) {
  const char *what = vbx__impl_what(impl);
  const char *key = first_key(o);
  if (!vbx__impl_has(impl, VBX_M_VALIDATE)) {
    if (key == NULL) return 0;
    const vbx__pos *kp = vbx__options_pos(o, key);
    return issue_set(issue, VBX_E_INVAL, kp ? kp : fallback,
                     "%s '%s' takes no options, but option '%s' is set", what, impl->name, key);
  }
  vbx_call call;
  vbx__call_init(&call, c1, c2, 0);
  int rc = vbx__impl_validate_options(impl, NULL, (const vbx_json *)o->obj, &call);
  if (rc == 0) return 0;
  if (call.field[0])
    return issue_set(issue, rc, vbx__field_pos(o, &call, fallback),
                     "%s '%s' refused option '%s': %s", what, impl->name, call.field,
                     vbx__call_message(&call, rc));
  return issue_set(issue, rc, fallback, "%s '%s' refused its options: %s", what, impl->name,
                   vbx__call_message(&call, rc));
}

/* Skill i's type validates its declaration. */
static int validate_skill(const vbx__resolved_box *rb, size_t i, const vbx__cancel *c1,
                          const vbx__cancel *c2, vbx__box_issue *issue) {
  const vbx_box *box = rb->box;
  const vbx__skill_decl *s = &box->skills[i];
  const vbx__impl *impl = rb->skills[i];
  if (!vbx__impl_has(impl, VBX_M_VALIDATE)) {
    const char *key = first_key(&s->options);
    if (key == NULL) return 0;
    const vbx__pos *kp = vbx__options_pos(&s->options, key);
    return issue_set(issue, VBX_E_INVAL, kp ? kp : &s->pos,
                     "skill type '%s' takes no options, but option '%s' is set", impl->name, key);
  }
  vbx_skill_config cfg;
  vbx__skill_config(box, i, &cfg);
  vbx_call call;
  vbx__call_init(&call, c1, c2, 0);
  int rc = vbx__impl_skill_validate(impl, box->name, &cfg, &call);
  if (rc == 0) return 0;
  return issue_set(issue, rc, vbx__field_pos(&s->options, &call, &s->pos), "skill '%s%s%s': %s",
                   s->type, s->value ? ":" : "", s->value ? s->value : "",
                   vbx__call_message(&call, rc));
}

int vbx__box_validate(const vbx__resolved_box *rb, const vbx__cancel *cancel,
                      const vbx__cancel *cancel2, vbx__box_issue *issue) {
  const vbx_box *box = rb->box;
  int rc = validate_options(rb->sandbox, &box->sandbox.options, &box->sandbox.backend_pos, cancel,
                            cancel2, issue);
  if (rc == 0)
    rc = validate_options(rb->llm, &box->llm.options, &box->llm.provider_pos, cancel, cancel2,
                          issue);
  for (size_t i = 0; rc == 0 && i < box->n_skills; i++)
    if (rb->skills[i] != NULL) rc = validate_skill(rb, i, cancel, cancel2, issue);
  return rc;
}

int vbx__box_prepare(const vbx__registry *reg, const vbx_box *box, const vbx__cancel *cancel,
                     const vbx__cancel *cancel2, vbx__resolved_box *out, vbx__box_issue *issue) {
  int rc = vbx__box_resolve(reg, box, out, issue);
  return rc != 0 ? rc : vbx__box_validate(out, cancel, cancel2, issue);
}

int vbx__box_probe(const vbx__resolved_box *rb, const vbx__cancel *cancel, vbx__box_issue *issue) {
  const vbx_box *box = rb->box;
  const vbx__impl *impl = rb->llm;
  if (!vbx__impl_has(impl, VBX_M_CREATE)) return 0; /* the engine says so */
  vbx_llm_config cfg;
  vbx__llm_config(box, &cfg);
  vbx_call call;
  vbx__call_init(&call, cancel, NULL, 0);
  vbx__inst pv;
  int rc = vbx__inst_llm_create(&pv, impl, box->name, &cfg, &call);
  vbx__inst_destroy(&pv, 0);
  if (rc == 0) return 0;
  const vbx__pos *pos = vbx__field_pos(&box->llm.options, &call, &box->llm.provider_pos);
  if (call.field[0] && vbx__options_pos(&box->llm.options, call.field) != NULL)
    return issue_set(issue, rc, pos, "llm provider '%s' refused option '%s': %s", impl->name,
                     call.field, vbx__call_message(&call, rc));
  return issue_set(issue, rc, pos, "llm provider '%s': %s", impl->name,
                   vbx__call_message(&call, rc));
}
