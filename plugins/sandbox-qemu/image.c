/*
 * sandbox-qemu/image.c - the guest image of a box: the kernel and the base
 * initramfs from `voidbox image build` (docs/guest-image.md), and the
 * per-box initrd that adds the box's policy and session secret to it.
 *
 * Linux unpacks concatenated newc archives in order, so the per-box initrd
 * is a copy of the base archive followed by a small archive of its own;
 * the secret never appears on the kernel command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/newc.h"
#include "qemu.h"
#include "util/cachedir.h"

#define RESOLV_CONF "nameserver 10.0.2.3\n" /* QEMU user networking's DNS */
/* The agent's arguments as PID 1, one a line (guest/agent/main.c reads
 * them); the box's disk size follows. */
#define AGENT_ARGS                                                                          \
  "--listen\nvirtio-port:" QEMU_PORT_NAME                                                   \
  "\n--policy-file\n/etc/voidbox/policy\n"                                                  \
  "--secret-file\n/etc/voidbox/secret\n--unlink-secret\n--root\n/\n--cwd\n" GUEST_WORKSPACE \
  "\n--shutdown\nreboot\n--disk-mb\n"

static int pick(qemu_box *b, const char *opt, const char *dir, const char *file, char *out,
                size_t cap, const char *what, vbx_call *call) {
  int n = opt ? snprintf(out, cap, "%s", opt) : snprintf(out, cap, "%s/%s", dir, file);
  if (n <= 0 || (size_t)n >= cap)
    return b->box.host->set_error(call, VBX_E_TOOBIG, what, "%s path is too long", what);
  struct stat st;
  if (stat(out, &st) != 0 || !S_ISREG(st.st_mode))
    return b->box.host->set_error(call, VBX_E_NOTFOUND, opt ? what : NULL,
                                  "sandbox backend 'qemu': no guest %s at %s (%s); build the image "
                                  "with `voidbox image build` (docs/guest-image.md)%s",
                                  what, out, errno ? strerror(errno) : "not a regular file",
                                  opt ? "" : " or set the sandbox option");
  return 0;
}

int qemu_image_locate(qemu_box *b, vbx_call *call) {
  char dir[400] = "";
  if ((b->opt.kernel == NULL || b->opt.initramfs == NULL) &&
      vbx__cache_dir(b->opt.image_dir, dir, sizeof dir) != 0)
    return b->box.host->set_error(call, VBX_E_NOTFOUND, "image_dir",
                                  "sandbox backend 'qemu': no image directory (set image_dir, "
                                  "VOIDBOX_CACHE_DIR or HOME)");
  errno = 0;
  int rc = pick(b, b->opt.kernel, dir, "vmlinux", b->kernel, sizeof b->kernel, "kernel", call);
  if (rc == 0)
    rc = pick(b, b->opt.initramfs, dir, "initramfs.cpio", b->initramfs, sizeof b->initramfs,
              "initramfs", call);
  return rc;
}

static int copy_all(int in, int out) {
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) return 0;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return -1;
      off += w;
    }
  }
}

int qemu_image_box_initrd(qemu_box *b, const void *secret, size_t secret_len, vbx_call *call) {
  const vbx_host_services *h = b->box.host;
  char path[600];
  snprintf(path, sizeof path, "%s/initrd.cpio", b->box.dir);
  int in = open(b->initramfs, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return h->set_error(call, VBX_E_IO, NULL, "cannot open %s: %s", b->initramfs, strerror(errno));
  int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    int e = errno;
    close(in);
    return h->set_error(call, VBX_E_IO, NULL, "cannot create %s: %s", path, strerror(e));
  }
  char args[sizeof AGENT_ARGS + 16];
  int args_len = snprintf(args, sizeof args, AGENT_ARGS "%u\n", b->disk_mb);
  char *policy = guest_policy_text(h, &b->opt.pol, "sandbox-qemu");
  int rc = policy ? 0 : VBX_E_NOMEM;
  if (rc == 0 && copy_all(in, out) != 0) rc = VBX_E_IO;
  off_t base = lseek(out, 0, SEEK_CUR);
  if (rc == 0 && (base < 0 || base % 4 != 0))
    rc = h->set_error(call, VBX_E_INVAL, NULL, "%s is not a newc archive (size %lld)", b->initramfs,
                      (long long)base);
  if (rc == 0) {
    vbx__newc w;
    vbx__newc_init(&w, out, 0);
    const vbx__newc_entry resolv = {"etc/resolv.conf", S_IFREG | 0644,        0, 0, 0, 0,
                                    RESOLV_CONF,       sizeof RESOLV_CONF - 1};
    const vbx__newc_entry e[] = {
        {"etc/voidbox", S_IFDIR | 0700, 0, 0, 0, 0, NULL, 0},
        {"etc/voidbox/agent.args", S_IFREG | 0400, 0, 0, 0, 0, args, (size_t)args_len},
        {"etc/voidbox/policy", S_IFREG | 0400, 0, 0, 0, 0, policy, strlen(policy)},
        {"etc/voidbox/secret", S_IFREG | 0400, 0, 0, 0, 0, secret, secret_len},
        {"workspace", S_IFDIR | 0755, b->opt.pol.uid, b->opt.pol.gid, 0, 0, NULL, 0},
    };
    if (b->network) rc = vbx__newc_add(&w, &resolv);
    for (size_t i = 0; rc == 0 && i < sizeof e / sizeof e[0]; i++)
      rc = vbx__newc_add(&w, &e[i]);
    if (rc == 0) rc = vbx__newc_finish(&w, NULL, NULL);
  }
  if (rc == VBX_E_IO || rc == VBX_E_NOMEM)
    rc = h->set_error(call, rc, NULL, "writing %s: %s", path,
                      rc == VBX_E_NOMEM ? "out of memory" : strerror(errno));
  if (policy) h->free(policy);
  close(in);
  if (close(out) != 0 && rc == 0)
    rc = h->set_error(call, VBX_E_IO, NULL, "writing %s: %s", path, strerror(errno));
  return rc;
}
