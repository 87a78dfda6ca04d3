/*
 * sandbox-local/spawn.c - start a box: a per-box work directory, the guest
 * agent cloned into new mount/pid/ipc/uts (and net unless network: true)
 * namespaces, pivot_root into <workdir>/root (read-only binds of /usr,
 * /bin, /lib*, /sbin and /etc essentials; private /dev, /proc, /tmp,
 * /workspace), rlimits, cgroup limits, then the seccomp filter, then
 * execveat of the static agent. The clone child only runs a precomputed
 * plan of raw system calls (no allocation: the host is multi-threaded).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "local.h"

#ifndef VBX_LOCAL_AGENT_BUILD_PATH
#define VBX_LOCAL_AGENT_BUILD_PATH ""
#endif
#ifndef VBX_LOCAL_AGENT_INSTALL_PATH
#define VBX_LOCAL_AGENT_INSTALL_PATH "/usr/local/libexec/voidbox/voidbox-guest-agent"
#endif

enum op_kind { OP_MKDIR, OP_FILE, OP_SYMLINK, OP_MOUNT, OP_CHOWN };
struct op {
  int kind;
  int required;
  char a[512], b[512];          /* src/target, dst/path */
  const char *fstype;
  unsigned long flags;
  const char *data;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

#define MAX_OPS 96
struct plan {
  struct op ops[MAX_OPS];
  int n;
  char root[256];
  char agent_host[512];
  int agent_fd, listen_fd, policy_fd, secret_fd, log_fd, sync_fd, err_fd;
  const struct sock_fprog *seccomp;
  char *argv[16];
  char *envp[2];
};

static struct op *add(struct plan *p, int kind, int required) {
  if (p->n >= MAX_OPS)
    return NULL;
  struct op *o = &p->ops[p->n++];
  memset(o, 0, sizeof *o);
  o->kind = kind;
  o->required = required;
  return o;
}

static void plan_dir(struct plan *p, const char *rel, mode_t mode) {
  struct op *o = add(p, OP_MKDIR, 1);
  if (o)
    snprintf(o->b, sizeof o->b, "%s%s", p->root, rel), o->mode = mode;
}

static void plan_bind(struct plan *p, const char *host, const char *rel, int ro, int required) {
  struct stat st;
  if (lstat(host, &st) != 0)
    return;
  if (S_ISLNK(st.st_mode)) { /* /bin -> usr/bin on merged-/usr systems */
    char t[512];
    ssize_t n = readlink(host, t, sizeof t - 1);
    struct op *o = add(p, OP_SYMLINK, required);
    if (o && n > 0) {
      t[n] = '\0';
      snprintf(o->a, sizeof o->a, "%s", t);
      snprintf(o->b, sizeof o->b, "%s%s", p->root, rel);
    }
    return;
  }
  struct op *o = add(p, S_ISDIR(st.st_mode) ? OP_MKDIR : OP_FILE, required);
  if (o == NULL)
    return;
  snprintf(o->b, sizeof o->b, "%s%s", p->root, rel);
  o->mode = 0755;
  o = add(p, OP_MOUNT, required);
  if (o == NULL)
    return;
  snprintf(o->a, sizeof o->a, "%s", host);
  snprintf(o->b, sizeof o->b, "%s%s", p->root, rel);
  o->flags = MS_BIND | MS_REC;
  if (ro) {
    struct op *r = add(p, OP_MOUNT, required);
    if (r) {
      snprintf(r->b, sizeof r->b, "%s%s", p->root, rel);
      r->flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID;
    }
  }
}

static void plan_fs(struct plan *p, const char *rel, const char *type, unsigned long fl,
                    const char *data) {
  plan_dir(p, rel, 0755);
  struct op *o = add(p, OP_MOUNT, 1);
  if (o) {
    snprintf(o->a, sizeof o->a, "%s", type);
    snprintf(o->b, sizeof o->b, "%s%s", p->root, rel);
    o->fstype = type, o->flags = fl, o->data = data;
  }
}

