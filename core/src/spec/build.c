/*
 * spec/build.c - the spec's top level, `agent:` and `pipeline:` blocks:
 * node tree to model (model/model.h), defaults merged into every box.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/blocks.h"
#include "spec/spec.h"
#include "util/error.h"

typedef struct top {
  const vbx__node *sandbox, *llm; /* top-level defaults, may be NULL */
} top;

static const char *const k_top_keys[] = {"api_version", "kind",     "name",    "sandbox", "llm",
                                         "agent",       "pipeline", "observe", NULL};
static const char *const k_kinds[] = {"agent", "pipeline", NULL};
static const char *const k_agent_keys[] = {"prompt",       "skills",      "max_turns",
                                           "timeout_secs", "output_file", NULL};
static const char *const k_pipeline_keys[] = {"boxes", "stages", "max_parallel", NULL};
static const char *const k_box_keys[] = {
    "name", "prompt", "skills", "llm", "sandbox", "max_turns", "timeout_secs", "output_file", NULL};
static const char *const k_stage_keys[] = {"box", "fan_out", "fail_fast", NULL};

/* The keys an agent block and a pipeline box share. */
static int box_field(vbx__spec_ctx *c, const char *k, const vbx__node *v, vbx_box *b) {
  if (strcmp(k, "prompt") == 0) return vbx__spec_str(c, v, k, &b->prompt);
  if (strcmp(k, "skills") == 0) return vbx__spec_skills(c, v, b);
  if (strcmp(k, "max_turns") == 0) return vbx__spec_u32(c, v, k, 1, 1000, &b->max_turns);
  if (strcmp(k, "timeout_secs") == 0) return vbx__spec_u32(c, v, k, 0, 86400, &b->timeout_secs);
  if (strcmp(k, "output_file") == 0) return vbx__spec_str(c, v, k, &b->output_file);
  return 0;
}

/* A box at node `at` with the defaults and top-level blocks applied. */
static int new_box(vbx__spec_ctx *c, const top *t, const char *name, const vbx__node *at,
                   vbx_box **out) {
  vbx_box *b = vbx__box_alloc(name);
  if (b == NULL || vbx__str_replace(&b->base_dir, c->base_dir) != 0) {
    vbx_box_free(b);
    return vbx__spec_oom(c);
  }
  b->pos = vbx__spec_pos(c, at);
  /* Until a block says otherwise, plugin complaints point at the box. */
  b->sandbox.pos = b->sandbox.backend_pos = b->llm.pos = b->llm.provider_pos = b->pos;
  int rc = 0;
  if (t->sandbox) rc = vbx__spec_sandbox(c, t->sandbox, &b->sandbox);
  if (rc == 0 && t->llm) rc = vbx__spec_llm(c, t->llm, &b->llm);
  if (rc != 0) {
    vbx_box_free(b);
    return rc;
  }
  *out = b;
  return 0;
}

static int add_box(vbx__spec_ctx *c, vbx_pipeline *p, vbx_box *b) {
  return vbx__pipeline_add_box(p, b) ? vbx__spec_oom(c) : 0;
}

static int agent_block(vbx__spec_ctx *c, const top *t, const vbx__node *n, vbx_pipeline *p) {
  int rc = vbx__spec_map(c, n, "agent");
  if (rc == 0) rc = vbx__spec_known_keys(c, n, k_agent_keys, "agent");
  if (rc == 0) rc = vbx__spec_require(c, n, "prompt", "agent");
  vbx_box *b = NULL;
  if (rc == 0) rc = new_box(c, t, p->name, n, &b);
  if (rc != 0) return rc;
  if ((rc = add_box(c, p, b)) != 0) return rc;
  for (size_t i = 0; rc == 0 && i < n->n; i++)
    rc = box_field(c, n->keys[i]->text, n->vals[i], b);
  if (rc == 0 && vbx__pipeline_add_stage(p, &b, 1, 0, b->pos) != 0) rc = vbx__spec_oom(c);
  return rc;
}

