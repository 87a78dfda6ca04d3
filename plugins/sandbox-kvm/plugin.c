/*
 * sandbox-kvm/plugin.c - descriptor and vtable of the "kvm" sandbox
 * backend: each box is a fresh micro-VM run by voidbox-vmm on hardware KVM,
 * booting the voidbox guest image. Instances are thread-safe: the protocol
 * multiplexes concurrent execs and file calls on one connection.
 */
#include <stdlib.h>

#include "kvm.h"

static int kvm_validate(void *state, const vbx_json *options, vbx_call *call) {
  gs_vm_state *st = state;
  kvm_options o;
  int rc = kvm_options_parse(st->host, options, &o, call);
  if (rc == 0) kvm_options_clear(&o);
  return rc;
}

static void kvm_why_dead(gs_box *box, int gone, int status, const char *why, char *msg,
                         size_t cap) {
  gs_vm_why_dead(box, KVM_VMM_NAME, "vmm.log", gone, status, why, msg, cap);
}

static void kvm_after_stop(gs_box *box) { gs_vm_net_stop(box, &((kvm_box *)box)->net); }

const gs_box_ops kvm_box_ops = {
    .dir_prefix = KVM_BOX_PREFIX,
    .sock_name = "vsock.sock",
    .proc_file = "vmm.pid", /* killed by a later sweep should it outlive us */
    .stop_wait_ms = KVM_SHUTDOWN_WAIT_MS,
    .exit_wait_ms = KVM_EXIT_WAIT_MS,
    .start = kvm_start,
    .connect = kvm_connect,
    .after_stop = kvm_after_stop,
    .release = NULL,
    .why_dead = kvm_why_dead,
};

static void box_free(kvm_box *b) {
  gs_box_teardown(&b->box);
  kvm_options_clear(&b->opt);
  gs_box_clear(&b->box);
  free(b);
}

/* What the config asks that this backend refuses, before anything is made. */
static int check_config(const vbx_host_services *h, const vbx_sandbox_config *cfg, vbx_call *call) {
  /* qemu shares host directories over virtio-9p; voidbox-vmm has no such
   * device, and a mount is never quietly dropped. */
  if (cfg->n_mounts > 0)
    return h->set_error(call, VBX_E_UNSUPPORTED, "mounts",
                        "sandbox backend 'kvm' cannot mount host directories: voidbox-vmm has no "
                        "virtio-9p device (host mounts); use backend qemu for read-only mounts, "
                        "or pass files as skills or inputs");
  int rc = gs_vm_config_check(h, "kvm", cfg, call);
  if (rc != 0) return rc;
  /* The disk is a tmpfs in guest RAM: both together are the VM's memory,
   * which the monitor bounds (docs/vmm.md). */
  gs_vm_size size;
  gs_vm_config_size(cfg, &size);
  uint64_t vm_mb = (uint64_t)size.memory_mb + size.disk_mb;
  if (vm_mb > KVM_MAX_VM_MB)
    return h->set_error(call, VBX_E_SPEC, "memory_mb",
                        "sandbox backend 'kvm': memory_mb plus disk_mb is %llu MiB, more than "
                        "the %u MiB a kvm box can have",
                        (unsigned long long)vm_mb, KVM_MAX_VM_MB);
  return 0;
}

/* The host and the files a box needs: hardware KVM, the monitor, the image. */
static int resolve_host(kvm_box *b, vbx_call *call) {
  const vbx_host_services *h = b->box.host;
  char msg[700];
  int rc = kvm_host_check(msg, sizeof msg);
  if (rc != 0) return h->set_error(call, rc, NULL, "sandbox backend 'kvm': %s", msg);
  rc = kvm_vmm_find(b->opt.vmm, b->vmm, sizeof b->vmm, msg, sizeof msg);
  if (rc != 0) return h->set_error(call, rc, "vmm", "sandbox backend 'kvm': %s", msg);
  if (b->network &&
      (rc = gs_vm_net_find(b->opt.netstack, b->netstack, sizeof b->netstack, msg, sizeof msg)) != 0)
    return h->set_error(call, rc, "netstack", "sandbox backend 'kvm': network: %s", msg);
  return gs_vm_image_locate(h, "kvm", b->opt.image_dir, b->opt.kernel, b->opt.initramfs, &b->img,
                            call);
}

