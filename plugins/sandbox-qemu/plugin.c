/*
 * sandbox-qemu/plugin.c - descriptor and vtable of the "qemu" sandbox
 * backend: each box is a fresh micro-VM (QEMU microvm, KVM or TCG) running
 * the voidbox guest image. Instances are thread-safe: the protocol
 * multiplexes concurrent execs and file calls on one connection.
 */
#include <stdlib.h>

#include "qemu.h"

static int qemu_validate(void *state, const vbx_json *options, vbx_call *call) {
  gs_vm_state *st = state;
  qemu_options o;
  int rc = qemu_options_parse(st->host, options, &o, call);
  if (rc == 0) qemu_options_clear(&o);
  return rc;
}

static void box_free(qemu_box *b) {
  qemu_close_listener(b);
  gs_box_teardown(&b->box);
  qemu_options_clear(&b->opt);
  gs_box_clear(&b->box);
  free(b);
}

static void qemu_after_stop(gs_box *box) { gs_vm_net_stop(box, &((qemu_box *)box)->net); }

const gs_box_ops qemu_box_ops = {
    .dir_prefix = QEMU_BOX_PREFIX,
    .sock_name = "ctl.sock",
    .proc_file = "qemu.pid", /* killed by a later sweep should it outlive us */
    .stop_wait_ms = QEMU_SHUTDOWN_WAIT_MS,
    .exit_wait_ms = QEMU_EXIT_WAIT_MS,
    .start = qemu_start,
    .connect = qemu_connect,
    .after_stop = qemu_after_stop,
    .release = NULL,
    .why_dead = qemu_why_dead,
};

static int qemu_create(void *state, const vbx_sandbox_config *cfg, vbx_call *call, void **out) {
  gs_vm_state *st = state;
  const vbx_host_services *h = st->host;
  *out = NULL;
  int rc = gs_vm_config_check(h, "qemu", cfg, call);
  if (rc != 0) return rc;
  qemu_box *b = gs_vm_box_alloc(h, sizeof *b, &qemu_box_ops, cfg, call);
  if (b == NULL) return VBX_E_NOMEM;
  b->st = st;
  b->ls = -1;
  b->net.pid = -1;
  rc = qemu_options_parse(h, cfg->options, &b->opt, call);
  if (rc == 0 && (rc = guest_policy_allow_skills(h, &b->opt.pol, cfg, call)) != 0)
    qemu_options_clear(&b->opt);
  if (rc != 0) {
    gs_box_clear(&b->box);
    free(b);
    return rc;
  }
  unsigned long seq = gs_vm_box_setup(st, &b->box, &b->opt.pol, cfg, &b->size);
  b->network = cfg->network != 0;
  char why[200];
  b->accel = qemu_accel_resolve(b->opt.accel, why, sizeof why);
  if (b->accel < 0) {
    rc = h->set_error(call, VBX_E_UNSUPPORTED, "accel",
                      "sandbox backend 'qemu': accel: kvm requested but %s", why);
    goto fail;
  }
  const char *root = qemu_work_root(&b->opt);
  gs_vm_sweep(st, root);
  if ((rc = qemu_image_locate(b, call)) != 0) goto fail;
  char msg[1024];
  if (b->network && (rc = gs_vm_net_find(b->opt.netstack, b->netstack, sizeof b->netstack, msg,
                                         sizeof msg)) != 0) {
    rc = h->set_error(call, rc, "netstack", "sandbox backend 'qemu': network: %s", msg);
    goto fail;
  }
  /* Mounts are checked before the box directory exists: a refused one
   * leaves nothing behind. */
  if ((rc = gs_vm_mounts_plan(h, "qemu", cfg, b->opt.host_userland, &b->mounts, call)) != 0)
    goto fail;
  for (unsigned i = 0; i < b->mounts.n_share; i++)
    h->log(h->ctx, VBX_LOG_INFO, "box %s: %s read-only in the guest at %s (9p)", b->box.name,
           b->mounts.share[i].host, b->mounts.share[i].guest);
  h->log(h->ctx, VBX_LOG_INFO,
         "box %s: QEMU microvm, %s (%s), %u MiB + %u MiB disk, %u vCPU, network %s", b->box.name,
         b->accel == QEMU_ACCEL_KVM ? "KVM acceleration" : "software emulation (TCG)", why,
         b->size.memory_mb, b->size.disk_mb, b->size.vcpus,
         b->network ? "voidbox-netstack" : "none");
  char dir_name[100];
  gs_vm_dir_name(b->box.name, seq, dir_name, sizeof dir_name);
  if ((rc = gs_box_create(&b->box, cfg, root, b->opt.work_root != NULL, dir_name, call)) != 0)
    goto fail;
  gs_vm_log_up(&b->box, b->boot_ns, "QEMU connected");
  *out = b;
  return 0;
fail:
  box_free(b);
  return rc;
}

static void qemu_destroy(void *sandbox) {
  if (sandbox != NULL) box_free(sandbox);
}

/* The guest's figures, then those of the box's QEMU process. */
static int qemu_telemetry(void *sandbox, vbx_sandbox_telemetry *out, vbx_call *call) {
  return gs_box_telemetry(sandbox, "qemu", out, call);
}

static const vbx_sandbox_backend_vtable qemu_vtable = {
    .struct_size = sizeof(vbx_sandbox_backend_vtable),
    .name = "qemu",
    .description =
        "a fresh QEMU microvm per box (KVM with hardware virtualization, software "
        "emulation otherwise) booting the voidbox guest image; the guest agent is "
        "PID 1, reached over virtio-serial",
    .flags = VBX_VT_THREAD_SAFE | VBX_SANDBOX_IS_VM, /* a separate guest kernel, also
                                                        under TCG */
    .validate_options = qemu_validate,
    .create = qemu_create,
    .destroy = qemu_destroy,
    .exec = guest_vt_exec,
    .file_write = guest_vt_file_write,
    .file_read = guest_vt_file_read,
    .telemetry = qemu_telemetry,
    GUEST_VT_PROC_METHODS,
};

static int qemu_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  return gs_vm_plugin_init(host, reg, &qemu_vtable, &qemu_box_ops, state);
}

VBX_PLUGIN_DEFINE("sandbox-qemu", "0.1.0", "Apache-2.0",
                  "sandbox backend 'qemu': a QEMU microvm per box running the voidbox guest "
                  "image (full Linux guest)",
                  qemu_init, gs_vm_plugin_fini)
