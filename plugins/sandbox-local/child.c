/*
 * sandbox-local/child.c - the clone child of a box: PID 1 of its pid
 * namespace until it executes the agent. It runs the plan computed by the
 * parent (plan.h) with raw system calls only - the host is multi-threaded,
 * so nothing here may allocate or lock - and reports a failure as one
 * struct child_err on the error pipe.
 *
 * Read-only binds are read-only all the way down: mount_setattr(2) with
 * AT_RECURSIVE, or, where the kernel lacks it (ENOSYS) or the host setting
 * local.readonly = mountinfo asks for it, a bind remount of every mount at
 * or below the target found in /proc/self/mountinfo (read into the plan's
 * preallocated buffer), keeping each mount's nosuid/nodev/noexec.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/seccomp.h>

#include "plan.h"

static void child_fail(struct plan *p, int step, const char *path) {
  struct child_err e;
  memset(&e, 0, sizeof e);
  e.err = errno;
  e.step = step;
  if (path != NULL) {
    size_t n = strnlen(path, sizeof e.path - 1);
    memcpy(e.path, path, n);
  }
  ssize_t w = write(p->err_fd, &e, sizeof e);
  (void)w;
  _exit(120);
}

/* mkdir -p of the parent directories of path below the root (which
 * exists: the plan's first op mounts it), one mkdir per missing level. */
static void mkparents(const struct plan *p, char *path) {
  size_t rl = strlen(p->root);
  char *s = strncmp(path, p->root, rl) == 0 && path[rl] == '/' ? path + rl + 1 : path + 1;
  for (; *s; s++)
    if (*s == '/') {
      *s = '\0';
      mkdir(path, 0755);
      *s = '/';
    }
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. Decodes the
 * field [s, e) into out; -1 when it does not fit. */
static int unescape(const char *s, const char *e, char *out, size_t cap) {
  size_t n = 0;
  while (s < e) {
    char c = *s++;
    if (c == '\\' && e - s >= 3 && s[0] >= '0' && s[0] <= '3' && s[1] >= '0' && s[1] <= '7' &&
        s[2] >= '0' && s[2] <= '7') {
      c = (char)((s[0] - '0') * 64 + (s[1] - '0') * 8 + (s[2] - '0'));
      s += 3;
    }
    if (n + 1 >= cap) return -1;
    out[n++] = c;
  }
  out[n] = '\0';
  return 0;
}

/* The per-mount flags a bind remount must keep (field 6 of mountinfo). */
static unsigned long kept_flags(const char *s, const char *e) {
  unsigned long fl = 0;
  while (s < e) {
    const char *c = memchr(s, ',', (size_t)(e - s));
    size_t n = (size_t)((c ? c : e) - s);
    if (n == 6 && memcmp(s, "nosuid", 6) == 0)
      fl |= MS_NOSUID;
    else if (n == 5 && memcmp(s, "nodev", 5) == 0)
      fl |= MS_NODEV;
    else if (n == 6 && memcmp(s, "noexec", 6) == 0)
      fl |= MS_NOEXEC;
    s += n + 1;
  }
  return fl;
}

/* Remount every mount at or below o->b read-only. On failure *failed names
 * the mount (p->mp) or is left NULL (o->b itself). */
static int ro_walk(struct plan *p, const struct plan_op *o, const char **failed) {
  int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = 0;
  ssize_t r = 0;
  while (n < PLAN_MOUNTINFO_CAP - 1 &&
         (r = read(fd, p->mountinfo + n, PLAN_MOUNTINFO_CAP - 1 - n)) > 0)
    n += (size_t)r;
  char more;
  if (r > 0 && read(fd, &more, 1) > 0)
    r = -1, errno = EFBIG; /* larger than the buffer: refuse, never guess */
  int e = errno;
  close(fd);
  if (r < 0) return errno = e, -1;
  p->mountinfo[n] = '\0';
  size_t tl = strlen(o->b);
  int matched = 0;
  for (char *line = p->mountinfo; *line;) {
    char *eol = strchr(line, '\n');
    if (eol == NULL) eol = line + strlen(line);
    const char *f = line; /* fields: id parent maj:min root mountpoint options */
    for (int k = 0; k < 4 && f != NULL; k++)
      if ((f = memchr(f, ' ', (size_t)(eol - f))) != NULL) f++;
    const char *fe = f ? memchr(f, ' ', (size_t)(eol - f)) : NULL;
    if (fe != NULL) {
      const char *opt = fe + 1, *oe = memchr(opt, ' ', (size_t)(eol - opt));
      if (unescape(f, fe, p->mp, sizeof p->mp) != 0) {
        if (strncmp(f, o->b, tl) == 0) { /* possibly ours and too long to name */
          errno = ENAMETOOLONG;
          return -1;
        }
      } else if (strncmp(p->mp, o->b, tl) == 0 && (p->mp[tl] == '\0' || p->mp[tl] == '/')) {
        unsigned long fl =
            MS_BIND | MS_REMOUNT | MS_RDONLY | o->flags | kept_flags(opt, oe ? oe : eol);
        if (mount(NULL, p->mp, NULL, fl, NULL) != 0) {
          *failed = p->mp;
          return -1;
        }
        matched++;
      }
    }
    line = *eol ? eol + 1 : eol;
  }
  if (matched == 0) {
    errno = ENOENT;
    return -1;
  }
  return 0;
}

static int make_ro(struct plan *p, const struct plan_op *o, const char **failed) {
  if (!p->ro_walk) {
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = MOUNT_ATTR_RDONLY | ((o->flags & MS_NOSUID) ? MOUNT_ATTR_NOSUID : 0);
    if (syscall(SYS_mount_setattr, AT_FDCWD, o->b, AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &attr,
                sizeof attr) == 0)
      return 0;
    if (errno != ENOSYS) return -1;
  }
  if (p->mountinfo == NULL) { /* the parent saw mount_setattr work */
    errno = ENOSYS;
    return -1;
  }
  return ro_walk(p, o, failed);
}

static int run_op(struct plan *p, struct plan_op *o, const char **failed) {
  switch (o->kind) {
  case OP_MKDIR:
    mkparents(p, o->b);
    if (mkdir(o->b, o->mode) != 0 && errno != EEXIST) return -1;
    return chmod(o->b, o->mode);
  case OP_FILE: {
    mkparents(p, o->b);
    int fd = open(o->b, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    return fd < 0 ? -1 : close(fd);
  }
  case OP_SYMLINK: mkparents(p, o->b); return symlink(o->a, o->b) != 0 && errno != EEXIST ? -1 : 0;
  case OP_MOUNT:
    return mount(o->a[0] ? o->a : NULL, o->b, o->fstype[0] ? o->fstype : NULL, o->flags,
                 o->data[0] ? o->data : NULL);
  case OP_CHOWN: return chown(o->b, o->uid, o->gid);
  case OP_RDONLY: return make_ro(p, o, failed);
  }
  errno = EINVAL;
  return -1;
}

/* Loopback up in the box's own net namespace, so 127.0.0.1 works. */
static int lo_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, "lo", 3);
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    rc = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int e = errno;
  close(s);
  errno = e;
  return rc;
}