static int kvm_create(void *state, const vbx_sandbox_config *cfg, vbx_call *call, void **out) {
  gs_vm_state *st = state;
  const vbx_host_services *h = st->host;
  *out = NULL;
  int rc = check_config(h, cfg, call);
  if (rc != 0) return rc;
  kvm_box *b = gs_vm_box_alloc(h, sizeof *b, &kvm_box_ops, cfg, call);
  if (b == NULL) return VBX_E_NOMEM;
  b->st = st;
  b->net.pid = -1;
  b->network = cfg->network != 0;
  if ((rc = kvm_options_parse(h, cfg->options, &b->opt, call)) == 0 &&
      (rc = guest_policy_allow_skills(h, &b->opt.pol, cfg, call)) != 0)
    kvm_options_clear(&b->opt);
  if (rc != 0) {
    gs_box_clear(&b->box);
    free(b);
    return rc;
  }
  unsigned long seq = gs_vm_box_setup(st, &b->box, &b->opt.pol, cfg, &b->size);
  const char *root = gs_work_root(b->opt.work_root);
  gs_vm_sweep(st, root);
  char dir_name[100];
  if ((rc = resolve_host(b, call)) != 0) goto fail;
  h->log(h->ctx, VBX_LOG_INFO,
         "box %s: voidbox-vmm micro-VM (%s), %u MiB + %u MiB disk, %u vCPU, network %s",
         b->box.name, b->vmm, b->size.memory_mb, b->size.disk_mb, b->size.vcpus,
         b->network ? "voidbox-netstack" : "none");
  gs_vm_dir_name(b->box.name, seq, dir_name, sizeof dir_name);
  if ((rc = gs_box_create(&b->box, cfg, root, b->opt.work_root != NULL, dir_name, call)) != 0)
    goto fail;
  gs_vm_log_up(&b->box, b->boot_ns, "vsock stream");
  *out = b;
  return 0;
fail:
  box_free(b);
  return rc;
}

static void kvm_destroy(void *sandbox) {
  if (sandbox != NULL) box_free(sandbox);
}

/* The guest's figures, then those of the box's voidbox-vmm process. */
static int kvm_telemetry(void *sandbox, vbx_sandbox_telemetry *out, vbx_call *call) {
  return gs_box_telemetry(sandbox, KVM_VMM_NAME, out, call);
}

static const vbx_sandbox_backend_vtable kvm_vtable = {
    .struct_size = sizeof(vbx_sandbox_backend_vtable),
    .name = "kvm",
    .description =
        "a fresh micro-VM per box run by voidbox-vmm on hardware KVM, booting the voidbox "
        "guest image; the guest agent is PID 1, reached over vsock",
    .flags = VBX_VT_THREAD_SAFE | VBX_SANDBOX_IS_VM,
    .validate_options = kvm_validate,
    .create = kvm_create,
    .destroy = kvm_destroy,
    .exec = guest_vt_exec,
    .file_write = guest_vt_file_write,
    .file_read = guest_vt_file_read,
    .telemetry = kvm_telemetry,
    GUEST_VT_PROC_METHODS,
};

static int kvm_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  return gs_vm_plugin_init(host, reg, &kvm_vtable, &kvm_box_ops, state);
}

VBX_PLUGIN_DEFINE("sandbox-kvm", "0.1.0", "Apache-2.0",
                  "sandbox backend 'kvm': a voidbox-vmm micro-VM per box on hardware KVM "
                  "running the voidbox guest image (full Linux guest)",
                  kvm_init, gs_vm_plugin_fini)
