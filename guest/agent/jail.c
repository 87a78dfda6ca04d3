/*
 * guest/agent/jail.c - the confinement of file operations. Every file path a
 * host sends is resolved below the agent's root directory with
 * openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS): `..`
 * that leaves the root, absolute paths outside it and symlinks anywhere in
 * the path are refused by the kernel. File contents are only ever opened
 * when they are regular files on an ordinary file system (no FIFO, socket,
 * device, /proc, /sys, ...), and the thread doing the work first takes the
 * identity commands run with (vbx__jail_become).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"
#include "voidbox/errors.h"

int vbx__jail_relpath(const char *root, const char *path, char *out, size_t cap) {
  if (path == NULL || path[0] == '\0' || cap < 2) return VBX_E_INVAL;
  const char *rest = path;
  if (path[0] == '/') {
    size_t rn = strlen(root);
    while (rn > 0 && root[rn - 1] == '/')
      rn--; /* "/" -> "" */
    if (strncmp(path, root, rn) != 0 || (path[rn] != '\0' && path[rn] != '/')) return VBX_E_PERM;
    rest = path + rn;
  }
  size_t o = 0;
  while (*rest != '\0') {
    while (*rest == '/')
      rest++;
    if (*rest == '\0') break;
    const char *e = strchr(rest, '/');
    size_t n = e ? (size_t)(e - rest) : strlen(rest);
    if (n == 1 && rest[0] == '.') {
      rest += n;
      continue;
    }
    if (o + (o ? 1 : 0) + n + 1 > cap) return VBX_E_INVAL;
    if (o) out[o++] = '/';
    memcpy(out + o, rest, n);
    o += n;
    rest += n;
  }
  if (o == 0) out[o++] = '.';
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
  if (strcmp(l, ".") == 0 || strcmp(l, "..") == 0 || *l == '\0') return -EINVAL;
  *leaf = l;
  if (slash == NULL) return vbx__jail_open(rootfd, ".", O_PATH | O_DIRECTORY, 0);
  char dir[VBX_PROTO_MAX_PATH_LEN + 1];
  size_t n = (size_t)(slash - rel);
  if (n >= sizeof dir) return -ENAMETOOLONG;
  memcpy(dir, rel, n);
  dir[n] = '\0';
  return vbx__jail_open(rootfd, dir, O_PATH | O_DIRECTORY, 0);
}

int vbx__jail_become(const struct vbx_proto_policy *p) {
  if ((!p->have_uid && !p->have_gid) || geteuid() != 0)
    return 0; /* commands keep the agent's identity too (exec.c) */
  uid_t u = p->have_uid ? p->uid : geteuid();
  gid_t g = p->have_gid ? p->gid : getegid();
  if (u == 0 && g == 0) return 0;
  /* Raw system calls: the kernel changes only this thread's credentials,
   * whereas glibc's setgroups() would apply to every thread. */
  if (syscall(SYS_setgroups, 0, NULL) != 0) return -errno;
  syscall(SYS_setfsgid, g);
  if ((gid_t)syscall(SYS_setfsgid, (gid_t)-1) != g) /* -1: query only */
    return -EPERM;
  syscall(SYS_setfsuid, u);
  if ((uid_t)syscall(SYS_setfsuid, (uid_t)-1) != u) return -EPERM;
  if (u != 0) {
    /* A non-zero fsuid already clears the file capabilities from the
     * effective set; drop every capability of this thread for good. */
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capset, &h, d) != 0) return -errno;
  }
  /* A credential change resets the process's dumpable flag to
   * fs.suid_dumpable; keep the agent undumpable (main.c). */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return 0;
}

const char *vbx__jail_special_fs(int fd) {
  static const struct {
    unsigned long magic;
    const char *why;
  } fs[] = {
      {PROC_SUPER_MAGIC, "is on /proc (procfs)"},
      {SYSFS_MAGIC, "is on /sys (sysfs)"},
      {CGROUP_SUPER_MAGIC, "is on a cgroup file system"},
      {CGROUP2_SUPER_MAGIC, "is on a cgroup2 file system"},
      {DEBUGFS_MAGIC, "is on debugfs"},
      {TRACEFS_MAGIC, "is on tracefs"},
      {SECURITYFS_MAGIC, "is on securityfs"},
      {BPF_FS_MAGIC, "is on the bpf file system"},
      {EFIVARFS_MAGIC, "is on efivarfs"},
      {PSTOREFS_MAGIC, "is on pstore"},
  };
  struct statfs sf;
  if (fstatfs(fd, &sf) != 0) return "its file system cannot be examined (fstatfs failed)";
  for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
    if ((unsigned long)sf.f_type == fs[i].magic) return fs[i].why;
  return NULL;
}

int vbx__jail_check_file(int fd, const char **why) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  const char *w = S_ISREG(st.st_mode)    ? NULL
                  : S_ISDIR(st.st_mode)  ? "is a directory"
                  : S_ISFIFO(st.st_mode) ? "is a FIFO"
                  : S_ISSOCK(st.st_mode) ? "is a socket"
                  : S_ISCHR(st.st_mode)  ? "is a character device"
                  : S_ISBLK(st.st_mode)  ? "is a block device"
                  : S_ISLNK(st.st_mode)  ? "is a symlink (never followed)"
                                         : "is not a regular file";
  if (w != NULL) {
    *why = w;
    return S_ISDIR(st.st_mode) ? -EISDIR : -EPERM;
  }
  if ((w = vbx__jail_special_fs(fd)) != NULL) {
    *why = w;
    return -EPERM;
  }
  return 0;
}

int vbx__jail_open_file(int rootfd, const char *rel, int flags, const char **why) {
  *why = NULL;
  /* First look without opening: O_PATH runs no driver open and no FIFO
   * rendezvous, so devices and FIFOs are refused before anything happens. */
  int fd = vbx__jail_open(rootfd, rel, O_PATH | O_NOFOLLOW, 0);
  if (fd < 0) return fd;
  int rc = vbx__jail_check_file(fd, why);
  close(fd);
  if (rc != 0) return rc;
  /* The entry may have been replaced since: O_NONBLOCK keeps a FIFO from
   * blocking the open, O_NOCTTY a terminal from becoming ours, and the
   * same checks run again on what was really opened. */
  fd = vbx__jail_open(rootfd, rel, (flags & ~O_CREAT) | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY, 0);
  if (fd < 0) return fd;
  if ((rc = vbx__jail_check_file(fd, why)) != 0) {
    close(fd);
    return rc;
  }
  return fd;
}

int vbx__errno_code(int err) {
  switch (err) {
  case ENOENT:
  case ENOTDIR: return VBX_E_NOTFOUND;
  case EEXIST:
  case ENOTEMPTY: return VBX_E_EXISTS;
  case EACCES:
  case EPERM:
  case EROFS:
  case EXDEV:
  case ELOOP: return VBX_E_PERM;
  case ENOMEM: return VBX_E_NOMEM;
  case EFBIG:
  case ENOSPC:
  case EDQUOT:
  case ENAMETOOLONG: return VBX_E_TOOBIG;
  case EINVAL:
  case EISDIR: return VBX_E_INVAL;
  default: return VBX_E_IO;
  }
}
