/*
 * spec/network.c - `sandbox.network`: false, true, or an egress policy
 * map (docs/network.md). Each entry is checked with netstack's parser and
 * a bad one is reported at its own line; the policy is kept as the
 * normalized JSON object sandbox backends receive in
 * vbx_sandbox_config.network_policy.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "netstack/policy.h"
#include "spec/blocks.h"
#include "spec/schema.h"

static const char *const k_network_keys[] = {"allow",           "deny", "dns", "max_connections",
                                             "rate_limit_kbps", NULL};

/* allow / deny / dns: a list of strings, each parsed, into arr. */
static int entry_list(vbx__spec_ctx *c, const vbx__node *n, const char *key, json_t *arr) {
  int rc = vbx__spec_list(c, n, key);
  size_t max = strcmp(key, "dns") == 0 ? VBX_NP_MAX_DNS : VBX_NP_MAX_ENTRIES;
  if (rc == 0 && n->n > max)
    return vbx__spec_fail(c, n, "network %s: at most %zu entries, got %zu", key, max, n->n);
  for (size_t i = 0; rc == 0 && i < n->n; i++) {
    const vbx__node *e = n->vals[i];
    if (e->kind != VBX__NODE_SCALAR)
      return vbx__spec_fail(c, e, "network %s entry must be a string, got %s", key,
                            vbx__node_describe(e));
    char why[300];
    vbx_np_entry ent;
    vbx_np_dns dns;
    int bad = strcmp(key, "dns") == 0 ? vbx_np_dns_parse(e->text, &dns, why, sizeof why)
                                      : vbx_np_list_entry_parse(e->text, strcmp(key, "deny") == 0,
                                                                &ent, why, sizeof why);
    if (bad != 0) return vbx__spec_fail(c, e, "network %s entry %s", key, why);
    if (json_array_append_new(arr, json_string(e->text)) != 0) return vbx__spec_oom(c);
  }
  return rc;
}

static int policy_map(vbx__spec_ctx *c, const vbx__node *n, json_t *doc) {
  int rc = vbx__spec_known_keys(c, n, k_network_keys, "network");
  for (size_t i = 0; rc == 0 && i < n->n; i++) {
    const char *k = n->keys[i]->text;
    const vbx__node *v = n->vals[i];
    if (strcmp(k, "max_connections") == 0 || strcmp(k, "rate_limit_kbps") == 0) {
      uint32_t x = 0;
      int conn = k[0] == 'm';
      rc = vbx__spec_u32(c, v, k, conn ? 1 : 0, conn ? VBX_NP_MAX_CONNECTIONS_CAP : 10000000u, &x);
      if (rc == 0 && json_object_set_new(doc, k, json_integer(x)) != 0) rc = vbx__spec_oom(c);
    } else {
      json_t *arr = json_array();
      if (arr == NULL || json_object_set_new(doc, k, arr) != 0) return vbx__spec_oom(c);
      rc = entry_list(c, v, k, arr);
    }
  }
  return rc;
}

int vbx__spec_network(vbx__spec_ctx *c, const vbx__node *v, vbx__sandbox_decl *s) {
  if (v->kind != VBX__NODE_MAP) {
    if (v->kind == VBX__NODE_SCALAR && v->type == VBX__SCALAR_BOOL)
      return vbx__spec_bool(c, v, "network", &s->network);
    return vbx__spec_fail(c, v,
                          "'network' must be true, false or a policy map (allow, deny, dns, "
                          "max_connections, rate_limit_kbps), got %s",
                          vbx__node_describe(v));
  }
  json_t *doc = json_object();
  if (doc == NULL) return vbx__spec_oom(c);
  int rc = policy_map(c, v, doc);
  char *text = rc == 0 ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  json_decref(doc);
  if (rc != 0) return rc;
  if (text == NULL) return vbx__spec_oom(c);
  free(s->network_policy);
  s->network_policy = text;
  s->network = 1;
  return 0;
}
