/*
 * sandbox-local/local.h - internals of the "local" sandbox backend: the
 * guest agent run as a child process in new namespaces with its own root,
 * a seccomp filter, rlimits and cgroup limits, driven over the real guest
 * protocol. Process isolation, not a VM (docs/sandbox-local.md).
 */
#ifndef VBX_LOCAL_H
#define VBX_LOCAL_H

#include <linux/filter.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"
#include "session.h"
#include "voidbox/plugin.h"


typedef struct local_state {
  const vbx_host_services *host;
  struct sock_fprog seccomp;     /* built once at init (libseccomp) */
  pthread_mutex_t lock;
  unsigned long next_box;
} local_state;

/* Options of the `sandbox:` block this backend accepts (options.c). */
typedef struct local_options {
  char *agent_path;              /* NULL: built-in default */
  char *work_root;               /* NULL: $TMPDIR or /tmp */
  guest_policy pol;              /* allow, writable, uid, gid, ... */
  uint32_t handshake_timeout_ms; /* default 10000 */
} local_options;

int local_options_parse(const vbx_host_services *h, const vbx_json *o, local_options *out,
                        vbx_call *call);
void local_options_clear(local_options *o);

/* cgroup limits of one box (cgroup.c). */
typedef struct local_cgroup {
  char dirs[3][256];             /* created directories ("" unused) */
  int n;
  int version;                   /* 1, 2, or 0: none */
} local_cgroup;
/* Create cgroups for box `name` with the limits; logs a WARN through host
 * for every limit that cannot be enforced. Never fails the create. */
void local_cgroup_create(const vbx_host_services *h, local_cgroup *cg, const char *name,
                         uint32_t memory_mb, uint32_t vcpus, uint32_t pids);
/* Move pid into the box's cgroups. Returns 0 or -errno. */
int local_cgroup_attach(local_cgroup *cg, pid_t pid);
/* Remove the directories (processes must be gone). */
void local_cgroup_destroy(local_cgroup *cg);

typedef struct local_box {
  guest_session gs;              /* FIRST: the vtable methods are guest_vt_* */
  local_state *st;
  const vbx_host_services *host;
  local_options opt;
  char *name;
  char *workdir;                 /* per-box directory (removed by destroy) */
  pthread_mutex_t pid_lock;      /* pid and agent_status: concurrent calls
                                    reap through local_agent_status */
  pid_t pid;                     /* the agent (PID 1 of the box's pid ns);
                                    -1 once reaped (never kill/wait it then:
                                    the number may belong to another process) */
  int agent_status;              /* wait status once reaped, else -1 */
  local_cgroup cg;
} local_box;
_Static_assert(offsetof(local_box, gs) == 0, "guest_vt_* need the session first");

/* spawn.c: build the root, start the agent, connect. On failure sets the
 * call's error and leaves what it made for local_box_teardown. */
int local_spawn(local_box *b, const vbx_sandbox_config *cfg, vbx_call *call);
/* Stop the agent (SHUTDOWN, wait, kill) and remove everything. */
void local_box_teardown(local_box *b);
/* Why the connection/agent died, for error messages. Reaps the agent if it
 * exited (under pid_lock; the status is kept for later calls). */
void local_agent_status(local_box *b, char *msg, size_t cap);

/* seccomp.c: the filter installed on the agent (inherited by commands). */
int local_seccomp_build(struct sock_fprog *out, char *err, size_t errcap);

#endif
