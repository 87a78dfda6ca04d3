/*
 * sandbox-local/spawn.c - start a box's agent (the skeleton's ops->start,
 * gs_box.h): the registry entry, the agent's socket, policy and secret
 * pipes, the plan (plan.c), cgroups, clone() of the child (child.c) into
 * new mount/pid/ipc/uts (and net unless network: true) namespaces. The
 * handshake and the rest of the box's life are connect.c and the skeleton.
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
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "layout.h"
#include "plan.h"

/* The guest agent of this plugin's own tree (core/layout): BUILD/bin in a
 * build tree, PREFIX/libexec/voidbox when installed. An installed plugin
 * never runs a build tree's agent. Computed once: the .so does not move. */
static char tree_agent[PATH_MAX] =
    "(not found: this sandbox-local.so is neither installed nor "
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
  if (b->opt.agent_path) return b->opt.agent_path;
  pthread_once(&once, find_tree_agent);
  return tree_agent;
}

static int write_all(int fd, const void *d, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, d, n);
    if (w <= 0) return -1;
    d = (const char *)d + w, n -= (size_t)w;
  }
  return 0;
}

/* A path of the box root as the box sees it. */
static const char *in_box(const struct plan *p, const char *path) {
  size_t n = strlen(p->root);
  return strncmp(path, p->root, n) == 0 && (path[n] == '/' || path[n] == '\0')
             ? (path[n] ? path + n : "/")
             : path;
}

/* The child's report as the create's error. */
static int child_error(local_box *b, const struct plan *p, struct child_err *ce, const char *ap,
                       vbx_call *call) {
  const vbx_host_services *h = b->box.host;
  ce->path[sizeof ce->path - 1] = '\0';
  const char *e = strerror(ce->err);
  if (ce->step >= 0 && ce->step < p->n && p->ops[ce->step].kind == OP_RDONLY) {
    const struct plan_op *o = &p->ops[ce->step];
    return h->set_error(call, VBX_E_SANDBOX, NULL, "box %s: cannot make %s read-only%s%s: %s (%s)",
                        b->box.name, o->a, ce->path[0] ? " at its submount " : "",
                        ce->path[0] ? in_box(p, ce->path) : "", e,
                        p->ro_walk ? "bind remount of each mount" : "mount_setattr");
  }
  if (ce->step >= 0 && ce->step < p->n)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "box %s: sandbox setup failed at %s: %s",
                        b->box.name, in_box(p, p->ops[ce->step].b), e);
  const char *what = ce->step == STEP_PIVOT      ? "pivot_root"
                     : ce->step == STEP_SECCOMP  ? "seccomp"
                     : ce->step == STEP_LOOPBACK ? "bringing up loopback"
                     : ce->step == STEP_FDS      ? "descriptors"
                     : ce->step == STEP_EXEC     ? "executing the agent"
                                                 : "namespace setup";
  if (ce->step == STEP_EXEC)
    return h->set_error(call, VBX_E_SANDBOX, "agent_path",
                        "box %s: executing the guest agent %s: %s (it must be an ELF binary)",
                        b->box.name, ap, e);
  return h->set_error(call, VBX_E_SANDBOX, NULL, "box %s: sandbox setup failed at %s: %s",
                      b->box.name, what, e);
}

/* What the start holds until the child runs: descriptors, the policy
 * text, the plan and the clone stack (closed and freed by spawn_free). */
struct spawn {
  int lfd, pol[2], sec[2], syn[2], er[2], logfd, afd, cg[3];
  char *policy, *stack;
  struct plan *p;
  const char *ap; /* agent binary */
  char sock[600], logp[600];
};

static void spawn_free(const vbx_host_services *h, struct spawn *s) {
  int fds[] = {s->lfd,   s->pol[0], s->pol[1], s->sec[0], s->sec[1], s->syn[0], s->syn[1],
               s->er[0], s->er[1],  s->logfd,  s->afd,    s->cg[0],  s->cg[1],  s->cg[2]};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (fds[i] >= 0) close(fds[i]);
  if (s->policy) h->free(s->policy);
  free(s->stack);
  if (s->p) free(s->p->mountinfo);
  free(s->p);
}

