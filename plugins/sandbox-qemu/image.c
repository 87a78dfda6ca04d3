/*
 * sandbox-qemu/image.c - the guest image of a box: the kernel and the base
 * initramfs from `voidbox image build` (docs/guest-image.md), and the
 * per-box initrd that adds the box's policy and session secret to it. Both
 * are guest-session's VM helpers (gs_vm.h), shared with `kvm`; this file
 * says what is QEMU's: the agent listens on the virtio-serial port.
 */
#include <string.h>

#include "gs_vm.h"
#include "qemu.h"

int qemu_image_locate(qemu_box *b, vbx_call *call) {
  gs_vm_image img;
  int rc = gs_vm_image_locate(b->box.host, "qemu", b->opt.image_dir, b->opt.kernel,
                              b->opt.initramfs, &img, call);
  if (rc != 0) return rc;
  memcpy(b->kernel, img.kernel, sizeof b->kernel);
  memcpy(b->initramfs, img.initramfs, sizeof b->initramfs);
  return 0;
}

int qemu_image_box_initrd(qemu_box *b, const void *secret, size_t secret_len, vbx_call *call) {
  char path[600];
  gs_box_path(&b->box, "initrd.cpio", path, sizeof path);
  const gs_vm_initrd spec = {
      .base = b->initramfs,
      .listen = "virtio-port:" QEMU_PORT_NAME,
      .writer = "sandbox-qemu",
      .pol = &b->opt.pol,
      .disk_mb = b->size.disk_mb,
      .resolv_conf = b->network ? GS_VM_RESOLV_CONF : NULL,
      .mounts = &b->mounts,
  };
  return gs_vm_initrd_write(b->box.host, path, &spec, secret, secret_len, call);
}
