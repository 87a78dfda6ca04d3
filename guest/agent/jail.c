/*
 * guest/agent/jail.c - every file path a host sends is resolved below the
 * agent's root directory with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
 * RESOLVE_NO_MAGICLINKS): `..` that leaves the root, absolute paths outside
 * it and symlinks anywhere in the path are refused by the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"
#include "voidbox/errors.h"

int vbx__jail_relpath(const char *root, const char *path, char *out, size_t cap) {
  if (path == NULL || path[0] == '\0' || cap < 2)
    return -2;
  const char *rest = path;
  if (path[0] == '/') {
    size_t rn = strlen(root);
    while (rn > 0 && root[rn - 1] == '/')
      rn--; /* "/" -> "" */
    if (strncmp(path, root, rn) != 0 || (path[rn] != '\0' && path[rn] != '/'))
      return -1;
    rest = path + rn;
  }
  size_t o = 0;
  while (*rest != '\0') {
    while (*rest == '/')
      rest++;
    if (*rest == '\0')
      break;
    const char *e = strchr(rest, '/');
    size_t n = e ? (size_t)(e - rest) : strlen(rest);
    if (n == 1 && rest[0] == '.') {
      rest += n;
      continue;
    }
    if (o + (o ? 1 : 0) + n + 1 > cap)
      return -2;
    if (o)
      out[o++] = '/';
    memcpy(out + o, rest, n);
    o += n;
    rest += n;
  }
  if (o == 0)
    out[o++] = '.';
  out[o] = '\0';
  return 0;
}

int vbx__jail_open(int rootfd, const char *rel, int flags, mode_t mode) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd;
  do
    fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
  while (fd < 0 && errno == EINTR);
  return fd < 0 ? -errno : (int)fd;
}

int vbx__jail_open_parent(int rootfd, const char *rel, const char **leaf) {
  const char *slash = strrchr(rel, '/');
  const char *l = slash ? slash + 1 : rel;
  if (strcmp(l, ".") == 0 || strcmp(l, "..") == 0 || *l == '\0')
    return -EINVAL;
  *leaf = l;
  if (slash == NULL)
    return vbx__jail_open(rootfd, ".", O_PATH | O_DIRECTORY, 0);
  char dir[VBX_PROTO_MAX_PATH_LEN + 1];
  size_t n = (size_t)(slash - rel);
  if (n >= sizeof dir)
    return -ENAMETOOLONG;
  memcpy(dir, rel, n);
  dir[n] = '\0';
  return vbx__jail_open(rootfd, dir, O_PATH | O_DIRECTORY, 0);
}

int vbx__errno_code(int err) {
  switch (err) {
  case ENOENT:
  case ENOTDIR:
    return VBX_E_NOTFOUND;
  case EEXIST:
  case ENOTEMPTY:
    return VBX_E_EXISTS;
  case EACCES:
  case EPERM:
  case EROFS:
  case EXDEV:
  case ELOOP:
    return VBX_E_PERM;
  case ENOMEM:
    return VBX_E_NOMEM;
  case EFBIG:
  case ENOSPC:
  case EDQUOT:
  case ENAMETOOLONG:
    return VBX_E_TOOBIG;
  case EINVAL:
  case EISDIR:
    return VBX_E_INVAL;
  default:
    return VBX_E_IO;
  }
}
