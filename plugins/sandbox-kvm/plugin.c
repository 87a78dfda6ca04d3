/*
 * sandbox-kvm/plugin.c - descriptor and vtable of the "kvm" sandbox
 * backend: each box is a fresh micro-VM run by voidbox-vmm on hardware KVM,
 * booting the voidbox guest image. Instances are thread-safe: the protocol
 * multiplexes concurrent execs and file calls on one connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"

static int kvm_validate(void *state, const vbx_json *options, vbx_call *call) {
  kvm_state *st = state;
  kvm_options o;
  int rc = kvm_options_parse(st->host, options, &o, call);
  if (rc == 0) kvm_options_clear(&o);
  return rc;
}

static void kvm_why_dead(gs_box *box, int gone, int status, const char *why, char *msg,
                         size_t cap) {
  gs_vm_why_dead(box, KVM_VMM_NAME, "vmm.log", gone, status, why, msg, cap);
}

static const gs_box_ops kvm_box_ops = {
    .dir_prefix = KVM_BOX_PREFIX,
    .sock_name = "vsock.sock",
    .proc_file = "vmm.pid", /* killed by a later sweep should it outlive us */
    .stop_wait_ms = KVM_SHUTDOWN_WAIT_MS,
    .exit_wait_ms = KVM_EXIT_WAIT_MS,
    .start = kvm_start,
    .connect = kvm_connect,
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
  if (cfg->network)
    return h->set_error(call, VBX_E_UNSUPPORTED, "network",
                        "the kvm backend has no network until the netstack lands; use backend "
                        "qemu");
  if (cfg->n_mounts > 0)
    return h->set_error(call, VBX_E_UNSUPPORTED, "mounts",
                        "sandbox backend 'kvm' has no host mounts (the guest shares no file "
                        "system with the host); pass files as skills or inputs instead");
  if (cfg->vcpus > KVM_MAX_VCPUS)
    return h->set_error(call, VBX_E_SPEC, "vcpus",
                        "sandbox backend 'kvm': vcpus %u is more than the guest kernel's %d",
                        cfg->vcpus, KVM_MAX_VCPUS);
  if (cfg->memory_mb != 0 && cfg->memory_mb < 64)
    return h->set_error(call, VBX_E_SPEC, "memory_mb",
                        "sandbox backend 'kvm': memory_mb %u is below the 64 MiB a guest needs",
                        cfg->memory_mb);
  uint32_t disk_mb = VBX_HAS_MEMBER(cfg, vbx_sandbox_config, disk_mb) ? cfg->disk_mb : 0;
  if (disk_mb > KVM_MAX_DISK_MB)
    return h->set_error(call, VBX_E_SPEC, "disk_mb",
                        "sandbox backend 'kvm': disk_mb %u is more than %u", disk_mb,
                        KVM_MAX_DISK_MB);
  /* The disk is a tmpfs in guest RAM: both together are the VM's memory,
   * which the monitor bounds (docs/vmm.md). */
  uint64_t vm_mb = (uint64_t)(cfg->memory_mb ? cfg->memory_mb : KVM_DEFAULT_MEMORY_MB) +
                   (disk_mb ? disk_mb : KVM_DEFAULT_DISK_MB);
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
  return gs_vm_image_locate(h, "kvm", b->opt.image_dir, b->opt.kernel, b->opt.initramfs, &b->img,
                            call);
}

static int kvm_create(void *state, const vbx_sandbox_config *cfg, vbx_call *call, void **out) {
  kvm_state *st = state;
  const vbx_host_services *h = st->host;
  *out = NULL;
  int rc = check_config(h, cfg, call);
  if (rc != 0) return rc;
  kvm_box *b = calloc(1, sizeof *b);
  if (b == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  gs_box_init(&b->box, h, &kvm_box_ops,
              strdup(cfg->box_name && cfg->box_name[0] ? cfg->box_name : "box"));
  b->st = st;
  if ((rc = kvm_options_parse(h, cfg->options, &b->opt, call)) != 0) {
    gs_box_clear(&b->box);
    free(b);
    return rc;
  }
  pthread_mutex_lock(&st->lock);
  unsigned long seq = ++st->next_box;
  pthread_mutex_unlock(&st->lock);
  b->box.gs.uid = b->opt.pol.uid;
  b->box.gs.gid = b->opt.pol.gid;
  b->memory_mb = cfg->memory_mb ? cfg->memory_mb : KVM_DEFAULT_MEMORY_MB;
  b->vcpus = cfg->vcpus ? cfg->vcpus : 1;
  uint32_t disk_mb = VBX_HAS_MEMBER(cfg, vbx_sandbox_config, disk_mb) ? cfg->disk_mb : 0;
  b->disk_mb = disk_mb ? disk_mb : KVM_DEFAULT_DISK_MB;
  const char *root = gs_work_root(b->opt.work_root);
  gs_sweep_once(&st->swept, h, root, KVM_BOX_PREFIX, kvm_box_ops.proc_file);
  char dir_name[100];
  if ((rc = resolve_host(b, call)) != 0) goto fail;
  h->log(h->ctx, VBX_LOG_INFO, "box %s: voidbox-vmm micro-VM (%s), %u MiB + %u MiB disk, %u vCPU",
         b->box.name, b->vmm, b->memory_mb, b->disk_mb, b->vcpus);
  snprintf(dir_name, sizeof dir_name, "%.48s", b->box.name ? b->box.name : "box");
  guest_safe_name(dir_name);
  snprintf(dir_name + strlen(dir_name), sizeof dir_name - strlen(dir_name), "-%lu", seq);
  if ((rc = gs_box_create(&b->box, cfg, root, b->opt.work_root != NULL, dir_name, call)) != 0)
    goto fail;
  h->log(h->ctx, VBX_LOG_INFO, "box %s: guest agent up in %.0f ms (vsock stream at %.0f ms)",
         b->box.name, (double)(b->boot_ns[2] - b->boot_ns[0]) / 1e6,
         (double)(b->boot_ns[1] - b->boot_ns[0]) / 1e6);
  *out = b;
  return 0;
fail:
  box_free(b);
  return rc;
}

static void kvm_destroy(void *sandbox) {
  if (sandbox != NULL) box_free(sandbox);
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
    .telemetry = guest_vt_telemetry,
};

static int kvm_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  kvm_state *st = calloc(1, sizeof *st);
  if (st == NULL) return host->set_error(NULL, VBX_E_NOMEM, NULL, "out of memory");
  st->host = host;
  pthread_mutex_init(&st->lock, NULL);
  pthread_mutex_init(&st->swept.lock, NULL);
  int rc = reg->register_sandbox_backend(reg->reg, &kvm_vtable);
  if (rc != 0) {
    pthread_mutex_destroy(&st->swept.lock);
    pthread_mutex_destroy(&st->lock);
    free(st);
    return rc;
  }
  /* Box directories a killed voidbox left in the default work root. */
  gs_sweep_once(&st->swept, host, gs_work_root(NULL), KVM_BOX_PREFIX, kvm_box_ops.proc_file);
  *state = st;
  return 0;
}

static void kvm_fini(void *state) {
  kvm_state *st = state;
  if (st == NULL) return;
  pthread_mutex_destroy(&st->swept.lock);
  pthread_mutex_destroy(&st->lock);
  free(st);
}

VBX_PLUGIN_DEFINE("sandbox-kvm", "0.1.0", "Apache-2.0",
                  "sandbox backend 'kvm': a voidbox-vmm micro-VM per box on hardware KVM "
                  "running the voidbox guest image (full Linux guest)",
                  kvm_init, kvm_fini)