static int pipeline_box(vbx__spec_ctx *c, const top *t, const vbx__node *n, vbx_pipeline *p) {
  int rc = vbx__spec_map(c, n, "boxes entry");
  if (rc == 0) rc = vbx__spec_known_keys(c, n, k_box_keys, "box");
  if (rc == 0) rc = vbx__spec_require(c, n, "name", "box");
  if (rc == 0) rc = vbx__spec_require(c, n, "prompt", "box");
  char *name = NULL;
  const vbx__node *nn = vbx__node_get(n, "name");
  if (rc == 0) rc = vbx__spec_str(c, nn, "name", &name);
  if (rc == 0 && !vbx__name_valid(name))
    rc = vbx__spec_fail(c, nn, "invalid box name '%.200s' (1 to %d of A-Z a-z 0-9 _ . -)", name,
                        VBX__NAME_MAX);
  const vbx_box *same = rc == 0 ? vbx__pipeline_find_box(p, name) : NULL;
  if (same != NULL)
    rc = vbx__spec_fail(c, nn, "duplicate box name '%.200s' (first declared at line %d, column %d)",
                        name, same->pos.line, same->pos.col);
  vbx_box *b = NULL;
  if (rc == 0) rc = new_box(c, t, name, n, &b);
  free(name);
  if (rc == 0) rc = add_box(c, p, b);
  for (size_t i = 0; rc == 0 && i < n->n; i++) {
    const char *k = n->keys[i]->text;
    const vbx__node *v = n->vals[i];
    if (strcmp(k, "llm") == 0)
      rc = vbx__spec_llm(c, v, &b->llm);
    else if (strcmp(k, "sandbox") == 0)
      rc = vbx__spec_sandbox(c, v, &b->sandbox);
    else
      rc = box_field(c, k, v, b);
  }
  return rc;
}

/* The declared box called by the name at node v, or an error with a hint. */
static int stage_box(vbx__spec_ctx *c, vbx_pipeline *p, const vbx__node *v, const char *what,
                     vbx_box **out) {
  char *name = NULL;
  int rc = vbx__spec_str(c, v, what, &name);
  if (rc != 0) return rc;
  *out = vbx__pipeline_find_box(p, name);
  if (*out == NULL) {
    const char **names = calloc(p->n_boxes + 1, sizeof(*names));
    if (names == NULL) {
      free(name);
      return vbx__spec_oom(c);
    }
    for (size_t i = 0; i < p->n_boxes; i++)
      names[i] = p->boxes[i]->name;
    const char *hint = vbx__did_you_mean(name, names);
    rc = vbx__spec_fail(c, v, "unknown box '%.200s' in stage%s%.200s%s", name,
                        hint ? " (did you mean '" : " (no box of that name is declared)",
                        hint ? hint : "", hint ? "'?)" : "");
    free(names);
  }
  free(name);
  return rc;
}

