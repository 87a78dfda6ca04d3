/*
 * guest-session/policy.h - the `sandbox:` options every agent-based backend
 * shares (what commands may run, as whom, how much output), the policy text
 * the guest agent reads at start-up (docs/guest-agent.md), helpers that
 * parse one option value with an error naming the key (policy.c), and a
 * backend's whole `sandbox:` block parsed from a table of its keys
 * (gs_options.c).
 *
 * Threads: none shared; a guest_policy belongs to its caller.
 */
#ifndef VBX_GUEST_POLICY_H
#define VBX_GUEST_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "voidbox/plugin.h"

#define GUEST_MAX_LIST 64

typedef struct guest_policy {
  char *allow[GUEST_MAX_LIST]; /* command allowlist; none: "*" */
  size_t n_allow;
  char *writable[GUEST_MAX_LIST];
  size_t n_writable;
  uint32_t uid, gid;         /* identity of commands (default 65534) */
  uint32_t max_procs;        /* default 256 */
  uint64_t max_output_bytes; /* guest-side cap per stream; 0: none */
  /* in-box 127.0.0.1 port where the agent tunnels to the box's LLM
   * gateway (gs_gateway.c sets it; not a sandbox option); 0: none */
  uint32_t llm_gateway_port;
} guest_policy;

/* The policy option names, for "known: ..." lists in error messages. */
#define GUEST_POLICY_KEYS "allow, writable, uid, gid, max_procs, max_output_bytes"

/* Defaults: uid/gid 65534, max_procs 256, everything allowed. */
void guest_policy_defaults(guest_policy *p);
/* guest_policy_option - if key is a policy option, parse v into p.
 * Returns 1 when key is not a policy option (p untouched), 0 when parsed,
 * or a negative VBX_E_* code set on call (field = key). */
int guest_policy_option(const vbx_host_services *h, const char *key, const vbx_json *v,
                        guest_policy *p, vbx_call *call);
/* guest_policy_allow_skills - with an allowlist (p->n_allow > 0), add the
 * programs the box's skills run (cfg->skill_commands, ABI 1.3) that it
 * does not name yet; without one every command runs already. 0, or
 * VBX_E_SPEC (field "allow") when the list would pass GUEST_MAX_LIST, or
 * VBX_E_NOMEM, set on call. */
int guest_policy_allow_skills(const vbx_host_services *h, guest_policy *p,
                              const vbx_sandbox_config *cfg, vbx_call *call);
/* Free the lists; p can be reused after guest_policy_defaults. */
void guest_policy_clear(guest_policy *p);
/* guest_policy_text - the agent's policy file for p, written by the
 * protocol's vbx_proto_policy_write (so the agent reads back exactly p);
 * `writer` names the backend in a comment line. host->alloc'd (free with
 * host->free), NULL when out of memory (or an entry the file cannot hold,
 * which guest_policy_option already refuses). */
char *guest_policy_text(const vbx_host_services *h, const guest_policy *p, const char *writer);

/* The sandbox family's option checks: options/popt.h's validators with the
 * terse wording "sandbox option 'KEY' must be ...", VBX_E_SPEC, field KEY.
 * guest_opt_string - v must be a non-empty string of at most 4000 bytes;
 * *out gets a malloc'd copy. 0 or VBX_E_SPEC / VBX_E_NOMEM set on call. */
int guest_opt_string(const vbx_host_services *h, const vbx_json *v, const char *key, char **out,
                     vbx_call *call);
/* guest_opt_uint - v must be an integer in 0..max. 0 or VBX_E_SPEC. */
int guest_opt_uint(const vbx_host_services *h, const vbx_json *v, const char *key, uint64_t max,
                   uint64_t *out, vbx_call *call);

/* ---- a backend's whole `sandbox:` block (gs_options.c) ------------------ */
enum {
  GS_OPT_STRING, /* a char * field: guest_opt_string (malloc'd) */
  GS_OPT_MS,     /* a uint32_t field: guest_opt_uint 0..max, 0 meaning dflt */
  GS_OPT_CHOICE, /* an int field: the index of the value in choices */
  GS_OPT_BOOL    /* an int field: true 1, false 0 */
};

/* One backend key of a `sandbox:` block. */
typedef struct gs_option {
  const char *key;
  int kind;                   /* GS_OPT_* */
  size_t offset;              /* of its field in the backend's options struct */
  uint32_t max, dflt;         /* GS_OPT_MS: the bound; the default, also for 0 */
  const char *const *choices; /* GS_OPT_CHOICE: the values, NULL-terminated */
} gs_option;

/* A backend's keys besides the policy's, and where they go. */
typedef struct gs_options_spec {
  const char *backend;   /* in messages: "kvm" */
  const gs_option *keys; /* in the order "known: ..." lists them */
  size_t n_keys;
  size_t size;       /* of the backend's options struct */
  size_t pol_offset; /* of its guest_policy */
} gs_options_spec;

/* gs_options_parse - the `sandbox:` block o (NULL: defaults only) into
 * out, a spec->size struct: zeroed, the policy's defaults
 * (guest_policy_defaults) and each GS_OPT_MS key's dflt first; then every
 * key of o is a policy key (guest_policy_option) or one of spec->keys,
 * else VBX_E_SPEC "unknown option 'K' for sandbox backend 'BACKEND'
 * (known: <the keys>, <the policy keys>)", field K. o must be a map. 0, or
 * the first key's negative VBX_E_* code set on call with out cleared
 * (nothing left to free). Strings in out are malloc'd: gs_options_clear. */
int gs_options_parse(const vbx_host_services *h, const gs_options_spec *spec, const vbx_json *o,
                     void *out, vbx_call *call);
/* gs_options_clear - free the GS_OPT_STRING fields and the policy lists of
 * opts (a gs_options_parse result), then zero it. */
void gs_options_clear(const gs_options_spec *spec, void *opts);

#endif
