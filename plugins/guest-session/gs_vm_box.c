/*
 * guest-session/gs_vm_box.c - what every VM backend's create does to a
 * fresh box around its own checks: allocate it with the skeleton
 * initialised, take its identity, size, LLM gateway tunnel and number once
 * its options are parsed, name its directory, and say when it is up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gs_vm.h"

void *gs_vm_box_alloc(const vbx_host_services *h, size_t size, const gs_box_ops *ops,
                      const vbx_sandbox_config *cfg, vbx_call *call) {
  gs_box *b = calloc(1, size);
  if (b == NULL) {
    h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    return NULL;
  }
  gs_box_init(b, h, ops, strdup(cfg->box_name && cfg->box_name[0] ? cfg->box_name : "box"));
  return b;
}

unsigned long gs_vm_box_setup(gs_vm_state *st, gs_box *box, guest_policy *pol,
                              const vbx_sandbox_config *cfg, gs_vm_size *size) {
  unsigned long seq = gs_vm_next_box(st);
  box->gs.uid = pol->uid;
  box->gs.gid = pol->gid;
  gs_vm_config_size(cfg, size);
  gs_gateway_plan(box, pol, cfg, 0); /* a VM has its own network: always the tunnel */
  return seq;
}

void gs_vm_dir_name(const char *name, unsigned long seq, char *out, size_t cap) {
  snprintf(out, cap, "%.48s", name ? name : "box");
  guest_safe_name(out);
  size_t n = strlen(out);
  snprintf(out + n, cap - n, "-%lu", seq);
}

void gs_vm_log_up(const gs_box *box, const uint64_t boot_ns[3], const char *stream) {
  box->host->log(box->host->ctx, VBX_LOG_INFO, "box %s: guest agent up in %.0f ms (%s at %.0f ms)",
                 box->name, (double)(boot_ns[2] - boot_ns[0]) / 1e6, stream,
                 (double)(boot_ns[1] - boot_ns[0]) / 1e6);
}
