/*
 * sandbox-kvm/options.c - the keys of a `sandbox:` block with
 * `backend: kvm` (the policy keys are guest-session's).
 */
#include <stdlib.h>
#include <string.h>

#include "kvm.h"

#define KVM_KEYS "vmm, image_dir, kernel, initramfs, work_root, boot_timeout_ms"

int kvm_options_parse(const vbx_host_services *h, const vbx_json *o, kvm_options *out,
                      vbx_call *call) {
  memset(out, 0, sizeof *out);
  guest_policy_defaults(&out->pol);
  out->boot_timeout_ms = KVM_DEFAULT_BOOT_TIMEOUT_MS;
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
    } else if (strcmp(k, "vmm") == 0) {
      rc = guest_opt_string(h, v, k, &out->vmm, call);
    } else if (strcmp(k, "image_dir") == 0) {
      rc = guest_opt_string(h, v, k, &out->image_dir, call);
    } else if (strcmp(k, "kernel") == 0) {
      rc = guest_opt_string(h, v, k, &out->kernel, call);
    } else if (strcmp(k, "initramfs") == 0) {
      rc = guest_opt_string(h, v, k, &out->initramfs, call);
    } else if (strcmp(k, "work_root") == 0) {
      rc = guest_opt_string(h, v, k, &out->work_root, call);
    } else if (strcmp(k, "boot_timeout_ms") == 0) {
      if ((rc = guest_opt_uint(h, v, k, 600000, &u, call)) == 0)
        out->boot_timeout_ms = u ? (uint32_t)u : KVM_DEFAULT_BOOT_TIMEOUT_MS;
    } else {
      rc = h->set_error(call, VBX_E_SPEC, k,
                        "unknown option '%s' for sandbox backend 'kvm' (known: " KVM_KEYS
                        ", " GUEST_POLICY_KEYS ")",
                        k);
    }
  }
  if (rc != 0) kvm_options_clear(out);
  return rc;
}

void kvm_options_clear(kvm_options *o) {
  free(o->vmm);
  free(o->image_dir);
  free(o->kernel);
  free(o->initramfs);
  free(o->work_root);
  guest_policy_clear(&o->pol);
  memset(o, 0, sizeof *o);
}
