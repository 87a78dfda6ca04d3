/*
 * sandbox-local/plugin.c - descriptor and vtable of the "local" sandbox
 * backend: process isolation (namespaces, pivot_root, seccomp, rlimits,
 * cgroups), NOT a VM. Instances are thread-safe: the protocol multiplexes
 * concurrent execs and file calls on one connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "local.h"

static int local_validate(void *state, const vbx_json *options, vbx_call *call) {
  local_state *st = state;
  local_options o;
  int rc = local_options_parse(st->host, options, &o, call);
  if (rc == 0) local_options_clear(&o);
  return rc;
}

static void box_free(local_box *b) {
  gs_box_teardown(&b->box);
  local_options_clear(&b->opt);
  gs_box_clear(&b->box);
  free(b);
}

/* Identity of the box's commands: an id of its own from the range unless
 * the spec set both uid and gid (such boxes share that identity). */
static int box_identity(local_box *b, vbx_call *call) {
  b->uid.fd = -1;
  if (b->opt.uid_set && b->opt.gid_set) return 0;
  int rc = local_uid_alloc(b->st, &b->uid, call);
  if (rc != 0) return rc;
  if (!b->opt.uid_set) b->opt.pol.uid = b->uid.id;
  if (!b->opt.gid_set) b->opt.pol.gid = b->uid.id;
  return 0;
}

static int local_create(void *state, const vbx_sandbox_config *cfg, vbx_call *call, void **out) {
  local_state *st = state;
  const vbx_host_services *h = st->host;
  *out = NULL;
  /* With network: true a local box shares the host's network namespace:
   * there is no place to enforce an egress policy, so asking for one is
   * refused rather than ignored (docs/network.md). */
  if (cfg->network && VBX_HAS_MEMBER(cfg, vbx_sandbox_config, network_policy) &&
      cfg->network_policy != NULL)
    return h->set_error(call, VBX_E_UNSUPPORTED, "network",
                        "sandbox backend 'local' cannot enforce a network policy (network: true "
                        "shares the host's network); use backend qemu or kvm for allow/deny lists, "
                        "caps and rate limits");
  if (geteuid() != 0)
    return h->set_error(call, VBX_E_PERM, NULL,
                        "sandbox backend 'local' needs root (mount/pid/net namespaces and "
                        "pivot_root); running as uid %u",
                        geteuid());
  local_box *b = calloc(1, sizeof *b);
  if (b == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  pthread_mutex_lock(&st->lock);
  unsigned long seq = ++st->next_box;
  pthread_mutex_unlock(&st->lock);
  char name[200];
  snprintf(name, sizeof name, "%.64s-%d-%lu",
           cfg->box_name && cfg->box_name[0] ? cfg->box_name : "box", (int)getpid(), seq);
  guest_safe_name(name);
  gs_box_init(&b->box, h, &local_box_ops, strdup(name));
  b->st = st;
  b->uid.fd = -1;
  int rc = local_options_parse(h, cfg->options, &b->opt, call);
  if (rc == 0 && (rc = guest_policy_allow_skills(h, &b->opt.pol, cfg, call)) != 0)
    local_options_clear(&b->opt);
  if (rc != 0) {
    gs_box_clear(&b->box);
    free(b);
    return rc;
  }
  uint32_t disk = VBX_HAS_MEMBER(cfg, vbx_sandbox_config, disk_mb) ? cfg->disk_mb : 0;
  b->disk_mb = disk ? disk : LOCAL_DISK_MB_DEFAULT;
  if ((rc = box_identity(b, call)) != 0) {
    box_free(b);
    return rc;
  }
  b->box.gs.uid = b->opt.pol.uid;
  b->box.gs.gid = b->opt.pol.gid;
  rc = gs_box_create(&b->box, cfg, gs_work_root(b->opt.work_root), b->opt.work_root != NULL, name,
                     call);
  if (rc != 0) {
    box_free(b);
    return rc;
  }
  h->log(h->ctx, VBX_LOG_DEBUG, "box %s: agent pid %d uid %u in %s", b->box.name, (int)b->box.pid,
         b->opt.pol.uid, b->box.dir);
  *out = b;
  return 0;
}

static void local_destroy(void *sandbox) {
  if (sandbox != NULL) box_free(sandbox);
}

/* The guest's figures, then those of the agent process (PID 1 of the
 * box's namespaces) seen from the host. */
static int local_telemetry(void *sandbox, vbx_sandbox_telemetry *out, vbx_call *call) {
  return gs_box_telemetry(sandbox, "agent", out, call);
}

static const vbx_sandbox_backend_vtable local_vtable = {
    .struct_size = sizeof(vbx_sandbox_backend_vtable),
    .name = "local",
    .description =
        "process isolation, NOT a VM: the guest agent in new mount/pid/ipc/uts/net "
        "namespaces with its own root, seccomp, rlimits and cgroup limits; shares "
        "the host kernel",
    .flags = VBX_VT_THREAD_SAFE,
    .validate_options = local_validate,
    .create = local_create,
    .destroy = local_destroy,
    .exec = guest_vt_exec,
    .file_write = guest_vt_file_write,
    .file_read = guest_vt_file_read,
    .telemetry = local_telemetry,
    GUEST_VT_PROC_METHODS,
};

static int local_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  local_state *st = calloc(1, sizeof *st);
  if (st == NULL) return host->set_error(NULL, VBX_E_NOMEM, NULL, "out of memory");
  st->host = host;
  pthread_mutex_init(&st->lock, NULL);
  int rc = local_settings_read(st);
  if (rc != 0) {
    pthread_mutex_destroy(&st->lock);
    free(st);
    return rc;
  }
  char err[200];
  if (local_seccomp_build(&st->seccomp, err, sizeof err) != 0) {
    pthread_mutex_destroy(&st->lock);
    free(st);
    return host->set_error(NULL, VBX_E_PLUGIN, NULL, "sandbox-local: %s", err);
  }
  local_sweep(st); /* leftovers of voidbox processes that died */
  rc = reg->register_sandbox_backend(reg->reg, &local_vtable);
  if (rc != 0) {
    free(st->seccomp.filter);
    pthread_mutex_destroy(&st->lock);
    free(st);
    return rc;
  }
  *state = st;
  return 0;
}

static void local_fini(void *state) {
  local_state *st = state;
  if (st == NULL) return;
  free(st->seccomp.filter);
  pthread_mutex_destroy(&st->lock);
  free(st);
}

VBX_PLUGIN_DEFINE("sandbox-local", "0.1.0", "Apache-2.0",
                  "sandbox backend 'local': process isolation with namespaces, seccomp and "
                  "cgroups (not a VM)",
                  local_init, local_fini)
