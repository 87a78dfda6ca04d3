/*
 * sandbox-local/registry.c - the host-wide registry of box directories:
 * every box writes <run_dir>/boxes/<basename(workdir)> (root-only, 0600)
 * holding its owner record (guest-session's gs_owner.c) in the local v1
 * form, the same text as the box's own owner file (local_owner_text):
 * voidbox processes of other versions share the registry and compare the
 * two byte for byte. That is how the sweep
 * (sweep.c) finds box directories under any work_root. The owner also
 * names the box's cgroups' parent directory voidbox-local/o<pid>-<start>
 * (how the sweep finds cgroups).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "local.h"

void local_owner_cgname(const gs_owner *o, char *buf, size_t cap) {
  snprintf(buf, cap, "o%d-%llu", (int)o->pid, o->start);
}

int local_registry_add(local_state *st, const gs_owner *o, const char *workdir, vbx_call *call) {
  const vbx_host_services *h = st->host;
  char text[900], err[300];
  int len = gs_owner_format_local_v1(o, workdir, text, sizeof text);
  const char *base = strrchr(workdir, '/');
  if (len < 0 || base == NULL)
    return h->set_error(call, VBX_E_SANDBOX, "work_root", "box directory path too long: %s",
                        workdir);
  int bfd = local_rundir_open(st, "boxes", err, sizeof err);
  if (bfd < 0) return h->set_error(call, VBX_E_SANDBOX, NULL, "%s", err);
  int rc = gs_write_new(bfd, base + 1, text, (size_t)len);
  close(bfd);
  if (rc != 0)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "%s/boxes/%s: %s", st->run_dir, base + 1,
                        strerror(-rc));
  return 0;
}

void local_registry_remove(const local_state *st, const char *workdir) {
  char err[300];
  const char *base = strrchr(workdir, '/');
  int bfd = base ? local_rundir_open(st, "boxes", err, sizeof err) : -1;
  if (bfd >= 0) {
    unlinkat(bfd, base + 1, 0);
    close(bfd);
  }
}

int local_owner_text(const gs_box *b, char *buf, size_t cap) {
  return gs_owner_format_local_v1(&b->owner, b->dir, buf, cap);
}
