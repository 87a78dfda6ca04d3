/*
 * sandbox-local/local.h - internals of the "local" sandbox backend: the
 * guest agent run as a child process in new namespaces with its own root,
 * a seccomp filter, rlimits and cgroup limits, driven over the real guest
 * protocol. Process isolation, not a VM (docs/sandbox-local.md).
 *
 * The box's shell - create, handshake, calls, teardown, owner records,
 * the box directory and its removal - is guest-session's skeleton
 * (gs_box.h); this backend supplies its ops (spawn.c, connect.c).
 *
 * Files: plugin.c (descriptor, vtable, create/destroy), options.c (sandbox
 * keys), settings.c (host settings local.*), rundir.c (the root-only
 * runtime directory), registry.c (the host-wide registry of box
 * directories), uid.c (one uid per box), plan.c (what the clone child will
 * do), child.c (the clone child: raw system calls only), spawn.c (start),
 * connect.c (handshake, release, why the agent died), cgroup.c (limits),
 * sweep.c (leftovers of dead owners), seccomp.c.
 */
#ifndef VBX_LOCAL_H
#define VBX_LOCAL_H

#include <linux/filter.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gs_box.h"
#include "policy.h"
#include "session.h"
#include "voidbox/plugin.h"

/* Defaults of the host settings (docs/sandbox-local.md "Host settings").
 * The uid range sits in 0x70000000..0x7fffffff, which systemd documents as
 * unused (above its container ranges, below 2^31), far above login.defs'
 * regular users (1000..60000) and subordinate ids (100000..600100000), and
 * away from nobody (65534) and the 16-bit -1 (65535). */
#define LOCAL_UID_BASE_DEFAULT 2000000000u
#define LOCAL_UID_COUNT_DEFAULT 65536u
#define LOCAL_RUN_DIR_DEFAULT "/run/voidbox-local"
#define LOCAL_DISK_MB_DEFAULT 256u

typedef struct local_state {
  const vbx_host_services *host;
  struct sock_fprog seccomp; /* built once at init (libseccomp) */
  pthread_mutex_t lock;      /* next_box, next_uid */
  unsigned long next_box;
  uint32_t next_uid; /* allocation hint, index into the range */
  /* host settings, read once at init (settings.c) */
  uint32_t uid_base, uid_count;
  char run_dir[256];
  int ro_walk;      /* 1: read-only by the mountinfo walk */
  int have_setattr; /* mount_setattr(2) exists */
} local_state;

/* settings.c: read local.uid_base, local.uid_count, local.run_dir and
 * local.readonly from host->config_get into st. Returns 0 or a negative
 * VBX_E_* with the message set through host->set_error(NULL, ...) (init
 * time). Main thread, during init. */
int local_settings_read(local_state *st);

/* Options of the `sandbox:` block this backend accepts (options.c). */
typedef struct local_options {
  char *agent_path;              /* NULL: built-in default */
  char *work_root;               /* NULL: $TMPDIR or /tmp */
  guest_policy pol;              /* allow, writable, uid, gid, ... */
  int uid_set, gid_set;          /* uid / gid given explicitly */
  uint32_t handshake_timeout_ms; /* default 10000 */
} local_options;

int local_options_parse(const vbx_host_services *h, const vbx_json *o, local_options *out,
                        vbx_call *call);
void local_options_clear(local_options *o);

/* rundir.c: open (creating if needed) the runtime directory st->run_dir,
 * or its subdirectory `sub` when not NULL, as a directory fd (O_RDONLY).
 * The directory must be a real directory (no symlink) owned by root with
 * no group/other access (0700); anything else is refused. Returns the fd
 * (caller closes) or -errno, with why in err. Any thread. */
int local_rundir_open(const local_state *st, const char *sub, char *err, size_t errcap);

/* registry.c: the registry entry <run_dir>/boxes/<basename(workdir)>
 * (0600, created exclusively): the owner record o with "workdir=" - how
 * the sweep finds box directories under any work_root. Returns 0 or a
 * negative VBX_E_* set on call. */
int local_registry_add(local_state *st, const gs_owner *o, const char *workdir, vbx_call *call);
/* The box's owner file text: the registry entry's (ops->owner_text). */
int local_owner_text(const gs_box *b, char *buf, size_t cap);
/* Remove the registry entry of workdir (destroy). Never fails. */
void local_registry_remove(const local_state *st, const char *workdir);
/* "o<pid>-<start>": the owner's directory name under voidbox-local/ in
 * each cgroup hierarchy. */
void local_owner_cgname(const gs_owner *o, char *buf, size_t cap);

