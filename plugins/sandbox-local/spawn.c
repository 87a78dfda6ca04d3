/*
 * sandbox-local/spawn.c - start and stop a box: the agent's socket, policy
 * and secret pipes, the plan (plan.c), cgroups, clone() of the child
 * (child.c) into new mount/pid/ipc/uts (and net unless network: true)
 * namespaces, the handshake; and the teardown that removes all of it.
 *
 * The child has PR_SET_PDEATHSIG(SIGKILL): it dies when the thread that
 * called clone() exits, so a box must be created and destroyed on one
 * thread while it lives (the engine does: one box, one thread). As PID 1 of
 * its pid namespace, its death takes every command with it.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"
#include "plan.h"

/* The guest agent of this plugin's own tree (core/layout): BUILD/bin in a
 * build tree, PREFIX/libexec/voidbox when installed. An installed plugin
 * never runs a build tree's agent. Computed once: the .so does not move. */
static char tree_agent[PATH_MAX] = "(not found: this sandbox-local.so is neither installed nor "
                                   "in a build tree)";

static void find_tree_agent(void) {
  static const char *const dirs[] = {VBX_LAYOUT_PLUGINDIR, NULL};
  vbx_layout l;
  char path[PATH_MAX];
  if (vbx_layout_find((const void *)tree_agent, dirs, &l) == 0 &&
      vbx_layout_path(&l, VBX_LAYOUT_AGENT, VBX_LAYOUT_BUILD_AGENT, path, sizeof(path)) == 0)
    memcpy(tree_agent, path, sizeof(tree_agent));
}

static const char *agent_path(const local_box *b) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  if (b->opt.agent_path)
    return b->opt.agent_path;
  pthread_once(&once, find_tree_agent);
  return tree_agent;
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

/* Wait up to LOCAL_EXIT_WAIT_MS for the agent to exit (not reaping it): a
 * connection that ended means the agent is ending, and its wait status is
 * the message, not the EOF that often arrives first. */
static void await_agent_exit(local_box *b) {
  pthread_mutex_lock(&b->pid_lock);
  int pfd = b->pid > 0 ? (int)syscall(SYS_pidfd_open, b->pid, 0) : -1;
  pthread_mutex_unlock(&b->pid_lock);
  if (pfd < 0)
    return;
  struct pollfd pf = {.fd = pfd, .events = POLLIN};
  while (poll(&pf, 1, LOCAL_EXIT_WAIT_MS) < 0 && errno == EINTR)
    ;
  close(pfd);
}

void local_agent_status(local_box *b, char *msg, size_t cap) {
  int st;
  char why[256] = "";
  if (b->gs.conn && gc_dead(b->gs.conn, why, sizeof why))
    await_agent_exit(b);
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

/* A path of the box root as the box sees it. */
static const char *in_box(const struct plan *p, const char *path) {
  size_t n = strlen(p->root);
  return strncmp(path, p->root, n) == 0 && (path[n] == '/' || path[n] == '\0')
             ? (path[n] ? path + n : "/")
             : path;
}

/* The child's report as the create's error. */
static int child_error(local_box *b, const struct plan *p, struct child_err *ce,
                       const char *ap, vbx_call *call) {
  const vbx_host_services *h = b->host;
  ce->path[sizeof ce->path - 1] = '\0';
  const char *e = strerror(ce->err);
  if (ce->step >= 0 && ce->step < p->n && p->ops[ce->step].kind == OP_RDONLY) {
    const struct plan_op *o = &p->ops[ce->step];
    return h->set_error(call, VBX_E_SANDBOX, NULL,
                        "box %s: cannot make %s read-only%s%s: %s (%s)", b->name, o->a,
                        ce->path[0] ? " at its submount " : "",
                        ce->path[0] ? in_box(p, ce->path) : "", e,
                        p->ro_walk ? "bind remount of each mount" : "mount_setattr");
  }
  if (ce->step >= 0 && ce->step < p->n)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "box %s: sandbox setup failed at %s: %s",
                        b->name, in_box(p, p->ops[ce->step].b), e);
  const char *what = ce->step == STEP_PIVOT      ? "pivot_root"
                     : ce->step == STEP_SECCOMP  ? "seccomp"
                     : ce->step == STEP_LOOPBACK ? "bringing up loopback"
                     : ce->step == STEP_FDS      ? "descriptors"
                     : ce->step == STEP_EXEC     ? "executing the agent"
                                                 : "namespace setup";
  if (ce->step == STEP_EXEC)
    return h->set_error(call, VBX_E_SANDBOX, "agent_path",
                        "box %s: executing the guest agent %s: %s (it must be an ELF binary)",
                        b->name, ap, e);
  return h->set_error(call, VBX_E_SANDBOX, NULL, "box %s: sandbox setup failed at %s: %s",
                      b->name, what, e);
}

