/*
 * image/newc.c - reproducible newc cpio writer (see newc.h for the format).
 */
#include "image/newc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "voidbox/errors.h"

static int out(vbx__newc *w, const void *data, size_t len) {
  const char *p = data;
  vbx__sha256_update(&w->sha, data, len);
  w->offset += len;
  while (len) {
    ssize_t n = write(w->fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return VBX_E_IO;
    p += n, len -= (size_t)n;
  }
  return 0;
}

static int pad(vbx__newc *w, unsigned align) {
  static const char zeros[512];
  size_t n = (size_t)((align - w->offset % align) % align);
  return n ? out(w, zeros, n) : 0;
}

void vbx__newc_init(vbx__newc *w, int fd, uint32_t mtime) {
  memset(w, 0, sizeof(*w));
  w->fd = fd;
  w->mtime = mtime;
  w->next_ino = 1;
  vbx__sha256_init(&w->sha);
}

static int write_header(vbx__newc *w, const char *name, uint32_t ino, uint32_t mode, uint32_t uid,
                        uint32_t gid, uint32_t nlink, uint32_t mtime, uint32_t size, uint32_t rmaj,
                        uint32_t rmin) {
  char hdr[VBX__NEWC_HEADER_LEN + 1];
  size_t namesize = strlen(name) + 1;
  snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino,
           mode, uid, gid, nlink, mtime, size, 0u, 0u, rmaj, rmin, (uint32_t)namesize, 0u);
  int rc = out(w, hdr, VBX__NEWC_HEADER_LEN);
  if (!rc) rc = out(w, name, namesize);
  if (!rc) rc = pad(w, 4);
  return rc;
}

static int name_ok(const char *name) {
  if (!name[0] || name[0] == '/') return 0;
  for (const char *p = name; *p;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) return 0;
    p += n;
    if (*p) p++;
    if (slash && !*p) return 0; /* trailing '/' */
  }
  return 1;
}

int vbx__newc_add(vbx__newc *w, const vbx__newc_entry *e) {
  if (!e->name) return VBX_E_INVAL;
  size_t nlen = strlen(e->name);
  if (nlen > VBX__NEWC_NAME_MAX) return VBX_E_TOOBIG;
  if (!name_ok(e->name) || !strcmp(e->name, "TRAILER!!!")) return VBX_E_INVAL;
  if (w->entries && strcmp(e->name, w->last_name) <= 0) return VBX_E_INVAL;
  uint32_t type = e->mode & S_IFMT, nlink = 1;
  switch (type) {
  case S_IFREG:
  case S_IFLNK:
    if (type == S_IFLNK && e->size == 0) return VBX_E_INVAL;
    break;
  case S_IFDIR:
    nlink = 2;
    /* fall through */
  case S_IFCHR:
  case S_IFBLK:
    if (e->size) return VBX_E_INVAL;
    break;
  default: return VBX_E_INVAL;
  }
  if (e->size > 0xffffffffu) return VBX_E_TOOBIG;
  if (e->size && !e->data) return VBX_E_INVAL;
  int dev = type == S_IFCHR || type == S_IFBLK;
  int rc = write_header(w, e->name, w->next_ino, e->mode, e->uid, e->gid, nlink, w->mtime,
                        (uint32_t)e->size, dev ? e->rdev_major : 0, dev ? e->rdev_minor : 0);
  if (!rc && e->size) rc = out(w, e->data, e->size);
  if (!rc) rc = pad(w, 4);
  if (rc) return rc;
  w->next_ino++;
  w->entries++;
  memcpy(w->last_name, e->name, nlen + 1);
  return 0;
}

int vbx__newc_finish(vbx__newc *w, char sha_hex[VBX__SHA256_HEX], uint64_t *size_out) {
  int rc = write_header(w, "TRAILER!!!", 0, 0, 0, 0, 1, 0, 0, 0, 0);
  if (!rc) rc = pad(w, 512);
  if (rc) return rc;
  uint8_t d[VBX__SHA256_LEN];
  vbx__sha256_final(&w->sha, d);
  if (sha_hex) vbx__sha256_hex(d, sha_hex);
  if (size_out) *size_out = w->offset;
  return 0;
}
