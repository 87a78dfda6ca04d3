/*
 * spec/blocks.c - `sandbox:`, `llm:`, `skills:` and `observe:` blocks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/blocks.h"
#include "spec/scalar.h"

static int env_block(vbx__spec_ctx *c, const vbx__node *n, vbx__sandbox_decl *s) {
  int rc = vbx__spec_map(c, n, "env");
  for (size_t i = 0; rc == 0 && i < n->n; i++) {
    const vbx__node *k = n->keys[i], *v = n->vals[i];
    if (!vbx__env_name_valid(k->text))
      return vbx__spec_fail(c, k,
                            "invalid environment variable name '%.100s' (A-Z a-z 0-9 _, not "
                            "starting with a digit)",
                            k->text);
    if (v->kind != VBX__NODE_SCALAR)
      return vbx__spec_fail(c, v, "env value of '%.100s' must be a scalar, got %s", k->text,
                            vbx__node_describe(v));
    if (vbx__sandbox_set_env(s, k->text, v->text) != 0) return vbx__spec_oom(c);
  }
  return rc;
}

static const char *const k_mount_keys[] = {"host", "guest", "read_only", NULL};

static int mount_entry(vbx__spec_ctx *c, const vbx__node *m, vbx_mount *out) {
  int rc = vbx__spec_map(c, m, "mounts entry");
  if (rc == 0) rc = vbx__spec_known_keys(c, m, k_mount_keys, "mount");
  if (rc == 0) rc = vbx__spec_require(c, m, "host", "mount");
  if (rc == 0) rc = vbx__spec_require(c, m, "guest", "mount");
  if (rc != 0) return rc;
  char *host = NULL, *guest = NULL;
  const vbx__node *g = vbx__node_get(m, "guest");
  const vbx__node *ro = vbx__node_get(m, "read_only");
  out->read_only = 1;
  rc = vbx__spec_str(c, vbx__node_get(m, "host"), "host", &host);
  if (rc == 0) rc = vbx__spec_str(c, g, "guest", &guest);
  if (rc == 0 && guest[0] != '/')
    rc = vbx__spec_fail(c, g, "mount guest path '%.200s' must be absolute", guest);
  if (rc == 0 && ro != NULL) rc = vbx__spec_bool(c, ro, "read_only", &out->read_only);
  out->struct_size = sizeof(*out);
  out->host_path = host;
  out->guest_path = guest;
  return rc;
}

static int mounts_block(vbx__spec_ctx *c, const vbx__node *n, vbx__sandbox_decl *s) {
  int rc = vbx__spec_list(c, n, "mounts");
  if (rc != 0) return rc;
  vbx_mount *m = calloc(n->n ? n->n : 1, sizeof(*m));
  if (m == NULL) return vbx__spec_oom(c);
  for (size_t i = 0; rc == 0 && i < n->n; i++)
    rc = mount_entry(c, n->vals[i], &m[i]);
  if (rc == 0 && vbx__sandbox_set_mounts(s, m, n->n) != 0) rc = vbx__spec_oom(c);
  for (size_t i = 0; i < n->n; i++) {
    free((char *)m[i].host_path);
    free((char *)m[i].guest_path);
  }
  free(m);
  return rc;
}

int vbx__spec_sandbox(vbx__spec_ctx *c, const vbx__node *n, vbx__sandbox_decl *s) {
  int rc = vbx__spec_map(c, n, "sandbox");
  if (rc != 0) return rc;
  s->pos = vbx__spec_pos(c, n);
  for (size_t i = 0; rc == 0 && i < n->n; i++) {
    const char *k = n->keys[i]->text;
    const vbx__node *v = n->vals[i];
    if (strcmp(k, "backend") == 0) {
      rc = vbx__spec_str(c, v, k, &s->backend);
      s->backend_pos = vbx__spec_pos(c, v);
    } else if (strcmp(k, "memory_mb") == 0) {
      rc = vbx__spec_u32(c, v, k, 16, 1048576, &s->memory_mb);
    } else if (strcmp(k, "vcpus") == 0) {
      rc = vbx__spec_u32(c, v, k, 1, 64, &s->vcpus);
    } else if (strcmp(k, "network") == 0) {
      rc = vbx__spec_network(c, v, s);
    } else if (strcmp(k, "timeout_secs") == 0) {
      rc = vbx__spec_u32(c, v, k, 0, 86400, &s->timeout_secs);
    } else if (strcmp(k, "disk_mb") == 0) {
      rc = vbx__spec_u32(c, v, k, 1, 1048576, &s->disk_mb);
    } else if (strcmp(k, "env") == 0) {
      rc = env_block(c, v, s);
    } else if (strcmp(k, "mounts") == 0) {
      rc = mounts_block(c, v, s);
    } else {
      rc = vbx__spec_option(c, &s->options, n->keys[i], v);
    }
  }
  return rc;
}

int vbx__spec_llm(vbx__spec_ctx *c, const vbx__node *n, vbx__llm_decl *l) {
  int rc = vbx__spec_map(c, n, "llm");
  if (rc != 0) return rc;
  l->pos = vbx__spec_pos(c, n);
  for (size_t i = 0; rc == 0 && i < n->n; i++) {
    const char *k = n->keys[i]->text;
    const vbx__node *v = n->vals[i];
    if (strcmp(k, "provider") == 0) {
      rc = vbx__spec_str(c, v, k, &l->provider);
      l->provider_pos = vbx__spec_pos(c, v);
    } else if (strcmp(k, "model") == 0) {
      rc = vbx__spec_str(c, v, k, &l->model);
    } else if (strcmp(k, "base_url") == 0) {
      rc = vbx__spec_str(c, v, k, &l->base_url);
    } else if (strcmp(k, "api_key_env") == 0) {
      rc = vbx__spec_str(c, v, k, &l->api_key_env);
      if (rc == 0 && !vbx__env_name_valid(l->api_key_env))
        rc = vbx__spec_fail(c, v, "invalid environment variable name '%.100s' in api_key_env",
                            l->api_key_env);
    } else {
      rc = vbx__spec_option(c, &l->options, n->keys[i], v);
    }
  }
  return rc;
}

/* Position of the TYPE text of a skill scalar or `type:` value. */
static vbx__pos text_pos(const vbx__spec_ctx *c, const vbx__node *n) {
  vbx__pos p = vbx__spec_pos(c, n);
  if (n->quoted) p.col++;
  return p;
}

