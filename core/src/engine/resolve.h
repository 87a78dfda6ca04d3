/*
 * engine/resolve.h - a resolved box: its plugins found in the frozen
 * registry and each plugin asked to validate its options, once, by
 * vbx_pipeline_check (run/plan.h keeps the records for the run). The
 * engine runs a box from its record and never looks a plugin up.
 */
#ifndef VBX_ENGINE_RESOLVE_H
#define VBX_ENGINE_RESOLVE_H

#include "model/model.h"
#include "plugin/call.h"
#include "plugin/registry.h"

#define VBX__MAX_SKILLS 64

/* A resolved box: the implementations its sandbox backend, LLM provider
 * and skill types name, found in the frozen registry, whose plugins
 * accepted the box's options (vbx__box_prepare). vbx_pipeline_check makes
 * one per box (run/plan.h); the run creates the box's instances from it
 * without looking anything up or validating again. Borrowed: the box from
 * the model, the implementations from the registry. */
/* The agent engine a box runs, chosen by an `agent:NAME` skill. */
typedef enum vbx__engine_kind {
  VBX__ENGINE_NATIVE = 0,     /* agent:voidbox, the default: engine/loop.c */
  VBX__ENGINE_CLAUDE_CODE = 1 /* agent:claude-code: the CLI inside the sandbox */
} vbx__engine_kind;

typedef struct vbx__resolved_box {
  const vbx_box *box;
  const vbx__impl *sandbox;
  const vbx__impl *llm;
  /* box->n_skills entries; NULL for the `agent:` skill, which is the
   * engine's choice and no plugin's */
  const vbx__impl *skills[VBX__MAX_SKILLS];
  vbx__engine_kind engine;
} vbx__resolved_box;

/* The skill type that chooses the engine: "agent:voidbox" or
 * "agent:claude-code", at most once per box, no options. */
#define VBX__AGENT_SKILL_TYPE "agent"

/* Why a box was refused, and where in the spec (pos NULL or pos->file NULL
 * when unknown). */
typedef struct vbx__box_issue {
  int code;
  const vbx__pos *pos;
  char message[1024];
} vbx__box_issue;

/* Look up the box's sandbox backend, LLM provider and skill types into
 * *out (out->box = box), and its engine from an `agent:` skill (an unknown
 * engine, a second `agent:` skill, an option on it, or claude-code on a
 * backend that only simulates commands is VBX_E_INVAL at the skill). On a missing one, issue says which, with a "did
 * you mean" hint and the loaded names ("unknown sandbox backend 'mok' (did
 * you mean 'mock'?); loaded backends: mock, local"), and VBX_E_NOTFOUND is
 * returned. A box without an LLM provider or with too many skills gives
 * VBX_E_INVAL. Thread-safe. */
int vbx__box_resolve(const vbx__registry *reg, const vbx_box *box, vbx__resolved_box *out,
                     vbx__box_issue *issue);

/* Ask each plugin to validate its options: the backend's and provider's
 * validate_options, each skill type's validate. A plugin without that
 * method refuses any option (the issue names the first key). A refused
 * option is placed at its key's position when the plugin named the field.
 * `cancel`/`cancel2` are passed on in the vbx_call. Returns 0 or the
 * plugin's code (VBX_E_INVAL when the host refused). Thread-safe. */
int vbx__box_validate(const vbx__resolved_box *rb, const vbx__cancel *cancel,
                      const vbx__cancel *cancel2, vbx__box_issue *issue);

/* vbx__box_resolve, then vbx__box_validate: the one place a box's plugins
 * are looked up and asked about its options. Returns 0 with *out filled,
 * or the first refusal's code with issue set. Thread-safe. */
int vbx__box_prepare(const vbx__registry *reg, const vbx_box *box, const vbx__cancel *cancel,
                     const vbx__cancel *cancel2, vbx__resolved_box *out, vbx__box_issue *issue);

/* Create the box's LLM provider with the configuration a run gives it
 * (vbx__llm_config: the spec's directory included) and destroy it at
 * once, so what a provider checks only at create (mock's `script:` file,
 * a pricing file, the API key variable) is found before any box starts.
 * A refusal is placed at the option the provider named, else at
 * `provider:`; the provider's code is returned (VBX_E_AUTH for a missing
 * key: callers may treat that as the environment's, not the spec's). The
 * box must have been prepared (vbx__box_prepare). Runs plugin code in
 * the calling process. Thread-safe. */
int vbx__box_probe(const vbx__resolved_box *rb, const vbx__cancel *cancel, vbx__box_issue *issue);

/* The plugin-facing skill configuration of box->skills[i] (borrowed). */
void vbx__skill_config(const vbx_box *box, size_t i, vbx_skill_config *cfg);
/* The plugin-facing LLM configuration of the box (borrowed): what the
 * engine's create and vbx__box_probe pass. */
void vbx__llm_config(const vbx_box *box, vbx_llm_config *cfg);
/* Where a plugin's refusal points: the key of the option it named in
 * call->field when that key's position is known, else `fallback`. */
const vbx__pos *vbx__field_pos(const vbx__options *o, const vbx_call *call,
                               const vbx__pos *fallback);

#endif
