/*
 * vmm/x86/loader.h - the kernel loaders vmm_x86_load picks between, the
 * bounded whole-file reader they share and the error wording helper.
 */
#ifndef VMM_X86_LOADER_H
#define VMM_X86_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

/* What a loaded kernel tells the rest of the boot. */
typedef struct vmm_x86_kernel {
  uint64_t entry;           /* guest physical entry */
  bool pvh;                 /* entry is the PVH 32-bit entry */
  uint64_t end;             /* first byte above everything the kernel uses */
  uint64_t initrd_addr_max; /* highest address an initrd byte may have */
  uint64_t cmdline_max;     /* longest command line the kernel takes */
  const uint8_t *setup_hdr; /* bzImage setup header (into the file data) */
  size_t setup_hdr_len;     /* bytes of it to copy into the zero page */
} vmm_x86_kernel;

/* Load the ELF64 image `data` (`len` bytes; `name` for messages) into
 * `mem`: every PT_LOAD segment, bounded against the file and against
 * [VMM_X86_KERNEL_MIN, mem->size); the entry is the PVH note's
 * (XEN_ELFNOTE_PHYS32_ENTRY, name "Xen"). Returns 0 and fills *k, or
 * VBX_E_INVAL (not a loadable ELF64, no PVH note) / VBX_E_TOOBIG (a
 * segment outside memory) with the reason in `err`. `data` stays the
 * caller's. Not thread-safe against other writers of `mem`. */
int vmm_x86_load_elf(const vmm_guest_mem *mem, const uint8_t *data, size_t len, const char *name,
                     vmm_x86_kernel *k, char *err, size_t errcap);

/* Load the bzImage `data` into `mem` by the 64-bit boot protocol: checks
 * "HdrS", version >= 2.12, XLF_KERNEL_64, setup_sects; copies the
 * protected-mode kernel to pref_address (or 16 MiB aligned to
 * kernel_alignment when relocatable). Returns 0 and fills *k (setup_hdr
 * points into `data`, which must outlive its use), or VBX_E_INVAL /
 * VBX_E_VERSION / VBX_E_TOOBIG with the field named in `err`. */
int vmm_x86_load_bzimage(const vmm_guest_mem *mem, const uint8_t *data, size_t len,
                         const char *name, vmm_x86_kernel *k, char *err, size_t errcap);

/* Open `path` for reading: a regular file of at most `max` bytes. On
 * success *fd_out is the caller's to close and *len its size; else
 * VBX_E_IO / VBX_E_TOOBIG with the path in `err` and nothing open. */
int vmm_x86_file_open(const char *path, uint64_t max, int *fd_out, size_t *len, char *err,
                      size_t errcap);

/* Read exactly `len` bytes from fd's position into dst (the caller's,
 * e.g. guest memory). VBX_E_IO naming `path` and the offset on a read
 * error or a file that shrank. */
int vmm_x86_file_read_all(int fd, uint8_t *dst, size_t len, const char *path, char *err,
                          size_t errcap);

/* Read all of `path` (a regular file of at most `max` bytes) into a new
 * malloc'ed buffer the caller frees. Returns 0, or VBX_E_IO / VBX_E_TOOBIG
 * / VBX_E_NOMEM with the path in `err`. */
int vmm_x86_read_file(const char *path, uint64_t max, uint8_t **data, size_t *len, char *err,
                      size_t errcap);

/* Word `fmt` into `err` (when errcap > 0) and return `code`. */
int vmm_x86_fail(char *err, size_t errcap, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
