/*
 * sandbox-kvm/options.c - the keys of a `sandbox:` block with
 * `backend: kvm`, as a table for guest-session's gs_options_parse (the
 * policy keys are guest-session's).
 */
#include "kvm.h"

static const gs_option keys[] = {
    {.key = "vmm", .kind = GS_OPT_STRING, .offset = offsetof(kvm_options, vmm)},
    {.key = "netstack", .kind = GS_OPT_STRING, .offset = offsetof(kvm_options, netstack)},
    {.key = "image_dir", .kind = GS_OPT_STRING, .offset = offsetof(kvm_options, image_dir)},
    {.key = "kernel", .kind = GS_OPT_STRING, .offset = offsetof(kvm_options, kernel)},
    {.key = "initramfs", .kind = GS_OPT_STRING, .offset = offsetof(kvm_options, initramfs)},
    {.key = "work_root", .kind = GS_OPT_STRING, .offset = offsetof(kvm_options, work_root)},
    {.key = "boot_timeout_ms",
     .kind = GS_OPT_MS,
     .offset = offsetof(kvm_options, boot_timeout_ms),
     .max = 600000,
     .dflt = KVM_DEFAULT_BOOT_TIMEOUT_MS},
};

static const gs_options_spec spec = {
    .backend = "kvm",
    .keys = keys,
    .n_keys = sizeof keys / sizeof keys[0],
    .size = sizeof(kvm_options),
    .pol_offset = offsetof(kvm_options, pol),
};

int kvm_options_parse(const vbx_host_services *h, const vbx_json *o, kvm_options *out,
                      vbx_call *call) {
  return gs_options_parse(h, &spec, o, out, call);
}

void kvm_options_clear(kvm_options *o) { gs_options_clear(&spec, o); }