/* The agent binary, its listening socket, the policy and secret pipes and
 * the log: 0 or a negative VBX_E_* set on call. */
static int spawn_files(local_box *b, struct spawn *s, vbx_call *call) {
  const vbx_host_services *h = b->box.host;
  if (mkdir(s->p->root, 0700) != 0)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "mkdir %s: %s", s->p->root, strerror(errno));
  s->ap = agent_path(b);
  s->afd = open(s->ap, O_RDONLY | O_CLOEXEC);
  if (s->afd < 0)
    return h->set_error(call, VBX_E_SANDBOX, "agent_path",
                        "guest agent binary %s: %s (set sandbox option agent_path)", s->ap,
                        strerror(errno));
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(s->sock) >= sizeof sa.sun_path)
    return h->set_error(call, VBX_E_SANDBOX, "work_root", "socket path too long: %s", s->sock);
  strcpy(sa.sun_path, s->sock);
  s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      chmod(s->sock, 0600) != 0 || listen(s->lfd, 16) != 0)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "agent socket %s: %s", s->sock, strerror(errno));
  s->policy = guest_policy_text(h, &b->opt.pol, "sandbox-local");
  if (s->policy == NULL || strlen(s->policy) > 60000 || pipe2(s->pol, O_CLOEXEC) != 0 ||
      pipe2(s->sec, O_CLOEXEC) != 0 || pipe2(s->syn, O_CLOEXEC) != 0 ||
      pipe2(s->er, O_CLOEXEC) != 0 || write_all(s->pol[1], s->policy, strlen(s->policy)) != 0 ||
      write_all(s->sec[1], b->box.secret, sizeof b->box.secret) != 0)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "box setup: %s", strerror(errno));
  close(s->pol[1]), s->pol[1] = -1;
  close(s->sec[1]), s->sec[1] = -1;
  s->logfd = open(s->logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (s->logfd < 0)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "%s: %s", s->logp, strerror(errno));
  return 0;
}

/* The plan of the clone child: mounts (plan.c), descriptors, argv. */
static int spawn_plan(local_box *b, struct spawn *s, const vbx_sandbox_config *cfg,
                      vbx_call *call) {
  const vbx_host_services *h = b->box.host;
  struct plan *p = s->p;
  p->ro_walk = b->st->ro_walk || !b->st->have_setattr;
  if (p->ro_walk && (p->mountinfo = malloc(PLAN_MOUNTINFO_CAP)) == NULL)
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  if (plan_build(p, b, cfg) != 0)
    return h->set_error(call, VBX_E_SANDBOX, cfg->n_mounts ? "mounts" : NULL, "box %s: %s",
                        b->box.name, p->err);
  p->agent_fd = s->afd, p->listen_fd = s->lfd, p->policy_fd = s->pol[0];
  p->secret_fd = s->sec[0], p->log_fd = s->logfd, p->sync_fd = s->syn[0], p->err_fd = s->er[1];
  p->parent_fds[0] = s->syn[1], p->parent_fds[1] = s->er[0];
  p->new_net = !cfg->network;
  p->wait_ms = (int)b->opt.handshake_timeout_ms;
  p->seccomp = &b->st->seccomp;
  int ai = 0;
  static char a0[] = "voidbox-guest-agent", a1[] = "--listen-fd=3", a2[] = "--policy-fd=4",
              a3[] = "--secret-fd=5", a4[] = "--root=/", a5[] = "--cwd=" GUEST_WORKSPACE,
              a6[] = "--no-init", e0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  p->argv[ai++] = a0, p->argv[ai++] = a1, p->argv[ai++] = a2, p->argv[ai++] = a3;
  p->argv[ai++] = a4, p->argv[ai++] = a5, p->argv[ai++] = a6, p->argv[ai] = NULL;
  p->envp[0] = e0, p->envp[1] = NULL;
  return 0;
}

