/*
 * sandbox-local/local.h - internals of the "local" sandbox backend: the
 * guest agent run as a child process in new namespaces with its own root,
 * a seccomp filter, rlimits and cgroup limits, driven over the real guest
 * protocol. Process isolation, not a VM (docs/sandbox-local.md).
 *
 * Files: plugin.c (descriptor, vtable, create/destroy), options.c (sandbox
 * keys), settings.c (host settings local.*), rundir.c (the root-only
 * runtime directory), owner.c (who owns a box: pid + start time + boot),
 * uid.c (one uid per box), plan.c (what the clone child will do), child.c
 * (the clone child: raw system calls only), spawn.c (start, stop),
 * cgroup.c (limits), sweep.c (leftovers of dead owners), rmtree.c,
 * seccomp.c.
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

/* Defaults of the host settings (docs/sandbox-local.md "Host settings").
 * The uid range sits in 0x70000000..0x7fffffff, which systemd documents as
 * unused (above its container ranges, below 2^31), far above login.defs'
 * regular users (1000..60000) and subordinate ids (100000..600100000), and
 * away from nobody (65534) and the 16-bit -1 (65535). */
#define LOCAL_UID_BASE_DEFAULT 2000000000u
#define LOCAL_UID_COUNT_DEFAULT 65536u
#define LOCAL_RUN_DIR_DEFAULT "/run/voidbox-local"
#define LOCAL_DISK_MB_DEFAULT 256u

/* Who owns a box: a voidbox process, told apart from a later process with
 * the same pid by its start time (/proc/PID/stat field 22, clock ticks
 * since boot) and the boot id. */
typedef struct local_owner {
  pid_t pid;
  unsigned long long start;
  char boot[40];                 /* /proc/sys/kernel/random/boot_id */
} local_owner;

typedef struct local_state {
  const vbx_host_services *host;
  struct sock_fprog seccomp;     /* built once at init (libseccomp) */
  pthread_mutex_t lock;          /* next_box, next_uid, self */
  unsigned long next_box;
  uint32_t next_uid;             /* allocation hint, index into the range */
  /* host settings, read once at init (settings.c) */
  uint32_t uid_base, uid_count;
  char run_dir[256];
  int ro_walk;                   /* 1: read-only by the mountinfo walk */
  int have_setattr;              /* mount_setattr(2) exists */
  local_owner self;              /* this process (refreshed after fork) */
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

/* owner.c */
/* The owner record of pid; 0 or -errno (ESRCH: no such process, or one
 * that has exited and is not reaped yet). */
int local_owner_of(pid_t pid, local_owner *out);
/* This process's owner record into st->self (recomputed when the pid
 * changed, e.g. after fork). 0 or -errno. Takes st->lock. */
int local_owner_self(local_state *st, local_owner *out);
/* 1 if the process o describes is alive (same pid, start time and boot),
 * 0 if it is gone or the pid now belongs to another process. */
int local_owner_alive(const local_owner *o);
/* The record text ("voidbox-local owner 1\npid ...\nstart ...\nboot
 * ...\nworkdir ...\n") into buf; returns its length or -1 if cap is short. */
int local_owner_format(const local_owner *o, const char *workdir, char *buf, size_t cap);
/* Parse a record; workdir (may be NULL) gets the path. 0 or -1. */
int local_owner_parse(const char *text, local_owner *o, char *workdir, size_t wcap);
/* Record o as the owner of workdir: <workdir>/owner and the registry entry
 * <run_dir>/boxes/<basename(workdir)> (both 0600, created exclusively).
 * Returns 0 or a negative VBX_E_* set on call. */
int local_owner_record(local_state *st, const local_owner *o, const char *workdir,
                       vbx_call *call);
/* Remove the registry entry of workdir (destroy). Never fails. */
void local_owner_unrecord(const local_state *st, const char *workdir);
/* "o<pid>-<start>": the owner's directory name under voidbox-local/ in
 * each cgroup hierarchy. */
void local_owner_cgname(const local_owner *o, char *buf, size_t cap);

/* uid.c: one uid/gid per box from [uid_base, uid_base + uid_count). */
typedef struct local_uid {
  int fd;                        /* holds the OFD lock on byte <id> of
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
  char dirs[3][320];             /* created box directories ("" unused) */
  char owner_dirs[3][256];       /* their parents voidbox-local/o<pid>-<start> */
  int n;
  int version;                   /* 1, 2, or 0: none */
} local_cgroup;
/* Create cgroups voidbox-local/<owner>/<name> with the limits; logs a WARN
 * through host for every limit that cannot be enforced. Never fails the
 * create. memory_mb 0: no memory limit. */
void local_cgroup_create(const vbx_host_services *h, local_cgroup *cg, const char *owner,
                         const char *name, uint64_t memory_mb, uint32_t vcpus, uint32_t pids);
/* Move pid into the box's cgroups. Returns 0 or -errno. */
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

/* rmtree.c: remove path and everything below it, never following a
 * symlink and never descending into another mount (such directories are
 * left in place). Returns 0 when path is gone, else -errno of the first
 * failure. Depth is bounded (64 levels). */
int local_rmtree(const char *path);

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
  local_owner owner;             /* the process that created the box */
  int recorded;                  /* registry entry written */
  local_uid uid;                 /* allocated id (fd -1 when explicit) */
  uint32_t disk_mb;              /* size of the box's tmpfs root */
  local_cgroup cg;
} local_box;
_Static_assert(offsetof(local_box, gs) == 0, "guest_vt_* need the session first");

/* spawn.c: build the root, start the agent, connect. On failure sets the
 * call's error and leaves what it made for local_box_teardown. Must run on
 * the thread that will destroy the box (PR_SET_PDEATHSIG follows the
 * creating thread). */
int local_spawn(local_box *b, const vbx_sandbox_config *cfg, vbx_call *call);
/* Stop the agent (SHUTDOWN, wait, kill) and remove everything. */
void local_box_teardown(local_box *b);
/* Why the connection/agent died, for error messages. When the connection
 * has ended, waits up to LOCAL_EXIT_WAIT_MS for the agent's exit so the
 * message names its signal or status. Reaps the agent if it exited (under
 * pid_lock; the status is kept for later calls). Any thread. */
#define LOCAL_EXIT_WAIT_MS 2000
void local_agent_status(local_box *b, char *msg, size_t cap);

/* seccomp.c: the filter installed on the agent (inherited by commands). */
int local_seccomp_build(struct sock_fprog *out, char *err, size_t errcap);

#endif
