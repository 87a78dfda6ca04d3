/*
 * sandbox-qemu/shares.c - a box's 9p shares (guest-session's
 * gs_vm_mounts_plan: the host userland's and the config's mounts) on
 * QEMU's command line: per share one read-only `local` file system device
 * and one virtio-9p device on the microvm's virtio-mmio bus, whose mount
 * tag the guest agent mounts (--mount TAG:PATH in agent.args).
 *
 * security_model=none: files are served as they are on the host, owners
 * and modes included, by QEMU running as voidbox's user; readonly=on: QEMU
 * refuses every change, whatever the guest asks or mounts; multidevs=remap:
 * a share spanning several host file systems gets distinct inode numbers
 * (the guest caches by inode).
 */
#include <stdio.h>
#include <string.h>

#include "qemu.h"

/* s into out (cap bytes) with each comma doubled; the bytes written, or
 * -1 when it does not fit. */
static int escape_commas(const char *s, char *out, size_t cap) {
  size_t n = 0;
  for (; *s; s++) {
    if (n + 3 > cap) return -1;
    if (*s == ',') out[n++] = ',';
    out[n++] = *s;
  }
  out[n] = '\0';
  return (int)n;
}

int qemu_share_args(const qemu_box *b, char *buf, size_t cap, const char **argv, int n, int max) {
  const gs_vm_mounts *m = &b->mounts;
  size_t used = 0;
  for (unsigned i = 0; i < m->n_share; i++) {
    const gs_vm_share *sh = &m->share[i];
    char path[2 * GS_VM_HOST_PATH_MAX + 1];
    if (n + 4 >= max || escape_commas(sh->host, path, sizeof path) < 0) return -1;
    char *fsdev = buf + used;
    int w =
        snprintf(fsdev, cap - used,
                 "local,id=fs%u,path=%s,security_model=none,readonly=on,multidevs=remap", i, path);
    if (w < 0 || (size_t)w >= cap - used) return -1;
    used += (size_t)w + 1;
    char *dev = buf + used;
    w = snprintf(dev, cap - used, "virtio-9p-device,fsdev=fs%u,mount_tag=%s", i, sh->tag);
    if (w < 0 || (size_t)w >= cap - used) return -1;
    used += (size_t)w + 1;
    argv[n++] = "-fsdev", argv[n++] = fsdev;
    argv[n++] = "-device", argv[n++] = dev;
  }
  return n;
}