static void build_plan(struct plan *p, const local_box *b, const vbx_sandbox_config *cfg) {
  static const char *const sys_dirs[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
                                         "/libx32"};
  static const char *const etc[] = {"/etc/passwd", "/etc/group", "/etc/hosts", "/etc/resolv.conf",
                                    "/etc/nsswitch.conf", "/etc/ld.so.cache", "/etc/ld.so.conf",
                                    "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/localtime",
                                    "/etc/ssl", "/etc/ca-certificates", "/etc/mime.types",
                                    "/etc/python3", "/etc/bash.bashrc", "/etc/profile"};
  static const char *const devs[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                     "/dev/urandom"};
  struct op *o = add(p, OP_MOUNT, 1); /* the root must be a mount point */
  snprintf(o->a, sizeof o->a, "%s", p->root);
  snprintf(o->b, sizeof o->b, "%s", p->root);
  o->flags = MS_BIND | MS_REC;
  for (size_t i = 0; i < sizeof sys_dirs / sizeof sys_dirs[0]; i++)
    plan_bind(p, sys_dirs[i], sys_dirs[i], 1, 0);
  plan_dir(p, "/etc", 0755);
  for (size_t i = 0; i < sizeof etc / sizeof etc[0]; i++)
    plan_bind(p, etc[i], etc[i], 1, 0);
  plan_fs(p, "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");
  for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++)
    plan_bind(p, devs[i], devs[i], 0, 1);
  plan_fs(p, "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m");
  o = add(p, OP_SYMLINK, 0);
  snprintf(o->a, sizeof o->a, "/proc/self/fd");
  snprintf(o->b, sizeof o->b, "%s/dev/fd", p->root);
  plan_fs(p, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  plan_dir(p, "/tmp", 01777);
  plan_dir(p, "/run", 0755);
  plan_dir(p, GUEST_WORKSPACE, 0755);
  o = add(p, OP_CHOWN, 1);
  snprintf(o->b, sizeof o->b, "%s%s", p->root, GUEST_WORKSPACE);
  o->uid = b->opt.pol.uid, o->gid = b->opt.pol.gid;
  plan_bind(p, p->agent_host, "/run/voidbox-guest-agent", 1, 1);
  for (size_t i = 0; i < cfg->n_mounts; i++) {
    const vbx_mount *m = &cfg->mounts[i];
    plan_bind(p, m->host_path, m->guest_path, m->read_only, 1);
  }
}

/* mkdir -p of the parent directories of path (inside the root). */
static void mkparents(char *path) {
  for (char *s = path + 1; *s; s++)
    if (*s == '/') {
      *s = '\0';
      mkdir(path, 0755);
      *s = '/';
    }
}

static int run_op(struct op *o) {
  switch (o->kind) {
  case OP_MKDIR:
    mkparents(o->b);
    if (mkdir(o->b, o->mode) != 0 && errno != EEXIST)
      return -1;
    return chmod(o->b, o->mode);
  case OP_FILE: {
    mkparents(o->b);
    int fd = open(o->b, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    return fd < 0 ? -1 : close(fd);
  }
  case OP_SYMLINK:
    mkparents(o->b);
    return symlink(o->a, o->b) != 0 && errno != EEXIST ? -1 : 0;
  case OP_MOUNT:
    return mount(o->a[0] ? o->a : NULL, o->b, o->fstype, o->flags, o->data);
  case OP_CHOWN:
    return chown(o->b, o->uid, o->gid);
  }
  return -1;
}

static void child_fail(struct plan *p, int step) {
  int msg[2] = {step, errno};
  ssize_t w = write(p->err_fd, msg, sizeof msg);
  (void)w;
  _exit(120);
}

/* The clone child: PID 1 of the new pid namespace. */
static int child_main(void *arg) {
  struct plan *p = arg;
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    child_fail(p, -1);
  for (int i = 0; i < p->n; i++)
    if (run_op(&p->ops[i]) != 0 && p->ops[i].required)
      child_fail(p, i);
  if (chdir(p->root) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
      umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
    child_fail(p, -2);
  sethostname("voidbox", 7);
  struct rlimit core = {0, 0};
  setrlimit(RLIMIT_CORE, &core);
  char go;
  if (read(p->sync_fd, &go, 1) != 1) /* parent attached the cgroups */
    _exit(121);
  if (dup2(p->log_fd, 1) < 0 || dup2(p->log_fd, 2) < 0 || dup2(p->listen_fd, 3) < 0 ||
      dup2(p->policy_fd, 4) < 0 || dup2(p->secret_fd, 5) < 0 || dup2(p->err_fd, 6) < 0)
    child_fail(p, -3);
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0)
    dup2(devnull, 0);
  syscall(SYS_close_range, 7, ~0u, 0);
  fcntl(6, F_SETFD, FD_CLOEXEC);
  p->err_fd = 6;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, p->seccomp) != 0)
    child_fail(p, -4);
  execve("/run/voidbox-guest-agent", p->argv, p->envp);
  child_fail(p, -5);
  return 0;
}

static const char *agent_path(const local_box *b) {
  if (b->opt.agent_path)
    return b->opt.agent_path;
  if (VBX_LOCAL_AGENT_BUILD_PATH[0] && access(VBX_LOCAL_AGENT_BUILD_PATH, X_OK) == 0)
    return VBX_LOCAL_AGENT_BUILD_PATH;
  return VBX_LOCAL_AGENT_INSTALL_PATH;
}

static int write_all(int fd, const void *d, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, d, n);
    if (w <= 0)
      return -1;
    d = (const char *)d + w, n -= (size_t)w;
  }
  return 0;
}