/* Cgroups (the child joins them itself: local_cgroup_join_fds), clone()
 * of the child, the go, its report, then the check that it joined. */
static int spawn_clone(local_box *b, struct spawn *s, const vbx_sandbox_config *cfg,
                       vbx_call *call) {
  const vbx_host_services *h = b->box.host;
  char owner[64];
  local_owner_cgname(&b->box.owner, owner, sizeof owner);
  /* memory_mb is for processes, disk_mb for the files of the tmpfs root:
   * tmpfs pages are charged to the box's memory cgroup. */
  local_cgroup_create(h, &b->cg, owner, b->box.name,
                      cfg->memory_mb ? (uint64_t)cfg->memory_mb + b->disk_mb : 0, cfg->vcpus,
                      b->opt.pol.max_procs + 64);
  local_cgroup_join_fds(&b->cg, s->cg);
  memcpy(s->p->cg_fds, s->cg, sizeof s->cg);
  size_t ssz = 256 * 1024;
  if ((s->stack = malloc(ssz)) == NULL)
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
  if (!cfg->network) flags |= CLONE_NEWNET;
  pid_t pid = clone(child_main, s->stack + ssz, flags, s->p);
  if (pid < 0)
    return h->set_error(call, errno == EPERM ? VBX_E_PERM : VBX_E_SANDBOX, NULL,
                        "clone into new namespaces: %s (the local backend needs root or "
                        "CAP_SYS_ADMIN)",
                        strerror(errno));
  gs_box_set_pid(&b->box, pid);
  close(s->er[1]), s->er[1] = -1;
  if (write(s->syn[1], "g", 1) != 1)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "box %s: the sandbox child died early",
                        b->box.name);
  struct child_err ce;
  ssize_t got = read(s->er[0], &ce, sizeof ce); /* EOF once execveat succeeded */
  if (got == (ssize_t)sizeof ce) return child_error(b, s->p, &ce, s->ap, call);
  /* The agent runs no command before the handshake (connect.c): a join the
   * child could not make is made here, still before any command. */
  if (local_cgroup_attach(&b->cg, pid) != 0)
    h->log(h->ctx, VBX_LOG_WARN, "box %s: could not join its cgroups: limits not enforced",
           b->box.name);
  return 0;
}

int local_spawn(gs_box *box, const vbx_sandbox_config *cfg, vbx_call *call) {
  local_box *b = (local_box *)box;
  const vbx_host_services *h = box->host;
  int rc = local_registry_add(b->st, &box->owner, box->dir, call);
  if (rc != 0) return rc;
  b->recorded = 1;
  struct spawn s = {.lfd = -1,
                    .pol = {-1, -1},
                    .sec = {-1, -1},
                    .syn = {-1, -1},
                    .er = {-1, -1},
                    .logfd = -1,
                    .afd = -1,
                    .cg = {-1, -1, -1}};
  if ((s.p = calloc(1, sizeof *s.p)) == NULL)
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  int n = snprintf(s.p->root, sizeof s.p->root, "%s/root", box->dir);
  if (n < 0 || (size_t)n >= sizeof s.p->root) {
    free(s.p);
    return h->set_error(call, VBX_E_TOOBIG, "work_root", "box directory path too long: %s",
                        box->dir);
  }
  gs_box_path(box, "agent.sock", s.sock, sizeof s.sock);
  gs_box_path(box, "agent.log", s.logp, sizeof s.logp);
  /* With network: true the box shares the host's network namespace: a
   * fixed in-box port would collide with the host's and other boxes', and
   * the host port is reachable as it is - no tunnel then. */
  gs_gateway_plan(box, &b->opt.pol, cfg, cfg->network != 0);
  if ((rc = spawn_files(b, &s, call)) == 0 && (rc = spawn_plan(b, &s, cfg, call)) == 0)
    rc = spawn_clone(b, &s, cfg, call);
  spawn_free(h, &s);
  return rc;
}
