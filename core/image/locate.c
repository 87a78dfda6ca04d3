/*
 * image/locate.c - locating the builder's inputs; ELF and bzImage headers.
 */
#include "image/locate.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/fsutil.h"
#include "layout.h"
#include "util/error.h"

static int is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* path (installed) or build_rel (build tree) in the tree of the running
 * voidbox (the object holding this code: the CLI), into out. 0, or
 * VBX_E_NOTFOUND when this code is in no voidbox tree. */
static int tree_path(const char *installed_rel, const char *build_rel, char *out, size_t size) {
  static const char *const dirs[] = {VBX_LAYOUT_BINDIR, VBX_LAYOUT_LIBDIR, VBX_LAYOUT_PLUGINDIR,
                                     NULL};
  vbx_layout l;
  if (vbx_layout_find((const void *)tree_path, dirs, &l) != 0) return VBX_E_NOTFOUND;
  return vbx_layout_path(&l, installed_rel, build_rel, out, size);
}

int vbx__image_find_fragment(const char *explicit_path, char *out, size_t size, vbx_error *err) {
  const char *v = explicit_path && *explicit_path ? explicit_path : getenv("VOIDBOX_KERNEL_CONFIG");
  if (v && *v) {
    if (!is_file(v))
      return vbx__error_set(err, VBX_E_NOTFOUND, "kernel config fragment %s: not a readable file",
                            v);
    return vbx__img_path(out, size, "%s", v);
  }
  char cand[PATH_MAX];
  int rc = tree_path(VBX_LAYOUT_KERNEL_CONFIG, VBX_LAYOUT_BUILD_KERNEL_CONFIG, cand, sizeof(cand));
  if (rc == 0 && is_file(cand)) return vbx__img_path(out, size, "%s", cand);
  return vbx__error_set(err, VBX_E_NOTFOUND,
                        "kernel config fragment not found%s%s: pass --config PATH or set "
                        "VOIDBOX_KERNEL_CONFIG",
                        rc == 0 ? " at " : " (this voidbox is in no build or install tree)",
                        rc == 0 ? cand : "");
}

int vbx__image_find_tarball(const char *explicit_path, char *out, size_t size, vbx_error *err) {
  const char *v = explicit_path && *explicit_path ? explicit_path : getenv("VOIDBOX_KERNEL_SOURCE");
  if (!v || !*v) v = "/usr/src/linux-source-6.1.tar.xz";
  if (!is_file(v))
    return vbx__error_set(err, VBX_E_NOTFOUND,
                          "kernel source tarball %s not found: install Debian's linux-source "
                          "package (scripts/install-deps.sh) or pass --kernel-source PATH",
                          v);
  return vbx__img_path(out, size, "%s", v);
}

int vbx__image_find_agent(const char *explicit_path, char *out, size_t size, vbx_error *err) {
  const char *v = explicit_path && *explicit_path ? explicit_path : getenv("VOIDBOX_GUEST_AGENT");
  if (v && *v) {
    if (!is_file(v))
      return vbx__error_set(err, VBX_E_NOTFOUND, "guest agent %s: not a readable file", v);
    return vbx__img_path(out, size, "%s", v);
  }
  char cand[PATH_MAX];
  int rc = tree_path(VBX_LAYOUT_AGENT, VBX_LAYOUT_BUILD_AGENT, cand, sizeof(cand));
  if (rc == 0 && is_file(cand)) return vbx__img_path(out, size, "%s", cand);
  return vbx__error_set(err, VBX_E_NOTFOUND,
                        "guest agent binary not found%s%s: build the voidbox-guest-agent target "
                        "or pass --agent PATH",
                        rc == 0 ? " at " : " (this voidbox is in no build or install tree)",
                        rc == 0 ? cand : "");
}

int vbx__image_elf_info(const char *path, vbx__elf_info *out) {
  int rc = VBX_E_INVAL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO;
  Elf64_Ehdr eh;
  memset(out, 0, sizeof(*out));
  if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh)) goto out;
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB)
    goto out;
  out->is_elf64 = 1;
  out->machine = eh.e_machine;
  out->type = eh.e_type;
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 512) goto out;
  for (unsigned i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph))
      goto out;
    if (ph.p_type == PT_INTERP) out->has_interp = 1;
  }
  rc = 0;
out:
  close(fd);
  return rc;
}

int vbx__image_bzimage_version(const char *path, unsigned *version) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO;
  unsigned char h[6];
  ssize_t n = pread(fd, h, sizeof(h), 0x202);
  close(fd);
  if (n != (ssize_t)sizeof(h) || memcmp(h, "HdrS", 4)) return VBX_E_INVAL;
  *version = (unsigned)h[4] | (unsigned)h[5] << 8;
  return 0;
}
