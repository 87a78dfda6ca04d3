/*
 * guest-session/gs_vm_plugin.c - the plugin instance of a VM backend: its
 * state (the box counter, the work roots swept), init (register the
 * vtable, then sweep the default work root of what a killed voidbox left),
 * fini, and the number of its next box.
 */
#include <stdlib.h>

#include "gs_vm.h"

int gs_vm_plugin_init(const vbx_host_services *host, const vbx_registrar *reg,
                      const vbx_sandbox_backend_vtable *vt, const gs_box_ops *ops, void **state) {
  gs_vm_state *st = calloc(1, sizeof *st);
  if (st == NULL) return host->set_error(NULL, VBX_E_NOMEM, NULL, "out of memory");
  st->host = host;
  st->ops = ops;
  pthread_mutex_init(&st->lock, NULL);
  pthread_mutex_init(&st->swept.lock, NULL);
  int rc = reg->register_sandbox_backend(reg->reg, vt);
  if (rc != 0) {
    gs_vm_plugin_fini(st);
    return rc;
  }
  /* Box directories a killed voidbox left in the default work root. */
  gs_vm_sweep(st, gs_work_root(NULL));
  *state = st;
  return 0;
}

void gs_vm_plugin_fini(void *state) {
  gs_vm_state *st = state;
  if (st == NULL) return;
  pthread_mutex_destroy(&st->swept.lock);
  pthread_mutex_destroy(&st->lock);
  free(st);
}

void gs_vm_sweep(gs_vm_state *st, const char *root) {
  gs_sweep_once(&st->swept, st->host, root, st->ops->dir_prefix, st->ops->proc_file);
}

unsigned long gs_vm_next_box(gs_vm_state *st) {
  pthread_mutex_lock(&st->lock);
  unsigned long seq = ++st->next_box;
  pthread_mutex_unlock(&st->lock);
  return seq;
}
