/*
 * image/newc.h - a reproducible writer for the "newc" cpio format (the
 * format the Linux kernel unpacks as an initramfs; magic "070701").
 *
 * Layout of each entry: a 110-byte ASCII header (magic + 13 fields of 8 hex
 * digits: ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
 * rdevmajor, rdevminor, namesize, check), the NUL-terminated name, zero
 * padding so header+name is a multiple of 4, the data, zero padding to a
 * multiple of 4. The archive ends with an entry named "TRAILER!!!" and is
 * padded with zeros to a multiple of 512 bytes.
 *
 * Reproducibility is the writer's job, not the caller's: every entry gets the
 * same mtime, inode numbers are assigned 1, 2, 3... in write order, device
 * numbers are 0, and names must come in strictly increasing strcmp order (so
 * a directory always precedes its contents and nothing depends on readdir
 * order). Hard links are not supported (nlink is 2 for directories, 1 else).
 *
 * One writer belongs to one thread. The writer does not own the fd.
 */
#ifndef VBX_IMAGE_NEWC_H
#define VBX_IMAGE_NEWC_H

#include <stddef.h>
#include <stdint.h>

#include "image/sha256.h"

#define VBX__NEWC_HEADER_LEN 110
#define VBX__NEWC_NAME_MAX 4096

typedef struct vbx__newc_entry {
  const char *name; /* relative path, no leading '/', e.g. "bin/sh" */
  uint32_t mode;    /* file type and permissions: S_IFREG | 0755 ... */
  uint32_t uid, gid;
  uint32_t rdev_major; /* character/block devices only */
  uint32_t rdev_minor;
  const void *data; /* regular file: contents; symlink: target (no NUL) */
  size_t size;      /* bytes at data; must be 0 for dirs and devices */
} vbx__newc_entry;

typedef struct vbx__newc {
  int fd;         /* borrowed output descriptor */
  uint32_t mtime; /* every entry's mtime (SOURCE_DATE_EPOCH) */
  uint32_t next_ino;
  uint64_t offset; /* bytes written so far */
  char last_name[VBX__NEWC_NAME_MAX + 1];
  vbx__sha256 sha; /* digest of everything written */
  size_t entries;
} vbx__newc;

/* Start an archive written to fd (not owned) with every mtime set to mtime. */
void vbx__newc_init(vbx__newc *w, int fd, uint32_t mtime);

/* Append one entry. Returns 0; VBX_E_INVAL for an empty, absolute, ".."-
 * containing or out-of-order name, a type the writer does not support
 * (regular, directory, symlink, char/block device), or data on a directory
 * or device; VBX_E_TOOBIG for a name over VBX__NEWC_NAME_MAX or a file of
 * 4 GiB or more; VBX_E_IO when the write fails. */
int vbx__newc_add(vbx__newc *w, const vbx__newc_entry *e);

/* Write the trailer and the final padding. sha_hex (may be NULL) receives the
 * digest of the whole archive, *size_out (may be NULL) its length. Returns 0
 * or VBX_E_IO. */
int vbx__newc_finish(vbx__newc *w, char sha_hex[VBX__SHA256_HEX], uint64_t *size_out);

#endif
