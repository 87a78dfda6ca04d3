/*
 * sandbox-local/options.c - the backend-specific keys of a `sandbox:`
 * block with `backend: local` (the policy keys are guest-session's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local.h"

int local_options_parse(const vbx_host_services *h, const vbx_json *o, local_options *out,
                        vbx_call *call) {
  memset(out, 0, sizeof *out);
  guest_policy_defaults(&out->pol);
  out->handshake_timeout_ms = 10000;
  if (o == NULL) return 0;
  if (h->json_type(o) != VBX_JSON_OBJECT)
    return h->set_error(call, VBX_E_SPEC, NULL, "sandbox options must be a map");
  vbx_json *v;
  const char *k;
  int rc = 0;
  for (size_t i = 0; rc == 0 && (k = h->json_object_key_at(o, i, &v)) != NULL; i++) {
    uint64_t u = 0;
    int prc = guest_policy_option(h, k, v, &out->pol, call);
    if (prc <= 0) {
      rc = prc;
      out->uid_set |= prc == 0 && strcmp(k, "uid") == 0;
      out->gid_set |= prc == 0 && strcmp(k, "gid") == 0;
    } else if (strcmp(k, "agent_path") == 0)
      rc = guest_opt_string(h, v, k, &out->agent_path, call);
    else if (strcmp(k, "work_root") == 0)
      rc = guest_opt_string(h, v, k, &out->work_root, call);
    else if (strcmp(k, "handshake_timeout_ms") == 0 &&
             (rc = guest_opt_uint(h, v, k, 600000, &u, call)) == 0)
      out->handshake_timeout_ms = u ? (uint32_t)u : 10000;
    else if (strcmp(k, "handshake_timeout_ms") != 0)
      rc = h->set_error(call, VBX_E_SPEC, k,
                        "unknown option '%s' for sandbox backend 'local' (known: agent_path, "
                        "work_root, " GUEST_POLICY_KEYS ", handshake_timeout_ms)",
                        k);
  }
  if (rc != 0) local_options_clear(out);
  return rc;
}

void local_options_clear(local_options *o) {
  free(o->agent_path);
  free(o->work_root);
  guest_policy_clear(&o->pol);
  memset(o, 0, sizeof *o);
}
