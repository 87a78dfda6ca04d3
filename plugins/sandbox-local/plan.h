/*
 * sandbox-local/plan.h - what the clone child of a box does, computed by
 * the parent before clone() (plan.c) and run by the child (child.c) with
 * raw system calls only: the host is multi-threaded, so the child must not
 * allocate or take locks. Every buffer the child needs is in the plan.
 */
#ifndef VBX_LOCAL_PLAN_H
#define VBX_LOCAL_PLAN_H

#include <sys/types.h>

#include "local.h"

enum plan_op_kind { OP_MKDIR, OP_FILE, OP_SYMLINK, OP_MOUNT, OP_CHOWN, OP_RDONLY };

struct plan_op {
  int kind;
  int required;
  char a[512], b[512]; /* src/target, dst/path; OP_RDONLY: guest path, path */
  char fstype[16];     /* OP_MOUNT of a file system; "" for binds */
  unsigned long flags; /* OP_MOUNT: mount flags; OP_RDONLY: MS_NOSUID or 0 */
  char data[64];       /* OP_MOUNT options */
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

#define PLAN_MAX_OPS 128
#define PLAN_MOUNTINFO_CAP (1u << 20) /* the walk refuses a larger mountinfo */

/* Steps that are not ops, as reported by the child (negative). */
enum {
  STEP_PRIVATE = -1,
  STEP_PIVOT = -2,
  STEP_FDS = -3,
  STEP_SECCOMP = -4,
  STEP_EXEC = -5,
  STEP_LOOPBACK = -6,
};

/* What a failing child writes on err_fd (one write, < PIPE_BUF). */
struct child_err {
  int step;       /* op index or STEP_* */
  int err;        /* errno */
  char path[512]; /* the mount that failed, when not the op's */
};

struct plan {
  struct plan_op ops[PLAN_MAX_OPS];
  int n;
  char root[256];  /* <workdir>/root: the tmpfs that becomes / */
  char err[300];   /* plan_build's error */
  int ro_walk;     /* read-only by walking mountinfo */
  char *mountinfo; /* PLAN_MOUNTINFO_CAP bytes when ro_walk */
  char mp[4096];   /* a decoded mount point (walk) */
  int new_net;     /* own net namespace: bring lo up */
  int wait_ms;     /* bound on the wait for the parent's go */
  int agent_fd, listen_fd, policy_fd, secret_fd, log_fd, sync_fd, err_fd;
  int parent_fds[2]; /* the parent's pipe ends: closed first */
  int cg_fds[3];     /* the box cgroups' v1 tasks files, -1 unused: joined first */
  const struct sock_fprog *seccomp;
  char *argv[16];
  char *envp[2];
};

/* plan_build - the ops for box b (p->root, p->ro_walk set by the caller):
 * a tmpfs of b->disk_mb MiB as the root, read-only recursive binds of the
 * system directories and /etc essentials, /dev, /proc, /tmp, /run,
 * /workspace owned by the box uid, the spec's mounts. Returns 0, or -1
 * with p->err set (a required host path missing, too many ops). */
int plan_build(struct plan *p, const local_box *b, const vbx_sandbox_config *cfg);

/* child_main - the clone child (PID 1 of the box's pid namespace): sets
 * PR_SET_PDEATHSIG(SIGKILL), joins its cgroups (p->cg_fds; the parent
 * checks and makes up for a failed join), runs the plan, pivots, waits for the
 * parent's go (EOF or timeout: exits), installs seccomp and executes the
 * agent from p->agent_fd. Only returns through _exit; failures are written
 * to p->err_fd as a struct child_err. */
int child_main(void *arg);

#endif
