/*
 * image/locate.h - finding the builder's inputs: the kernel config
 * fragment, the kernel source tarball and the guest agent binary; and ELF /
 * bzImage header checks on the files involved.
 */
#ifndef VBX_IMAGE_LOCATE_H
#define VBX_IMAGE_LOCATE_H

#include <stddef.h>

#include "voidbox/voidbox.h"

/* The config fragment: explicit path, else $VOIDBOX_KERNEL_CONFIG, else
 * guest/image/kernel.config in the source tree this voidbox binary was built
 * from (found by walking up from /proc/self/exe, then from the build tree's
 * CMakeCache.txt). Returns 0 or VBX_E_NOTFOUND (err lists where it looked). */
int vbx__image_find_fragment(const char *explicit_path, char *out, size_t size, vbx_error *err);

/* The kernel source tarball: explicit path, else $VOIDBOX_KERNEL_SOURCE,
 * else /usr/src/linux-source-6.1.tar.xz (Debian 12's linux-source). */
int vbx__image_find_tarball(const char *explicit_path, char *out, size_t size, vbx_error *err);

/* The guest agent: explicit path, else $VOIDBOX_GUEST_AGENT, else
 * BUILD/guest/agent/voidbox-guest-agent next to this binary's build tree
 * (BUILD = dirname(dirname(/proc/self/exe))). Returns 0 or VBX_E_NOTFOUND
 * with an error that says to pass --agent. */
int vbx__image_find_agent(const char *explicit_path, char *out, size_t size, vbx_error *err);

typedef struct vbx__elf_info {
  int is_elf64;   /* ELF class 64, little endian */
  int machine;    /* e_machine (62 = x86-64) */
  int type;       /* e_type (2 = EXEC, 3 = DYN) */
  int has_interp; /* a PT_INTERP program header: dynamically linked */
} vbx__elf_info;

/* Read the ELF header and program headers of path. Returns 0, VBX_E_NOTFOUND,
 * VBX_E_IO, or VBX_E_INVAL when it is not a well-formed ELF64 file. */
int vbx__image_elf_info(const char *path, vbx__elf_info *out);

/* The x86 boot protocol version of a bzImage (0x020f for 2.15), from the
 * "HdrS" setup header at offset 0x202. Returns 0, VBX_E_NOTFOUND, VBX_E_IO or
 * VBX_E_INVAL (no HdrS magic). */
int vbx__image_bzimage_version(const char *path, unsigned *version);

#endif