/* The wait status for a reaped agent, under b->pid_lock. */
static void describe_exit(int st, const char *why, char *msg, size_t cap) {
  if (WIFSIGNALED(st))
    snprintf(msg, cap, "guest agent was killed by signal %d (%s)", WTERMSIG(st), why);
  else
    snprintf(msg, cap, "guest agent exited with status %d (%s)", WEXITSTATUS(st), why);
}

void local_agent_status(local_box *b, char *msg, size_t cap) {
  int st;
  char why[256] = "";
  if (b->gs.conn)
    gc_dead(b->gs.conn, why, sizeof why);
  pthread_mutex_lock(&b->pid_lock);
  if (b->pid > 0 && waitpid(b->pid, &st, WNOHANG) == b->pid) {
    b->pid = -1;
    b->agent_status = st;
  }
  int reaped = b->pid <= 0 && b->agent_status != -1;
  st = b->agent_status;
  pthread_mutex_unlock(&b->pid_lock);
  if (reaped)
    describe_exit(st, why[0] ? why : "connection closed", msg, cap);
  else
    snprintf(msg, cap, "%s", why[0] ? why : "guest agent connection lost");
}

int local_spawn(local_box *b, const vbx_sandbox_config *cfg, vbx_call *call) {
  const vbx_host_services *h = b->host;
  int rc = VBX_E_SANDBOX;
  int lfd = -1, pol[2] = {-1, -1}, sec[2] = {-1, -1}, syn[2] = {-1, -1}, er[2] = {-1, -1};
  int logfd = -1, afd = -1;
  char *policy = NULL, *stack = NULL;
  uint8_t secret[VBX_PROTO_SECRET_SIZE];
  struct plan *p = calloc(1, sizeof *p);
  char sock[600], logp[600];
  if (p == NULL)
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  snprintf(p->root, sizeof p->root, "%s/root", b->workdir);
  snprintf(sock, sizeof sock, "%s/agent.sock", b->workdir);
  snprintf(logp, sizeof logp, "%s/agent.log", b->workdir);
  if (mkdir(p->root, 0755) != 0) {
    rc = h->set_error(call, VBX_E_SANDBOX, NULL, "mkdir %s: %s", p->root, strerror(errno));
    goto out;
  }
  const char *ap = agent_path(b);
  afd = open(ap, O_RDONLY | O_CLOEXEC);
  if (afd < 0) {
    rc = h->set_error(call, VBX_E_SANDBOX, "agent_path",
                      "guest agent binary %s: %s (set sandbox option agent_path)", ap,
                      strerror(errno));
    goto out;
  }
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(sock) >= sizeof sa.sun_path) {
    rc = h->set_error(call, VBX_E_SANDBOX, "work_root", "socket path too long: %s", sock);
    goto out;
  }
  strcpy(sa.sun_path, sock);
  lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || chmod(sock, 0600) != 0 ||
      listen(lfd, 16) != 0) {
    rc = h->set_error(call, VBX_E_SANDBOX, NULL, "agent socket %s: %s", sock, strerror(errno));
    goto out;
  }
  policy = guest_policy_text(h, &b->opt.pol, "sandbox-local");
  if (policy == NULL || strlen(policy) > 60000 || pipe2(pol, O_CLOEXEC) != 0 ||
      pipe2(sec, O_CLOEXEC) != 0 || pipe2(syn, O_CLOEXEC) != 0 || pipe2(er, O_CLOEXEC) != 0 ||
      write_all(pol[1], policy, strlen(policy)) != 0 ||
      getrandom(secret, sizeof secret, 0) != sizeof secret ||
      write_all(sec[1], secret, sizeof secret) != 0) {
    rc = h->set_error(call, VBX_E_SANDBOX, NULL, "box setup: %s", strerror(errno));
    goto out;
  }
  close(pol[1]), pol[1] = -1;
  close(sec[1]), sec[1] = -1;
  logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (logfd < 0) {
    rc = h->set_error(call, VBX_E_SANDBOX, NULL, "%s: %s", logp, strerror(errno));
    goto out;
  }
  snprintf(p->agent_host, sizeof p->agent_host, "%s", ap);
  build_plan(p, b, cfg);
  p->agent_fd = afd, p->listen_fd = lfd, p->policy_fd = pol[0], p->secret_fd = sec[0];
  p->log_fd = logfd, p->sync_fd = syn[0], p->err_fd = er[1];
  p->seccomp = &b->st->seccomp;
  int ai = 0;
  static char a0[] = "voidbox-guest-agent", a1[] = "--listen-fd=3", a2[] = "--policy-fd=4",
              a3[] = "--secret-fd=5", a4[] = "--root=/", a5[] = "--cwd=" GUEST_WORKSPACE,
              a6[] = "--no-init", e0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  p->argv[ai++] = a0, p->argv[ai++] = a1, p->argv[ai++] = a2, p->argv[ai++] = a3;
  p->argv[ai++] = a4, p->argv[ai++] = a5, p->argv[ai++] = a6, p->argv[ai] = NULL;
  p->envp[0] = e0, p->envp[1] = NULL;
  local_cgroup_create(h, &b->cg, b->name, cfg->memory_mb, cfg->vcpus, b->opt.pol.max_procs + 64);
  size_t ssz = 256 * 1024;
  stack = malloc(ssz);
  if (stack == NULL) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    goto out;
  }
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
  if (!cfg->network)
    flags |= CLONE_NEWNET;
  pid_t pid = clone(child_main, stack + ssz, flags, p);
  if (pid < 0) {
    rc = h->set_error(call, errno == EPERM ? VBX_E_PERM : VBX_E_SANDBOX, NULL,
                      "clone into new namespaces: %s (the local backend needs root or "
                      "CAP_SYS_ADMIN)", strerror(errno));
    goto out;
  }
  pthread_mutex_lock(&b->pid_lock);
  b->pid = pid;
  pthread_mutex_unlock(&b->pid_lock);
  close(er[1]), er[1] = -1;
  if (local_cgroup_attach(&b->cg, pid) != 0)
    h->log(h->ctx, VBX_LOG_WARN, "box %s: could not join its cgroups: limits not enforced",
           b->name);
  if (write(syn[1], "g", 1) != 1) {
    rc = h->set_error(call, VBX_E_SANDBOX, NULL, "box %s: the sandbox child died early", b->name);
    goto out;
  }
  int msg[2];
  ssize_t got = read(er[0], msg, sizeof msg); /* EOF once execveat succeeded */
  if (got == (ssize_t)sizeof msg) {
    const char *what = msg[0] >= 0 && msg[0] < p->n ? p->ops[msg[0]].b
                       : msg[0] == -2               ? "pivot_root"
                       : msg[0] == -4               ? "seccomp"
                       : msg[0] == -5               ? ap
                                                    : "namespace setup";
    rc = h->set_error(call, VBX_E_SANDBOX, NULL, "box %s: sandbox setup failed at %s: %s",
                      b->name, what, strerror(msg[1]));
    goto out;
  }
  char err[300];
  rc = gc_connect_unix(sock, secret, sizeof secret, (int)b->opt.handshake_timeout_ms, &b->gs.conn,
                       err, sizeof err);
  if (rc != 0) {
    char st[300];
    local_agent_status(b, st, sizeof st);
    rc = h->set_error(call, VBX_E_SANDBOX, NULL, "box %s: %s; %s (log: %s)", b->name, err, st,
                      logp);
    goto out;
  }
  rc = 0;
