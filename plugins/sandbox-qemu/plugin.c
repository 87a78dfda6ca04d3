/*
 * sandbox-qemu/plugin.c - descriptor and vtable of the "qemu" sandbox
 * backend: each box is a fresh micro-VM (QEMU microvm, KVM or TCG) running
 * the voidbox guest image. Instances are thread-safe: the protocol
 * multiplexes concurrent execs and file calls on one connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu.h"

#define MAX_VCPUS 8 /* CONFIG_NR_CPUS of guest/image/kernel.config */

static int qemu_validate(void *state, const vbx_json *options, vbx_call *call) {
  qemu_state *st = state;
  qemu_options o;
  int rc = qemu_options_parse(st->host, options, &o, call);
  if (rc == 0)
    qemu_options_clear(&o);
  return rc;
}

static void box_free(qemu_box *b) {
  qemu_teardown(b);
  qemu_options_clear(&b->opt);
  guest_env_free(b->gs.env);
  free(b->name);
  pthread_mutex_destroy(&b->pid_lock);
  free(b);
}

static int box_dir(qemu_box *b, unsigned long seq, vbx_call *call) {
  char name[100];
  snprintf(name, sizeof name, "%.48s", b->name);
  guest_safe_name(name);
  const char *base = qemu_work_root(&b->opt);
  /* The chardev socket path must fit sun_path (108 bytes) with "/ctl.sock". */
  int n = snprintf(b->dir, sizeof b->dir, "%s/vbx-qemu-%s-%lu-XXXXXX", base, name, seq);
  if (n <= 0 || (size_t)n + sizeof "/ctl.sock" > 108) {
    b->dir[0] = '\0';
    return b->host->set_error(call, VBX_E_TOOBIG, b->opt.work_root ? "work_root" : NULL,
                              "box directory under %s: path too long for a Unix socket "
                              "(set work_root to a shorter directory)",
                              base);
  }
  if (mkdtemp(b->dir) == NULL) {
    int e = errno;
    b->dir[0] = '\0';
    return b->host->set_error(call, VBX_E_SANDBOX, b->opt.work_root ? "work_root" : NULL,
                              "cannot create a box directory under %s: %s", base, strerror(e));
  }
  /* Who owns it, so that a later voidbox removes it if this process dies
   * without doing so (sweep.c). */
  int rc = qemu_owner_record(b->dir, "owner", getpid());
  if (rc != 0) {
    rmdir(b->dir);
    b->dir[0] = '\0';
    return b->host->set_error(call, VBX_E_IO, NULL, "cannot write the owner of a box directory "
                              "under %s: %s", base, strerror(-rc));
  }
  return 0;
}

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
  if (b == NULL)
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  b->st = st;
  b->host = h;
  b->pid = -1;
  b->status = -1;
  pthread_mutex_init(&b->pid_lock, NULL);
  int rc = qemu_options_parse(h, cfg->options, &b->opt, call);
  if (rc != 0) {
    pthread_mutex_destroy(&b->pid_lock);
    free(b);
    return rc;
  }
  pthread_mutex_lock(&st->lock);
  unsigned long seq = ++st->next_box;
  pthread_mutex_unlock(&st->lock);
  b->name = strdup(cfg->box_name && cfg->box_name[0] ? cfg->box_name : "box");
  b->gs.env = guest_default_env(cfg->env);
  if (b->name == NULL || b->gs.env == NULL) {
    box_free(b);
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  }
  b->gs.host = h;
  b->gs.name = b->name;
  b->gs.uid = b->opt.pol.uid;
  b->gs.gid = b->opt.pol.gid;
  b->gs.why_dead = qemu_why_dead;
  b->gs.why_ctx = b;
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
  qemu_sweep_once(st, qemu_work_root(&b->opt));
  if ((rc = qemu_image_locate(b, call)) != 0 || (rc = box_dir(b, seq, call)) != 0) {
    box_free(b);
    return rc;
  }
  if (cfg->timeout_secs)
    b->gs.expires_ns = h->monotonic_ns() + (uint64_t)cfg->timeout_secs * 1000000000ull;
  h->log(h->ctx, VBX_LOG_INFO,
         "box %s: QEMU microvm, %s (%s), %u MiB + %u MiB disk, %u vCPU, network %s", b->name,
         b->accel == QEMU_ACCEL_KVM ? "KVM acceleration" : "software emulation (TCG)", why,
         b->memory_mb, b->disk_mb, b->vcpus, b->network ? "user" : "none");
  if ((rc = qemu_launch(b, call)) != 0) {
    box_free(b);
    return rc;
  }
  h->log(h->ctx, VBX_LOG_INFO, "box %s: guest agent up in %.0f ms (QEMU connected at %.0f ms)",
         b->name, (double)(b->boot_ns[2] - b->boot_ns[0]) / 1e6,
         (double)(b->boot_ns[1] - b->boot_ns[0]) / 1e6);
  *out = b;
  return 0;
}

static void qemu_destroy(void *sandbox) {
  if (sandbox != NULL)
    box_free(sandbox);
}

static const vbx_sandbox_backend_vtable qemu_vtable = {
    .struct_size = sizeof(vbx_sandbox_backend_vtable),
    .name = "qemu",
    .description = "a fresh QEMU microvm per box (KVM with hardware virtualization, software "
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
  if (st == NULL)
    return host->set_error(NULL, VBX_E_NOMEM, NULL, "out of memory");
  st->host = host;
  pthread_mutex_init(&st->lock, NULL);
  int rc = reg->register_sandbox_backend(reg->reg, &qemu_vtable);
  if (rc != 0) {
    pthread_mutex_destroy(&st->lock);
    free(st);
    return rc;
  }
  /* Box directories a killed voidbox left in the default work root. */
  static const qemu_options defaults;
  qemu_sweep_once(st, qemu_work_root(&defaults));
  *state = st;
  return 0;
}

static void qemu_fini(void *state) {
  qemu_state *st = state;
  if (st == NULL)
    return;
  pthread_mutex_destroy(&st->lock);
  free(st);
}

VBX_PLUGIN_DEFINE("sandbox-qemu", "0.1.0", "Apache-2.0",
                  "sandbox backend 'qemu': a QEMU microvm per box running the voidbox guest "
                  "image (full Linux guest)",
                  qemu_init, qemu_fini)