static int stage(vbx__spec_ctx *c, const vbx__node *n, vbx_pipeline *p) {
  int rc = vbx__spec_map(c, n, "stages entry");
  if (rc == 0) rc = vbx__spec_known_keys(c, n, k_stage_keys, "stage");
  if (rc != 0) return rc;
  const vbx__node *one = vbx__node_get(n, "box"), *fan = vbx__node_get(n, "fan_out");
  if (one != NULL && fan != NULL)
    return vbx__spec_fail(c, n, "a stage has either 'box' or 'fan_out', not both");
  if (one == NULL && fan == NULL)
    return vbx__spec_fail(c, n, "missing required key 'box' or 'fan_out' in stage");
  const vbx__node *ff = vbx__node_get(n, "fail_fast");
  int fail_fast = 1;
  if (ff != NULL && one != NULL)
    return vbx__spec_fail(c, ff, "'fail_fast' applies to a 'fan_out' stage only");
  if (ff != NULL && (rc = vbx__spec_bool(c, ff, "fail_fast", &fail_fast)) != 0) return rc;
  vbx_box *b;
  if (one != NULL) {
    rc = stage_box(c, p, one, "box", &b);
    if (rc == 0 && vbx__pipeline_add_stage(p, &b, 1, 0, vbx__spec_pos(c, n)) != 0)
      rc = vbx__spec_oom(c);
    return rc;
  }
  if ((rc = vbx__spec_list(c, fan, "fan_out")) != 0) return rc;
  if (fan->n < 2)
    return vbx__spec_fail(c, fan, "'fan_out' needs at least 2 boxes, got %zu", fan->n);
  vbx_box **boxes = calloc(fan->n, sizeof(*boxes));
  if (boxes == NULL) return vbx__spec_oom(c);
  for (size_t i = 0; rc == 0 && i < fan->n; i++) {
    rc = stage_box(c, p, fan->vals[i], "fan_out entry", &boxes[i]);
    for (size_t j = 0; rc == 0 && j < i; j++)
      if (boxes[j] == boxes[i])
        rc = vbx__spec_fail(c, fan->vals[i], "box '%.200s' appears twice in one fan_out",
                            boxes[i]->name);
  }
  if (rc == 0 && vbx__pipeline_add_stage(p, boxes, fan->n, 1, vbx__spec_pos(c, n)) != 0)
    rc = vbx__spec_oom(c);
  if (rc == 0) p->stages[p->n_stages - 1].fail_fast = fail_fast;
  free(boxes);
  return rc;
}

/* Every declared box runs in some stage: a box no stage names is most
 * likely a typo or a leftover, refused at its name. */
static int unused_boxes(vbx__spec_ctx *c, const vbx__node *boxes, const vbx_pipeline *p) {
  for (size_t i = 0; i < p->n_boxes; i++) {
    int used = 0;
    for (size_t s = 0; s < p->n_stages && !used; s++)
      for (size_t j = 0; j < p->stages[s].n_boxes && !used; j++)
        used = p->stages[s].boxes[j] == p->boxes[i];
    if (!used)
      return vbx__spec_fail(c, vbx__node_get(boxes->vals[i], "name"),
                            "box '%.200s' is declared but no stage uses it (add a stage "
                            "'- box: %.200s' or remove the box)",
                            p->boxes[i]->name, p->boxes[i]->name);
  }
  return 0;
}

static int pipeline_block(vbx__spec_ctx *c, const top *t, const vbx__node *n, vbx_pipeline *p) {
  int rc = vbx__spec_map(c, n, "pipeline");
  if (rc == 0) rc = vbx__spec_known_keys(c, n, k_pipeline_keys, "pipeline");
  if (rc == 0) rc = vbx__spec_require(c, n, "boxes", "pipeline");
  if (rc == 0) rc = vbx__spec_require(c, n, "stages", "pipeline");
  if (rc != 0) return rc;
  const vbx__node *boxes = vbx__node_get(n, "boxes"), *stages = vbx__node_get(n, "stages");
  if ((rc = vbx__spec_list(c, boxes, "boxes")) != 0) return rc;
  if (boxes->n == 0) return vbx__spec_fail(c, boxes, "'boxes' must not be empty");
  for (size_t i = 0; rc == 0 && i < boxes->n; i++)
    rc = pipeline_box(c, t, boxes->vals[i], p);
  if (rc == 0) rc = vbx__spec_list(c, stages, "stages");
  if (rc == 0 && stages->n == 0) return vbx__spec_fail(c, stages, "'stages' must not be empty");
  for (size_t i = 0; rc == 0 && i < stages->n; i++)
    rc = stage(c, stages->vals[i], p);
  if (rc == 0) rc = unused_boxes(c, boxes, p);
  const vbx__node *mp = vbx__node_get(n, "max_parallel");
  uint32_t width = 0;
  if (rc == 0 && mp != NULL &&
      (rc = vbx__spec_u32(c, mp, "max_parallel", 1, VBX_MAX_PARALLEL_LIMIT, &width)) == 0)
    p->max_parallel = width;
  return rc;
}