out:
  vbx_proto_wipe(secret, sizeof secret);
  int fds[] = {lfd, pol[0], pol[1], sec[0], sec[1], syn[0], syn[1], er[0], er[1], logfd, afd};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  if (policy)
    h->free(policy);
  free(stack);
  free(p);
  return rc;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st, (void)ftw;
  if (type == FTW_DP)
    rmdir(path);
  else
    unlink(path);
  return 0;
}

void local_box_teardown(local_box *b) {
  if (b->gs.conn != NULL) {
    struct vbx_proto_msg m = {.type = VBX_PROTO_T_SHUTDOWN, .id = 0, .u.grace_ms = 200};
    gc_send_msg(b->gs.conn, &m);
  }
  /* Under pid_lock for the whole wait: no other thread may reap the agent
   * (and free its pid for reuse) between our checks and the kill. */
  pthread_mutex_lock(&b->pid_lock);
  if (b->pid > 0) {
    int st;
    for (int i = 0; i < 100; i++) { /* up to 1 s */
      pid_t w = waitpid(b->pid, &st, WNOHANG);
      if (w == b->pid || (w < 0 && errno == ECHILD)) { /* ECHILD: reaped elsewhere */
        b->agent_status = w == b->pid ? st : -1;
        b->pid = -1;
        break;
      }
      struct timespec ts = {0, 10000000};
      nanosleep(&ts, NULL);
    }
    if (b->pid > 0) {
      kill(b->pid, SIGKILL); /* PID 1 of the namespace: takes every command with it */
      if (waitpid(b->pid, &st, 0) == b->pid)
        b->agent_status = st;
      b->pid = -1;
    }
  }
  pthread_mutex_unlock(&b->pid_lock);
  if (b->gs.conn != NULL) {
    gc_close(b->gs.conn);
    b->gs.conn = NULL;
  }
  local_cgroup_destroy(&b->cg);
  if (b->workdir != NULL)
    nftw(b->workdir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}