int local_spawn(local_box *b, const vbx_sandbox_config *cfg, vbx_call *call) {
  const vbx_host_services *h = b->host;
  local_state *st = b->st;
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
  if (mkdir(p->root, 0700) != 0) {
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
  p->ro_walk = st->ro_walk || !st->have_setattr;
  if (p->ro_walk && (p->mountinfo = malloc(PLAN_MOUNTINFO_CAP)) == NULL) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    goto out;
  }
  if (plan_build(p, b, cfg) != 0) {
    rc = h->set_error(call, VBX_E_SANDBOX, cfg->n_mounts ? "mounts" : NULL, "box %s: %s",
                      b->name, p->err);
    goto out;
  }
  p->agent_fd = afd, p->listen_fd = lfd, p->policy_fd = pol[0], p->secret_fd = sec[0];
  p->log_fd = logfd, p->sync_fd = syn[0], p->err_fd = er[1];
  p->parent_fds[0] = syn[1], p->parent_fds[1] = er[0];
  p->new_net = !cfg->network;
  p->wait_ms = (int)b->opt.handshake_timeout_ms;
  p->seccomp = &st->seccomp;
  int ai = 0;
  static char a0[] = "voidbox-guest-agent", a1[] = "--listen-fd=3", a2[] = "--policy-fd=4",
              a3[] = "--secret-fd=5", a4[] = "--root=/", a5[] = "--cwd=" GUEST_WORKSPACE,
              a6[] = "--no-init", e0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  p->argv[ai++] = a0, p->argv[ai++] = a1, p->argv[ai++] = a2, p->argv[ai++] = a3;
  p->argv[ai++] = a4, p->argv[ai++] = a5, p->argv[ai++] = a6, p->argv[ai] = NULL;
  p->envp[0] = e0, p->envp[1] = NULL;
  char owner[64];
  local_owner_cgname(&b->owner, owner, sizeof owner);
  /* memory_mb is for processes, disk_mb for the files of the tmpfs root:
   * tmpfs pages are charged to the box's memory cgroup. */
  local_cgroup_create(h, &b->cg, owner, b->name,
                      cfg->memory_mb ? (uint64_t)cfg->memory_mb + b->disk_mb : 0, cfg->vcpus,
                      b->opt.pol.max_procs + 64);
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
  struct child_err ce;
  ssize_t got = read(er[0], &ce, sizeof ce); /* EOF once execveat succeeded */
  if (got == (ssize_t)sizeof ce) {
    rc = child_error(b, p, &ce, ap, call);
    goto out;
  }
  char err[300];
  rc = gc_connect_unix(sock, secret, sizeof secret, (int)b->opt.handshake_timeout_ms, &b->gs.conn,
                       err, sizeof err);
  if (rc != 0) {
    char why[300];
    local_agent_status(b, why, sizeof why);
    rc = h->set_error(call, VBX_E_SANDBOX, NULL, "box %s: %s; %s (log: %s)", b->name, err, why,
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
  free(p->mountinfo);
  free(p);
  return rc;
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
  if (b->workdir != NULL) {
    /* the registry entry stays when the directory could not be removed:
     * the sweep after this process is gone tries again */
    if (local_rmtree(b->workdir) == 0 && b->recorded)
      local_owner_unrecord(b->st, b->workdir);
    b->recorded = 0;
  }
  local_uid_release(&b->uid); /* last: no process of the box is left */
}