/* uid.c: one uid/gid per box from [uid_base, uid_base + uid_count). */
typedef struct local_uid {
  int fd; /* holds the OFD lock on byte <id> of
                                    <run_dir>/uids.lock; -1: none */
  uint32_t id;
} local_uid;
/* Allocate a free id, unique across every voidbox process on the host for
 * as long as u->fd stays open (a crash releases it). Returns 0 or a
 * negative VBX_E_* set on call (VBX_E_LIMIT when the range is used up).
 * Any thread (takes st->lock for the hint). */
int local_uid_alloc(local_state *st, local_uid *u, vbx_call *call);
/* Release (close the lock). Idempotent; u->fd == -1 afterwards. */
void local_uid_release(local_uid *u);

/* cgroup limits of one box (cgroup.c). */
typedef struct local_cgroup {
  char dirs[3][320];       /* created box directories ("" unused) */
  char owner_dirs[3][256]; /* their parents voidbox-local/o<pid>-<start> */
  int n;
  int version; /* 1, 2, or 0: none */
} local_cgroup;
/* Create cgroups voidbox-local/<owner>/<name> with the limits; logs a WARN
 * through host for every limit that cannot be enforced. Never fails the
 * create. memory_mb 0: no memory limit. */
void local_cgroup_create(const vbx_host_services *h, local_cgroup *cg, const char *owner,
                         const char *name, uint64_t memory_mb, uint32_t vcpus, uint32_t pids);
/* Open, for a single-threaded child to join the box's cgroups itself, the
 * v1 `tasks` file of each box directory (O_WRONLY | O_CLOEXEC) into fds[i]
 * (-1 where none): the child writes "0" to each. A thread that moves itself
 * skips the kernel's global cgroup_threadgroup_rwsem, whose first writer
 * after an idle spell waits a full RCU grace period (~10-15 ms here), which
 * a write of a pid to cgroup.procs pays. v2 has no such file: fds stay -1
 * and local_cgroup_attach moves the process. Returns how many opened; the
 * caller closes them. */
int local_cgroup_join_fds(const local_cgroup *cg, int fds[3]);
/* Make sure pid is in every one of the box's cgroups: 0 at once when it
 * joined them itself (checked in /proc/PID/cgroup), else it is moved there
 * through cgroup.procs. Returns 0 or -1 (a move failed). */
int local_cgroup_attach(local_cgroup *cg, pid_t pid);
/* Remove the directories (processes must be gone), then the owner
 * directories when they became empty. */
void local_cgroup_destroy(local_cgroup *cg);
/* The cgroup hierarchy roots in use ("/sys/fs/cgroup/memory", ...), up to
 * 3; returns how many. */
int local_cgroup_roots(const char *roots[3]);
/* SIGKILL every process in the cgroup directory dir (pidfd, checked
 * against /proc/PID/cgroup), waiting at most wait_ms for it to empty.
 * Returns how many processes were signalled, or -1 if it did not empty. */
int local_cgroup_kill(const char *dir, int wait_ms);

/* sweep.c: at plugin init, remove what boxes of dead voidbox processes left
 * (registry entries, box directories, cgroups), logging each at INFO.
 * Boxes of a live owner are never touched. Main thread, during init. */
void local_sweep(local_state *st);

typedef struct local_box {
  gs_box box; /* FIRST: the skeleton; its gs is the session */
  local_state *st;
  local_options opt;
  int recorded;     /* registry entry written */
  local_uid uid;    /* allocated id (fd -1 when explicit) */
  uint32_t disk_mb; /* size of the box's tmpfs root */
  local_cgroup cg;
} local_box;
_Static_assert(offsetof(local_box, box) == 0, "the skeleton comes first");

/* The skeleton's ops of this backend (connect.c). The agent is started
 * (spawn.c) on the thread that will destroy the box: PR_SET_PDEATHSIG
 * follows the creating thread. */
extern const gs_box_ops local_box_ops;
/* spawn.c: write the registry entry, build the root, start the agent (the
 * ops' start). On failure sets the call's error and leaves what it made
 * for the teardown. */
int local_spawn(gs_box *box, const vbx_sandbox_config *cfg, vbx_call *call);
/* Bound on the wait for the agent's exit once its connection ended, so
 * the message names its signal or status. */
#define LOCAL_EXIT_WAIT_MS 2000
/* Bound on the agent's exit after SHUTDOWN before it is killed. */
#define LOCAL_STOP_WAIT_MS 1000

/* seccomp.c: the filter installed on the agent (inherited by commands). */
int local_seccomp_build(struct sock_fprog *out, char *err, size_t errcap);

#endif
