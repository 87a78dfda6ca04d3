/*
 * guest-session/policy.c - shared `sandbox:` policy options and the policy
 * text the guest agent reads, written with the protocol's policy writer
 * (voidbox/protocol/policy.h; see policy.h).
 */
#include "policy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "popt.h"
#include "voidbox/protocol/policy.h"

/* The sandbox family's wording: "sandbox option 'KEY' must be ...". */
static vbx_popt sandbox_opt(const vbx_host_services *h, const char *key, vbx_call *call, char *what,
                            size_t cap) {
  snprintf(what, cap, "sandbox option '%s'", key);
  vbx_popt o = {.h = h, .call = call, .field = key, .what = what, .code = VBX_E_SPEC};
  return o;
}

int guest_opt_string(const vbx_host_services *h, const vbx_json *v, const char *key, char **out,
                     vbx_call *call) {
  char what[160];
  vbx_popt o = sandbox_opt(h, key, call, what, sizeof what);
  return vbx_popt_string(&o, v, 1, 4000, out);
}

int guest_opt_uint(const vbx_host_services *h, const vbx_json *v, const char *key, uint64_t max,
                   uint64_t *out, vbx_call *call) {
  char what[160];
  vbx_popt o = sandbox_opt(h, key, call, what, sizeof what);
  int64_t n = 0;
  int rc = vbx_popt_int(&o, v, 0, max > INT64_MAX ? INT64_MAX : (int64_t)max, &n);
  if (rc == 0) *out = (uint64_t)n;
  return rc;
}

static int list_opt(const vbx_host_services *h, const vbx_json *v, const char *key, char **out,
                    size_t *n, int absolute, vbx_call *call) {
  if (h->json_type(v) != VBX_JSON_ARRAY || h->json_array_size(v) > GUEST_MAX_LIST)
    return h->set_error(call, VBX_E_SPEC, key,
                        "sandbox option '%s' must be a list of at most %d strings", key,
                        GUEST_MAX_LIST);
  for (size_t i = 0; i < h->json_array_size(v); i++) {
    const vbx_json *e = h->json_array_get(v, i);
    const char *s = h->json_string_value(e);
    if (s == NULL || s[0] == '\0' || strlen(s) > 250 || strchr(s, '\n') || strchr(s, '#') ||
        (absolute && s[0] != '/'))
      return h->set_error(call, VBX_E_SPEC, key,
                          "sandbox option '%s': entry %zu must be a%s string without '#' or "
                          "newlines, at most 250 bytes",
                          key, i, absolute ? "n absolute path" : " non-empty");
    if (absolute && strstr(s, "..") != NULL)
      return h->set_error(call, VBX_E_SPEC, key, "sandbox option '%s': entry %zu contains '..'",
                          key, i);
    if (*n >= GUEST_MAX_LIST)
      return h->set_error(call, VBX_E_SPEC, key, "sandbox option '%s' given twice", key);
    if ((out[(*n)++] = strdup(s)) == NULL)
      return h->set_error(call, VBX_E_NOMEM, key, "out of memory");
  }
  return 0;
}

int guest_policy_allow_skills(const vbx_host_services *h, guest_policy *p,
                              const vbx_sandbox_config *cfg, vbx_call *call) {
  const char *const *cmds =
      VBX_HAS_MEMBER(cfg, vbx_sandbox_config, skill_commands) ? cfg->skill_commands : NULL;
  if (p->n_allow == 0 || cmds == NULL) return 0;
  for (size_t i = 0; cmds[i] != NULL; i++) {
    int known = 0;
    for (size_t k = 0; k < p->n_allow && !known; k++)
      known = strcmp(p->allow[k], "*") == 0 || strcmp(p->allow[k], cmds[i]) == 0;
    if (known) continue;
    if (p->n_allow >= GUEST_MAX_LIST)
      return h->set_error(call, VBX_E_SPEC, "allow",
                          "the allowlist with the skills' programs (%s, ...) passes %d entries",
                          cmds[i], GUEST_MAX_LIST);
    if ((p->allow[p->n_allow] = strdup(cmds[i])) == NULL)
      return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    p->n_allow++;
  }
  return 0;
}

