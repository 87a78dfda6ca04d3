/*
 * sandbox-qemu/options.c - the keys of a `sandbox:` block with
 * `backend: qemu`, as a table for guest-session's gs_options_parse (the
 * policy keys are guest-session's).
 */
#include "qemu.h"

/* accel's values, in the order of enum qemu_accel */
static const char *const accels[] = {"auto", "kvm", "tcg", NULL};
_Static_assert(QEMU_ACCEL_AUTO == 0 && QEMU_ACCEL_KVM == 1 && QEMU_ACCEL_TCG == 2,
               "accels[] is indexed by enum qemu_accel");

static const gs_option keys[] = {
    {.key = "qemu", .kind = GS_OPT_STRING, .offset = offsetof(qemu_options, qemu)},
    {.key = "netstack", .kind = GS_OPT_STRING, .offset = offsetof(qemu_options, netstack)},
    {.key = "image_dir", .kind = GS_OPT_STRING, .offset = offsetof(qemu_options, image_dir)},
    {.key = "kernel", .kind = GS_OPT_STRING, .offset = offsetof(qemu_options, kernel)},
    {.key = "initramfs", .kind = GS_OPT_STRING, .offset = offsetof(qemu_options, initramfs)},
    {.key = "work_root", .kind = GS_OPT_STRING, .offset = offsetof(qemu_options, work_root)},
    {.key = "accel",
     .kind = GS_OPT_CHOICE,
     .offset = offsetof(qemu_options, accel),
     .choices = accels},
    {.key = "host_userland", .kind = GS_OPT_BOOL, .offset = offsetof(qemu_options, host_userland)},
    {.key = "boot_timeout_ms",
     .kind = GS_OPT_MS,
     .offset = offsetof(qemu_options, boot_timeout_ms),
     .max = 600000,
     .dflt = QEMU_DEFAULT_BOOT_TIMEOUT_MS},
};

static const gs_options_spec spec = {
    .backend = "qemu",
    .keys = keys,
    .n_keys = sizeof keys / sizeof keys[0],
    .size = sizeof(qemu_options),
    .pol_offset = offsetof(qemu_options, pol),
};

int qemu_options_parse(const vbx_host_services *h, const vbx_json *o, qemu_options *out,
                       vbx_call *call) {
  return gs_options_parse(h, &spec, o, out, call);
}

const char *qemu_work_root(const qemu_options *o) { return gs_work_root(o->work_root); }

void qemu_options_clear(qemu_options *o) { gs_options_clear(&spec, o); }