/* api_version, kind and name, checked in that order. */
static int header(vbx__spec_ctx *c, const vbx__node *root, vbx_pipeline *p) {
  int rc = vbx__spec_require(c, root, "api_version", "the spec");
  if (rc != 0) return rc;
  const vbx__node *v = vbx__node_get(root, "api_version");
  if (v->kind != VBX__NODE_SCALAR || strcmp(v->text, "v1") != 0 || v->type != VBX__SCALAR_STR)
    return vbx__spec_fail(c, v, "unsupported api_version '%.60s' (this voidbox reads 'v1')",
                          v->kind == VBX__NODE_SCALAR ? v->text : vbx__node_describe(v));
  if ((rc = vbx__spec_require(c, root, "kind", "the spec")) != 0) return rc;
  v = vbx__node_get(root, "kind");
  if ((rc = vbx__spec_str(c, v, "kind", &p->kind)) != 0) return rc;
  if (strcmp(p->kind, "agent") != 0 && strcmp(p->kind, "pipeline") != 0) {
    const char *hint = vbx__did_you_mean(p->kind, k_kinds);
    return vbx__spec_fail(c, v, "unknown kind '%.100s'%s%s%s; expected 'agent' or 'pipeline'",
                          p->kind, hint ? " (did you mean '" : "", hint ? hint : "",
                          hint ? "'?)" : "");
  }
  if ((rc = vbx__spec_require(c, root, "name", "the spec")) != 0) return rc;
  v = vbx__node_get(root, "name");
  if ((rc = vbx__spec_str(c, v, "name", &p->name)) != 0) return rc;
  if (!vbx__name_valid(p->name))
    return vbx__spec_fail(c, v, "invalid name '%.200s' (1 to %d of A-Z a-z 0-9 _ . -)", p->name,
                          VBX__NAME_MAX);
  return 0;
}

int vbx__spec_build(vbx__spec_ctx *c, const vbx__node *root, vbx_pipeline *p) {
  if (root->kind != VBX__NODE_MAP)
    return vbx__spec_fail(c, root, "the spec must be a map, got %s", vbx__node_describe(root));
  int rc = vbx__spec_known_keys(c, root, k_top_keys, "the spec");
  if (rc == 0) rc = header(c, root, p);
  if (rc != 0) return rc;
  int is_agent = strcmp(p->kind, "agent") == 0;
  const char *want = is_agent ? "agent" : "pipeline", *other = is_agent ? "pipeline" : "agent";
  for (size_t i = 0; i < root->n; i++)
    if (strcmp(root->keys[i]->text, other) == 0)
      return vbx__spec_fail(c, root->keys[i],
                            "'%s' block is not allowed in a spec of kind %s (use '%s')", other,
                            want, want);
  if ((rc = vbx__spec_require(c, root, want, "the spec")) != 0) return rc;
  top t = {vbx__node_get(root, "sandbox"), vbx__node_get(root, "llm")};
  /* Check the defaults even where no box would read them. */
  if (t.sandbox && (rc = vbx__spec_map(c, t.sandbox, "sandbox")) != 0) return rc;
  if (t.llm && (rc = vbx__spec_map(c, t.llm, "llm")) != 0) return rc;
  for (size_t i = 0; rc == 0 && i < root->n; i++)
    if (strcmp(root->keys[i]->text, "observe") == 0)
      rc = vbx__spec_observe(c, root->keys[i], root->vals[i], p);
  if (rc != 0) return rc;
  const vbx__node *body = vbx__node_get(root, want);
  return is_agent ? agent_block(c, &t, body, p) : pipeline_block(c, &t, body, p);
}