/* The agent's descriptors at 0..7 (0 /dev/null, 1-2 log, 3 listener, 4
 * policy, 5 secret, 6 error pipe and 7 agent binary close-on-exec), every
 * other descriptor closed. Sources are first moved above the targets so no
 * dup2 overwrites a source still needed. */
static int arrange_fds(struct plan *p) {
  int src[] = {p->log_fd,    p->log_fd, p->listen_fd, p->policy_fd,
               p->secret_fd, p->err_fd, p->agent_fd};
  int tmp[7];
  for (int i = 0; i < 7; i++)
    if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 64)) < 0) return -1;
  p->err_fd = tmp[5]; /* still reachable if what follows fails */
  for (int i = 0; i < 7; i++)
    if (dup2(tmp[i], i + 1) < 0) return -1;
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0 || dup2(devnull, 0) < 0) return -1;
  p->err_fd = 6, p->agent_fd = 7;
  syscall(SYS_close_range, 8, ~0u, 0);
  return fcntl(6, F_SETFD, FD_CLOEXEC) == 0 && fcntl(7, F_SETFD, FD_CLOEXEC) == 0 ? 0 : -1;
}

int child_main(void *arg) {
  struct plan *p = arg;
  /* Die with the creating thread. If it is already gone, the wait for its
   * go below sees EOF: the child holds no write end of the sync pipe. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  for (int i = 0; i < 2; i++)
    if (p->parent_fds[i] >= 0) close(p->parent_fds[i]);
  /* Into the box's cgroups before anything else runs here: still a single
   * thread, so "0" in a v1 tasks file moves the whole process. A failure is
   * the parent's to see and repair (local_cgroup_attach). */
  for (int i = 0; i < 3; i++)
    if (p->cg_fds[i] >= 0) {
      ssize_t w = write(p->cg_fds[i], "0", 1);
      (void)w;
      close(p->cg_fds[i]);
    }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) child_fail(p, STEP_PRIVATE, NULL);
  int bind_failed = 0; /* an optional bind that failed has nothing to make read-only */
  for (int i = 0; i < p->n; i++) {
    struct plan_op *o = &p->ops[i];
    const char *failed = NULL;
    if (o->kind == OP_RDONLY && bind_failed) continue;
    int rc = run_op(p, o, &failed);
    if (o->kind == OP_MOUNT && (o->flags & MS_BIND)) bind_failed = rc != 0;
    if (rc != 0 && o->required) child_fail(p, i, failed);
  }
  if (p->new_net && lo_up() != 0) child_fail(p, STEP_LOOPBACK, NULL);
  if (chdir(p->root) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
      umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
    child_fail(p, STEP_PIVOT, NULL);
  sethostname("voidbox", 7);
  struct rlimit core = {0, 0};
  setrlimit(RLIMIT_CORE, &core);
  /* The parent attached the cgroups. EOF: it died; no go in time: give up. */
  struct pollfd pf = {.fd = p->sync_fd, .events = POLLIN};
  char go;
  if (poll(&pf, 1, p->wait_ms) != 1 || read(p->sync_fd, &go, 1) != 1) _exit(121);
  if (arrange_fds(p) != 0) child_fail(p, STEP_FDS, NULL);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, p->seccomp) != 0)
    child_fail(p, STEP_SECCOMP, NULL);
  /* From the descriptor opened on the host: no path of the agent binary
   * shows in the box (it never needs its own path). */
  syscall(SYS_execveat, 7, "", p->argv, p->envp, AT_EMPTY_PATH);
  child_fail(p, STEP_EXEC, NULL);
  return 0;
}
