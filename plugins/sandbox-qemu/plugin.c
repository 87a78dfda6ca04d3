/*
 * sandbox-qemu/plugin.c - descriptor and vtable of the "qemu" sandbox
 * backend: each box is a fresh micro-VM (QEMU microvm, KVM or TCG) running
 * the voidbox guest image. Instances are thread-safe: the protocol
 * multiplexes concurrent execs and file calls on one connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu.h"

#define MAX_VCPUS 8 /* CONFIG_NR_CPUS of guest/image/kernel.config */

static int qemu_validate(void *state, const vbx_json *options, vbx_call *call) {
  qemu_state *st = state;
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

const gs_box_ops qemu_box_ops = {
    .dir_prefix = QEMU_BOX_PREFIX,
    .sock_name = "ctl.sock",
    .proc_file = "qemu.pid", /* killed by a later sweep should it outlive us */
    .stop_wait_ms = QEMU_SHUTDOWN_WAIT_MS,
    .exit_wait_ms = QEMU_EXIT_WAIT_MS,
    .start = qemu_start,
    .connect = qemu_connect,
    .release = NULL,
    .why_dead = qemu_why_dead,
};

static int qemu_create(void *state, const vbx_sandbox_config *cfg, vbx_call *call, void **out) {
  qemu_state *st = state;
  const vbx_host_services *h = st->host;
  *out = NULL;
  if (cfg->n_mounts > 0)
    return h->set_error(call, VBX_E_UNSUPPORTED, "mounts",
                        "sandbox backend 'qemu' has no host mounts (the guest shares no file "
                        "system with the host); pass files as skills or inputs instead");
  if (cfg->vcpus > MAX_VCPUS)
    return h->set_error(call, VBX_E_SPEC, "vcpus",
                        "sandbox backend 'qemu': vcpus %u is more than the guest kernel's %d",
                        cfg->vcpus, MAX_VCPUS);
  if (cfg->memory_mb != 0 && cfg->memory_mb < 64)
    return h->set_error(call, VBX_E_SPEC, "memory_mb",
                        "sandbox backend 'qemu': memory_mb %u is below the 64 MiB a guest needs",
                        cfg->memory_mb);
  uint32_t disk_mb = VBX_HAS_MEMBER(cfg, vbx_sandbox_config, disk_mb) ? cfg->disk_mb : 0;
  if (disk_mb > QEMU_MAX_DISK_MB)
    return h->set_error(call, VBX_E_SPEC, "disk_mb",
                        "sandbox backend 'qemu': disk_mb %u is more than %u", disk_mb,
                        QEMU_MAX_DISK_MB);
  qemu_box *b = calloc(1, sizeof *b);
  if (b == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  gs_box_init(&b->box, h, &qemu_box_ops,
              strdup(cfg->box_name && cfg->box_name[0] ? cfg->box_name : "box"));
  b->st = st;
  b->ls = -1;
  int rc = qemu_options_parse(h, cfg->options, &b->opt, call);
  if (rc != 0) {
    gs_box_clear(&b->box);
    free(b);
    return rc;
  }
  pthread_mutex_lock(&st->lock);
  unsigned long seq = ++st->next_box;
  pthread_mutex_unlock(&st->lock);
  b->box.gs.uid = b->opt.pol.uid;
  b->box.gs.gid = b->opt.pol.gid;
  b->memory_mb = cfg->memory_mb ? cfg->memory_mb : QEMU_DEFAULT_MEMORY_MB;
  b->vcpus = cfg->vcpus ? cfg->vcpus : 1;
  b->disk_mb = disk_mb ? disk_mb : QEMU_DEFAULT_DISK_MB;
  b->network = cfg->network != 0;
  char why[200];
  b->accel = qemu_accel_resolve(b->opt.accel, why, sizeof why);
  if (b->accel < 0) {
    rc = h->set_error(call, VBX_E_UNSUPPORTED, "accel",
                      "sandbox backend 'qemu': accel: kvm requested but %s", why);
    box_free(b);
    return rc;
  }
  const char *root = qemu_work_root(&b->opt);
  gs_sweep_once(&st->swept, h, root, QEMU_BOX_PREFIX, qemu_box_ops.proc_file);
  if ((rc = qemu_image_locate(b, call)) != 0) {
    box_free(b);
    return rc;
  }
  h->log(h->ctx, VBX_LOG_INFO,
         "box %s: QEMU microvm, %s (%s), %u MiB + %u MiB disk, %u vCPU, network %s", b->box.name,
         b->accel == QEMU_ACCEL_KVM ? "KVM acceleration" : "software emulation (TCG)", why,
         b->memory_mb, b->disk_mb, b->vcpus, b->network ? "user" : "none");
  char dir_name[100];
  snprintf(dir_name, sizeof dir_name, "%.48s", b->box.name ? b->box.name : "box");
  guest_safe_name(dir_name);
  snprintf(dir_name + strlen(dir_name), sizeof dir_name - strlen(dir_name), "-%lu", seq);
  rc = gs_box_create(&b->box, cfg, root, b->opt.work_root != NULL, dir_name, call);
  if (rc != 0) {
    box_free(b);
    return rc;
  }
  h->log(h->ctx, VBX_LOG_INFO, "box %s: guest agent up in %.0f ms (QEMU connected at %.0f ms)",
         b->box.name, (double)(b->boot_ns[2] - b->boot_ns[0]) / 1e6,
         (double)(b->boot_ns[1] - b->boot_ns[0]) / 1e6);
  *out = b;
  return 0;
}

static void qemu_destroy(void *sandbox) {
  if (sandbox != NULL) box_free(sandbox);
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
    .telemetry = guest_vt_telemetry,
};

static int qemu_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  qemu_state *st = calloc(1, sizeof *st);
  if (st == NULL) return host->set_error(NULL, VBX_E_NOMEM, NULL, "out of memory");
  st->host = host;
  pthread_mutex_init(&st->lock, NULL);
  pthread_mutex_init(&st->swept.lock, NULL);
  int rc = reg->register_sandbox_backend(reg->reg, &qemu_vtable);
  if (rc != 0) {
    pthread_mutex_destroy(&st->swept.lock);
    pthread_mutex_destroy(&st->lock);
    free(st);
    return rc;
  }
  /* Box directories a killed voidbox left in the default work root. */
  gs_sweep_once(&st->swept, host, gs_work_root(NULL), QEMU_BOX_PREFIX, qemu_box_ops.proc_file);
  *state = st;
  return 0;
}

static void qemu_fini(void *state) {
  qemu_state *st = state;
  if (st == NULL) return;
  pthread_mutex_destroy(&st->swept.lock);
  pthread_mutex_destroy(&st->lock);
  free(st);
}

VBX_PLUGIN_DEFINE("sandbox-qemu", "0.1.0", "Apache-2.0",
                  "sandbox backend 'qemu': a QEMU microvm per box running the voidbox guest "
                  "image (full Linux guest)",
                  qemu_init, qemu_fini)
