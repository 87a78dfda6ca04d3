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
#include "util/error.h"

static int is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Directory of /proc/self/exe into buf. */
static int exe_dir(char *buf, size_t size) {
  ssize_t n = readlink("/proc/self/exe", buf, size - 1);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char *s = strrchr(buf, '/');
  if (!s) return -1;
  *s = '\0';
  return 0;
}

/* The source dir recorded in BUILD/CMakeCache.txt, if any. */
static int cmake_home(const char *build, char *out, size_t size) {
  char path[PATH_MAX], *text = NULL;
  if (vbx__img_path(path, sizeof(path), "%s/CMakeCache.txt", build)) return -1;
  if (vbx__img_read_file(path, 4u << 20, &text, NULL)) return -1;
  int rc = -1;
  const char *key = "CMAKE_HOME_DIRECTORY:INTERNAL=";
  char *p = strstr(text, key);
  if (p) {
    p += strlen(key);
    size_t n = strcspn(p, "\r\n");
    if (n && n < size) {
      memcpy(out, p, n);
      out[n] = '\0';
      rc = 0;
    }
  }
  free(text);
  return rc;
}

int vbx__image_find_fragment(const char *explicit_path, char *out, size_t size, vbx_error *err) {
  const char *v = explicit_path && *explicit_path ? explicit_path : getenv("VOIDBOX_KERNEL_CONFIG");
  if (v && *v) {
    if (!is_file(v))
      return vbx__error_set(err, VBX_E_NOTFOUND, "kernel config fragment %s: not a readable file",
                            v);
    return vbx__img_path(out, size, "%s", v);
  }
  char dir[PATH_MAX], cand[PATH_MAX + 64], src[PATH_MAX];
  if (exe_dir(dir, sizeof(dir)) == 0) {
    char walk[PATH_MAX];
    snprintf(walk, sizeof(walk), "%s", dir);
    for (int depth = 0; depth < 6 && walk[0]; depth++) {
      if (!vbx__img_path(cand, sizeof(cand), "%s/guest/image/kernel.config", walk) && is_file(cand))
        return vbx__img_path(out, size, "%s", cand);
      char *s = strrchr(walk, '/');
      if (!s) break;
      *s = '\0';
    }
    char *s = strrchr(dir, '/');
    if (s) *s = '\0'; /* BUILD/bin -> BUILD */
    if (cmake_home(dir, src, sizeof(src)) == 0 &&
        !vbx__img_path(cand, sizeof(cand), "%s/guest/image/kernel.config", src) && is_file(cand))
      return vbx__img_path(out, size, "%s", cand);
  }
  return vbx__error_set(err, VBX_E_NOTFOUND,
                        "kernel config fragment not found: pass --config PATH or set "
                        "VOIDBOX_KERNEL_CONFIG (looked for guest/image/kernel.config above %s "
                        "and in the build tree's source dir)",
                        "the voidbox binary");
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
  char dir[PATH_MAX] = "BUILD", cand[PATH_MAX + 64];
  /* The build puts the agent next to the voidbox binary (BUILD/bin). */
  if (exe_dir(dir, sizeof(dir)) == 0 &&
      !vbx__img_path(cand, sizeof(cand), "%s/voidbox-guest-agent", dir) && is_file(cand))
    return vbx__img_path(out, size, "%s", cand);
  return vbx__error_set(err, VBX_E_NOTFOUND,
                        "guest agent binary not found at %s/voidbox-guest-agent: "
                        "build the voidbox-guest-agent target or pass --agent PATH",
                        dir);
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
