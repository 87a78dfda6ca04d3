/*
 * guest-session/gs_vm_image.c - the guest image of a VM box: the kernel and
 * the base initramfs from `voidbox image build` (docs/guest-image.md), from
 * the backend's options or the image cache.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gs_vm.h"
#include "util/cachedir.h"

static int pick(const vbx_host_services *h, const char *backend, const char *opt, const char *dir,
                const char *file, char *out, size_t cap, const char *what, vbx_call *call) {
  int n = opt ? snprintf(out, cap, "%s", opt) : snprintf(out, cap, "%s/%s", dir, file);
  if (n <= 0 || (size_t)n >= cap)
    return h->set_error(call, VBX_E_TOOBIG, what, "%s path is too long", what);
  struct stat st;
  errno = 0;
  if (stat(out, &st) != 0 || !S_ISREG(st.st_mode))
    return h->set_error(call, VBX_E_NOTFOUND, opt ? what : NULL,
                        "sandbox backend '%s': no guest %s at %s (%s); build the image "
                        "with `voidbox image build` (docs/guest-image.md)%s",
                        backend, what, out, errno ? strerror(errno) : "not a regular file",
                        opt ? "" : " or set the sandbox option");
  return 0;
}

int gs_vm_image_locate(const vbx_host_services *h, const char *backend, const char *image_dir,
                       const char *kernel, const char *initramfs, gs_vm_image *out,
                       vbx_call *call) {
  char dir[400] = "";
  if ((kernel == NULL || initramfs == NULL) && vbx__cache_dir(image_dir, dir, sizeof dir) != 0)
    return h->set_error(call, VBX_E_NOTFOUND, "image_dir",
                        "sandbox backend '%s': no image directory (set image_dir, "
                        "VOIDBOX_CACHE_DIR or HOME)",
                        backend);
  int rc =
      pick(h, backend, kernel, dir, "vmlinux", out->kernel, sizeof out->kernel, "kernel", call);
  if (rc == 0)
    rc = pick(h, backend, initramfs, dir, "initramfs.cpio", out->initramfs, sizeof out->initramfs,
              "initramfs", call);
  return rc;
}