void guest_policy_defaults(guest_policy *p) {
  memset(p, 0, sizeof *p);
  p->uid = p->gid = 65534;
  p->max_procs = 256;
}

int guest_policy_option(const vbx_host_services *h, const char *k, const vbx_json *v,
                        guest_policy *p, vbx_call *call) {
  uint64_t u = 0;
  int rc;
  if (strcmp(k, "allow") == 0) return list_opt(h, v, k, p->allow, &p->n_allow, 0, call);
  if (strcmp(k, "writable") == 0) return list_opt(h, v, k, p->writable, &p->n_writable, 1, call);
  if (strcmp(k, "uid") == 0 || strcmp(k, "gid") == 0) {
    if ((rc = guest_opt_uint(h, v, k, 0xfffffffe, &u, call)) == 0)
      *(k[0] == 'u' ? &p->uid : &p->gid) = (uint32_t)u;
    return rc;
  }
  if (strcmp(k, "max_procs") == 0) {
    if ((rc = guest_opt_uint(h, v, k, 1000000, &u, call)) == 0)
      p->max_procs = u ? (uint32_t)u : 256;
    return rc;
  }
  if (strcmp(k, "max_output_bytes") == 0) {
    if ((rc = guest_opt_uint(h, v, k, UINT64_MAX >> 1, &u, call)) == 0) p->max_output_bytes = u;
    return rc;
  }
  return 1;
}

void guest_policy_clear(guest_policy *p) {
  for (size_t i = 0; i < p->n_allow; i++)
    free(p->allow[i]);
  for (size_t i = 0; i < p->n_writable; i++)
    free(p->writable[i]);
  p->n_allow = p->n_writable = 0;
}

/* Add one list entry as the agent would read it back from "KEY = S"
 * (spaces at its ends trimmed). 0 or a VBX_PROTO_E_* code. */
static int add_entry(struct vbx_proto_policy *pp, const char *key, const char *s) {
  char e[VBX_PROTO_POLICY_ENTRY_SIZE + 1], why[160];
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strnlen(s, sizeof e - 1);
  while (n > 0 && isspace((unsigned char)s[n - 1]))
    n--;
  memcpy(e, s, n);
  e[n] = '\0';
  return vbx_proto_policy_set(pp, key, e, why, sizeof why);
}

/* The protocol's policy for p: identity, process cap, core dumps off, 4096
 * open files, the output cap, the lists, the gateway tunnel's port. 0 or a
 * VBX_PROTO_E_* code. */
static int to_proto(const guest_policy *p, struct vbx_proto_policy *pp) {
  int rc = 0;
  vbx_proto_policy_init(pp);
  pp->have_uid = pp->have_gid = 1;
  pp->uid = p->uid, pp->gid = p->gid;
  pp->max_procs = p->max_procs;
  pp->rlimits[0] = (struct vbx_proto_policy_rlimit){RLIMIT_CORE, 0, 0};
  pp->rlimits[1] = (struct vbx_proto_policy_rlimit){RLIMIT_NOFILE, 4096, 4096};
  pp->n_rlimits = 2;
  pp->max_output = p->max_output_bytes;
  pp->llm_gateway_port = p->llm_gateway_port;
  pp->allow_all = p->n_allow == 0;
  for (size_t i = 0; rc == 0 && i < p->n_allow; i++)
    rc = add_entry(pp, "allow", p->allow[i]);
  for (size_t i = 0; rc == 0 && i < p->n_writable; i++)
    rc = add_entry(pp, "writable", p->writable[i]);
  return rc;
}

char *guest_policy_text(const vbx_host_services *h, const guest_policy *p, const char *writer) {
  struct vbx_proto_policy *pp = malloc(sizeof *pp);
  char *t = h->alloc(VBX_PROTO_POLICY_MAX_BYTES + 1), comment[96];
  size_t len = 0;
  snprintf(comment, sizeof comment, "written by %.64s", writer);
  if (pp == NULL || t == NULL || to_proto(p, pp) != 0 ||
      vbx_proto_policy_write(pp, comment, t, VBX_PROTO_POLICY_MAX_BYTES + 1, &len) != 0) {
    h->free(t);
    t = NULL;
  }
  free(pp);
  return t;
}
