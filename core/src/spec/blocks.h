/*
 * spec/blocks.h - the reusable blocks of a spec: `sandbox:`, `llm:`,
 * `skills:` and `observe:`.
 */
#ifndef VBX_SPEC_BLOCKS_H
#define VBX_SPEC_BLOCKS_H

#include "spec/schema.h"

/* Largest number of skills one box may declare. */
#define VBX__SPEC_MAX_SKILLS 64

/* Apply a `sandbox:` map onto s key by key (set keys override, options
 * merged key by key, `mounts` replaced as a whole). */
int vbx__spec_sandbox(vbx__spec_ctx *c, const vbx__node *n, vbx__sandbox_decl *s);
/* `sandbox.network` (network.c): a boolean, or an egress policy map whose
 * entries are checked where they stand; the map sets s->network and
 * s->network_policy (normalized JSON). 0 or VBX_E_SPEC. */
int vbx__spec_network(vbx__spec_ctx *c, const vbx__node *v, vbx__sandbox_decl *s);
/* Apply an `llm:` map onto l key by key. */
int vbx__spec_llm(vbx__spec_ctx *c, const vbx__node *n, vbx__llm_decl *l);
/* Append the skills of a `skills:` list to the box. */
int vbx__spec_skills(vbx__spec_ctx *c, const vbx__node *n, vbx_box *b);
/* Check an `observe:` map (key node k, value n) and store it in p->observe
 * with positions in p->observe_opts ("observe", "exporters",
 * "exporters[I]", "exporters[I].KEY"). */
int vbx__spec_observe(vbx__spec_ctx *c, const vbx__node *k, const vbx__node *n, vbx_pipeline *p);

#endif