static int skill_string(vbx__spec_ctx *c, const vbx__node *n, vbx__skill_decl *s) {
  if (n->kind != VBX__NODE_SCALAR || n->type != VBX__SCALAR_STR)
    return vbx__spec_fail(c, n, "a skill must be a \"TYPE:VALUE\" string or a map, got %s",
                          vbx__node_describe(n));
  int rc = vbx__skill_split(n->text, &s->type, &s->value);
  if (rc == VBX_E_INVAL)
    return vbx__spec_fail(c, n,
                          "malformed skill '%.200s': expected \"TYPE:VALUE\" with TYPE of "
                          "a-z 0-9 _ - (e.g. \"file:skills/x/SKILL.md\")",
                          n->text);
  return rc ? vbx__spec_oom(c) : 0;
}

static int skill_map(vbx__spec_ctx *c, const vbx__node *n, vbx__skill_decl *s) {
  int rc = vbx__spec_require(c, n, "type", "skill");
  for (size_t i = 0; rc == 0 && i < n->n; i++) {
    const char *k = n->keys[i]->text;
    const vbx__node *v = n->vals[i];
    if (strcmp(k, "type") == 0) {
      rc = vbx__spec_str(c, v, k, &s->type);
      if (rc == 0 && !vbx__skill_type_valid(s->type))
        rc = vbx__spec_fail(c, v, "invalid skill type '%.100s' (a-z 0-9 _ -)", s->type);
      s->type_pos = text_pos(c, v);
    } else if (strcmp(k, "value") == 0) {
      rc = vbx__spec_str(c, v, k, &s->value);
    } else {
      rc = vbx__spec_option(c, &s->options, n->keys[i], v);
    }
  }
  return rc;
}

