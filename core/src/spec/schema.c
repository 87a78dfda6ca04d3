/*
 * spec/schema.c - typed reads from the node tree with positioned errors.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "spec/scalar.h"
#include "spec/schema.h"
#include "util/error.h"
#include "util/strbuf.h"

int vbx__spec_fail(vbx__spec_ctx *c, const vbx__node *at, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  return vbx__error_at(c->err, VBX_E_SPEC, c->file, at ? at->line : 0, at ? at->col : 0, "%s", msg);
}

int vbx__spec_oom(vbx__spec_ctx *c) {
  return vbx__error_set(c->err, VBX_E_NOMEM, "%s: out of memory", c->file);
}

vbx__pos vbx__spec_pos(const vbx__spec_ctx *c, const vbx__node *n) {
  vbx__pos p = {c->file, n ? n->line : 0, n ? n->col : 0};
  return p;
}

int vbx__spec_unknown_key(vbx__spec_ctx *c, const vbx__node *k, const char *const *known,
                          const char *where) {
  const char *hint = vbx__did_you_mean(k->text, known);
  if (hint != NULL)
    return vbx__spec_fail(c, k, "unknown key '%.100s' in %s (did you mean '%s'?)", k->text, where,
                          hint);
  vbx__strbuf sb = VBX__STRBUF_INIT;
  for (size_t i = 0; known[i]; i++)
    vbx__strbuf_printf(&sb, "%s%s", i ? ", " : "", known[i]);
  int rc = vbx__spec_fail(c, k, "unknown key '%.100s' in %s (known keys: %.600s)", k->text, where,
                          sb.data ? sb.data : "");
  vbx__strbuf_reset(&sb);
  return rc;
}

int vbx__spec_known_keys(vbx__spec_ctx *c, const vbx__node *m, const char *const *known,
                         const char *where) {
  for (size_t i = 0; i < m->n; i++) {
    size_t j = 0;
    while (known[j] && strcmp(known[j], m->keys[i]->text) != 0)
      j++;
    if (known[j] == NULL) return vbx__spec_unknown_key(c, m->keys[i], known, where);
  }
  return 0;
}

int vbx__spec_require(vbx__spec_ctx *c, const vbx__node *m, const char *key, const char *where) {
  if (vbx__node_get(m, key) != NULL) return 0;
  return vbx__spec_fail(c, m, "missing required key '%s' in %s", key, where);
}

int vbx__spec_map(vbx__spec_ctx *c, const vbx__node *n, const char *name) {
  if (n->kind == VBX__NODE_MAP) return 0;
  return vbx__spec_fail(c, n, "'%s' must be a map, got %s", name, vbx__node_describe(n));
}

int vbx__spec_list(vbx__spec_ctx *c, const vbx__node *n, const char *name) {
  if (n->kind == VBX__NODE_SEQ) return 0;
  return vbx__spec_fail(c, n, "'%s' must be a list, got %s", name, vbx__node_describe(n));
}

int vbx__spec_str(vbx__spec_ctx *c, const vbx__node *n, const char *name, char **out) {
  if (n->kind != VBX__NODE_SCALAR || n->type != VBX__SCALAR_STR) {
    int scalar = n->kind == VBX__NODE_SCALAR && n->type != VBX__SCALAR_NULL;
    return vbx__spec_fail(c, n, "'%s' must be a string, got %s%s", name, vbx__node_describe(n),
                          scalar ? " (quote it to make it a string)" : "");
  }
  return vbx__str_replace(out, n->text) ? vbx__spec_oom(c) : 0;
}

int vbx__spec_int(vbx__spec_ctx *c, const vbx__node *n, const char *name, int64_t lo, int64_t hi,
                  int64_t *out) {
  int64_t v;
  if (n->kind != VBX__NODE_SCALAR || n->type != VBX__SCALAR_INT)
    return vbx__spec_fail(c, n, "'%s' must be an integer, got %s", name, vbx__node_describe(n));
  if (vbx__scalar_int(n, &v) != 0 || v < lo || v > hi)
    return vbx__spec_fail(c, n, "'%s' must be between %lld and %lld, got %.60s", name,
                          (long long)lo, (long long)hi, n->text);
  *out = v;
  return 0;
}

int vbx__spec_u32(vbx__spec_ctx *c, const vbx__node *n, const char *name, uint32_t lo, uint32_t hi,
                  uint32_t *out) {
  int64_t v = 0;
  int rc = vbx__spec_int(c, n, name, lo, hi, &v);
  if (rc == 0) *out = (uint32_t)v;
  return rc;
}

int vbx__spec_bool(vbx__spec_ctx *c, const vbx__node *n, const char *name, int *out) {
  if (vbx__scalar_bool(n, out)) return 0;
  return vbx__spec_fail(c, n, "'%s' must be a boolean (true or false), got %s", name,
                        vbx__node_describe(n));
}

int vbx__spec_option(vbx__spec_ctx *c, vbx__options *o, const vbx__node *k, const vbx__node *v) {
  const vbx__node *bad;
  json_t *j = vbx__node_to_json(v, &bad);
  if (j == NULL && bad != NULL)
    return vbx__spec_fail(c, bad, "'%.60s' cannot be represented in JSON (option '%.100s')",
                          bad->text, k->text);
  if (j == NULL) return vbx__spec_oom(c);
  vbx__pos pos = vbx__spec_pos(c, k);
  return vbx__options_set(o, k->text, j, &pos) ? vbx__spec_oom(c) : 0;
}
