/*
 * guest-session/gs_vm_config.c - what a VM backend takes of a box's
 * config: the refusals both share (more vCPUs than the guest kernel has,
 * too little memory, too large a disk) and the VM's size with the defaults
 * filled in. Mounts are each backend's own (gs_vm_mounts.c).
 */
#include "gs_vm.h"

/* The config's disk_mb, 0 when the host's config struct predates it. */
static uint32_t cfg_disk_mb(const vbx_sandbox_config *cfg) {
  return VBX_HAS_MEMBER(cfg, vbx_sandbox_config, disk_mb) ? cfg->disk_mb : 0;
}

int gs_vm_config_check(const vbx_host_services *h, const char *backend,
                       const vbx_sandbox_config *cfg, vbx_call *call) {
  if (cfg->vcpus > GS_VM_MAX_VCPUS)
    return h->set_error(call, VBX_E_SPEC, "vcpus",
                        "sandbox backend '%s': vcpus %u is more than the guest kernel's %d",
                        backend, cfg->vcpus, GS_VM_MAX_VCPUS);
  if (cfg->memory_mb != 0 && cfg->memory_mb < GS_VM_MIN_MEMORY_MB)
    return h->set_error(call, VBX_E_SPEC, "memory_mb",
                        "sandbox backend '%s': memory_mb %u is below the %u MiB a guest needs",
                        backend, cfg->memory_mb, GS_VM_MIN_MEMORY_MB);
  uint32_t disk_mb = cfg_disk_mb(cfg);
  if (disk_mb > GS_VM_MAX_DISK_MB)
    return h->set_error(call, VBX_E_SPEC, "disk_mb",
                        "sandbox backend '%s': disk_mb %u is more than %u", backend, disk_mb,
                        GS_VM_MAX_DISK_MB);
  return 0;
}

void gs_vm_config_size(const vbx_sandbox_config *cfg, gs_vm_size *out) {
  uint32_t disk_mb = cfg_disk_mb(cfg);
  out->memory_mb = cfg->memory_mb ? cfg->memory_mb : GS_VM_DEFAULT_MEMORY_MB;
  out->vcpus = cfg->vcpus ? cfg->vcpus : 1;
  out->disk_mb = disk_mb ? disk_mb : GS_VM_DEFAULT_DISK_MB;
}