int vbx__spec_skills(vbx__spec_ctx *c, const vbx__node *n, vbx_box *b) {
  int rc = vbx__spec_list(c, n, "skills");
  if (rc == 0 && b->n_skills + n->n > VBX__SPEC_MAX_SKILLS)
    rc = vbx__spec_fail(c, n, "too many skills (%zu; the limit is %d)", b->n_skills + n->n,
                        VBX__SPEC_MAX_SKILLS);
  for (size_t i = 0; rc == 0 && i < n->n; i++) {
    const vbx__node *item = n->vals[i];
    vbx__skill_decl s;
    memset(&s, 0, sizeof(s));
    s.pos = vbx__spec_pos(c, item);
    s.type_pos = text_pos(c, item);
    rc = item->kind == VBX__NODE_MAP ? skill_map(c, item, &s) : skill_string(c, item, &s);
    if (rc == 0 && vbx__box_add_skill(b, &s) != 0) rc = vbx__spec_oom(c);
    vbx__skill_decl_clear(&s);
  }
  return rc;
}

/* Record a position under `key` in o (no value). */
static int keep_pos(vbx__spec_ctx *c, vbx__options *o, const char *key, const vbx__node *at) {
  vbx__keypos *k = realloc(o->keys, (o->n_keys + 1) * sizeof(*k));
  if (k == NULL) return vbx__spec_oom(c);
  o->keys = k;
  if ((k[o->n_keys].key = strdup(key)) == NULL) return vbx__spec_oom(c);
  k[o->n_keys++].pos = vbx__spec_pos(c, at);
  return 0;
}

static const char *const k_observe_keys[] = {"exporters", NULL};

static int exporter(vbx__spec_ctx *c, const vbx__node *e, size_t i, vbx__options *o) {
  int rc = vbx__spec_map(c, e, "exporters entry");
  if (rc == 0) rc = vbx__spec_require(c, e, "type", "exporter");
  char *type = NULL, name[160];
  if (rc == 0) rc = vbx__spec_str(c, vbx__node_get(e, "type"), "type", &type);
  free(type);
  snprintf(name, sizeof(name), "exporters[%zu]", i);
  if (rc == 0) rc = keep_pos(c, o, name, e);
  for (size_t j = 0; rc == 0 && j < e->n; j++) {
    snprintf(name, sizeof(name), "exporters[%zu].%.100s", i, e->keys[j]->text);
    rc = keep_pos(c, o, name, strcmp(e->keys[j]->text, "type") ? e->keys[j] : e->vals[j]);
  }
  return rc;
}

int vbx__spec_observe(vbx__spec_ctx *c, const vbx__node *k, const vbx__node *n, vbx_pipeline *p) {
  int rc = vbx__spec_map(c, n, "observe");
  if (rc == 0) rc = vbx__spec_known_keys(c, n, k_observe_keys, "observe");
  if (rc == 0) rc = keep_pos(c, &p->observe_opts, "observe", k);
  const vbx__node *ex = vbx__node_get(n, "exporters");
  if (rc == 0 && ex != NULL) {
    rc = vbx__spec_list(c, ex, "exporters");
    for (size_t i = 0; rc == 0 && i < n->n; i++)
      if (strcmp(n->keys[i]->text, "exporters") == 0)
        rc = keep_pos(c, &p->observe_opts, "exporters", n->keys[i]);
    for (size_t i = 0; rc == 0 && i < ex->n; i++)
      rc = exporter(c, ex->vals[i], i, &p->observe_opts);
  }
  if (rc != 0) return rc;
  const vbx__node *bad;
  p->observe = vbx__node_to_json(n, &bad);
  if (p->observe == NULL && bad != NULL)
    return vbx__spec_fail(c, bad, "'%.60s' cannot be represented in JSON", bad->text);
  return p->observe ? 0 : vbx__spec_oom(c);
}
