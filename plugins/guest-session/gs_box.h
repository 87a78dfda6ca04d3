/*
 * guest-session/gs_box.h - the skeleton of an agent-backed sandbox: what
 * every backend that runs the guest agent (`local`: a namespaced process,
 * `qemu`: a micro-VM; later `kvm`) does the same way around its agent.
 *
 *   create   gs_box_create: the commands' environment, the box lifetime,
 *            the box directory (mkdtemp under work_root, 0700) with the
 *            owner record of this process, a fresh session secret, then
 *            the backend's ops->start and ops->connect (the handshake)
 *   calls    guest_vt_* (session.h) on the box's guest_session
 *   death    gs_box_why_dead: waits a bounded time for the agent's (or
 *            VM's) exit so the message names its status, then lets the
 *            backend describe it (ops->why_dead)
 *   destroy  gs_box_teardown: SHUTDOWN, a bounded wait, SIGKILL, reap,
 *            close, the backend's ops->release, the directory (owner last)
 *
 * A backend supplies only ops: how its agent process or VM starts (and
 * hands its pid to gs_box_set_pid), how its byte stream is reached, what
 * it releases once the process is gone, and how its death is described.
 * The owner records and the sweep of dead owners' box directories are
 * gs_owner.c and gs_sweep.c, the removal of a box directory gs_rmtree.c.
 *
 * Threads: create and teardown on the thread that owns the box (backends
 * use PR_SET_PDEATHSIG, which follows the creating thread); pid and status
 * are read and reaped only under pid_lock, so a pid is never waited for or
 * signalled after it was reaped; gs_box_why_dead from any thread.
 */
#ifndef VBX_GS_BOX_H
#define VBX_GS_BOX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"
#include "session.h"

#define GS_SECRET_SIZE 32
#define GS_SWEPT_MAX 16

/* ---- owner records (gs_owner.c) ---------------------------------------
 * A process named so that a later one with the same pid is not taken for
 * it: pid, start time (/proc/PID/stat field 22, clock ticks since boot),
 * the boot id and the pid namespace (readlink /proc/self/ns/pid). The
 * record text, one key=value per line ("workdir" only in registries):
 *   pid=1234\nstart=56789\nboot=0b4c...\npidns=pid:[4026531836]\n[workdir=/tmp/...\n]
 */
typedef struct gs_owner {
  pid_t pid;
  unsigned long long start;
  char boot[40];  /* "" unknown */
  char pidns[48]; /* "" unknown */
} gs_owner;

enum { GS_OWNER_LIVE, GS_OWNER_DEAD, GS_OWNER_UNKNOWN };

/* gs_proc_start - the start time of a running process; -1 when there is
 * none or it has exited and is not reaped yet (a zombie is gone). */
int gs_proc_start(pid_t pid, unsigned long long *start);
/* gs_owner_of - the record of process pid (boot id and pid namespace are
 * this process's). 0, or -ESRCH when it is gone (zombies too), -EIO. */
int gs_owner_of(pid_t pid, gs_owner *out);
/* gs_owner_format - the record text into buf (workdir may be NULL);
 * returns its length or -1 when cap is short. */
int gs_owner_format(const gs_owner *o, const char *workdir, char *buf, size_t cap);
/* gs_owner_format_local_v1 - the `local` backend's record form
 * ("voidbox-local owner 1\npid P\nstart S\nboot B\nworkdir W\n", no pid
 * namespace), which it keeps: voidbox processes of other versions share
 * its registry and compare an entry with the box's owner file byte for
 * byte. Returns the length or -1 when cap is short. */
int gs_owner_format_local_v1(const gs_owner *o, const char *workdir, char *buf, size_t cap);
/* gs_owner_parse - a record (pid and start required, boot, pidns and
 * workdir optional; the local v1 form too); workdir (may be NULL) gets
 * "workdir" or "". 0 or -1. */
int gs_owner_parse(const char *text, gs_owner *o, char *workdir, size_t wcap);
/* gs_owner_judge - GS_OWNER_LIVE (same pid and start time running),
 * GS_OWNER_DEAD (exited, zombie, pid reused or an earlier boot) or
 * GS_OWNER_UNKNOWN (another pid namespace: cannot be checked); why gets a
 * phrase for logs ("pid 12 has exited"). */
int gs_owner_judge(const gs_owner *o, char *why, size_t cap);
/* gs_owner_read - read dirfd/file (no symlink), parse and judge it;
 * GS_OWNER_UNKNOWN without a valid record. o (may be NULL) gets it. */
int gs_owner_read(int dirfd, const char *file, gs_owner *o, char *why, size_t cap);
/* gs_write_new - write text into dirfd/name, created exclusively (0600,
 * no symlink). 0 or -errno. */
int gs_write_new(int dirfd, const char *name, const char *text, size_t len);
/* gs_owner_record_pid - write dir/file naming the running process pid.
 * 0 or -errno (-ESRCH when pid is not running). */
int gs_owner_record_pid(const char *dir, const char *file, pid_t pid);

/* ---- box directories (gs_box.c, gs_rmtree.c) ---------------------------- */
/* gs_work_root - where box directories go: opt, else $TMPDIR, else /tmp. */
const char *gs_work_root(const char *opt);
/* gs_rmtree - remove path and everything below it, never following a
 * symlink and never descending into another mount (such directories are
 * left); with owner_last, the entry "owner" of path goes after the rest.
 * 0 when path is gone, else -errno of the first failure. Depth <= 64. */
int gs_rmtree(const char *path, int owner_last);

/* ---- the sweep of dead owners' box directories (gs_sweep.c) ------------ */
/* gs_sweep_dir - the box directory at/name (path for logs): removed when
 * it is a real directory of this euid with mode 0700 whose "owner" record
 * (the same as expect when expect is not NULL) names a dead process; its
 * recorded process (proc_file, may be NULL) is SIGKILLed first if it still
 * runs (checked by start time on a pidfd). Logs each removal at INFO.
 * Returns 1 removed, 0 left alone (why in why), -errno when removing
 * failed. Any thread. */
int gs_sweep_dir(const vbx_host_services *h, int at, const char *name, const char *path,
                 const char *proc_file, const gs_owner *expect, char *why, size_t cap);
/* gs_sweep_root - gs_sweep_dir on every prefix* directory of root;
 * returns the number removed. */
unsigned gs_sweep_root(const vbx_host_services *h, const char *root, const char *prefix,
                       const char *proc_file);
/* The roots one process has swept (gs_sweep_once). */
typedef struct gs_swept {
  pthread_mutex_t lock;
  unsigned n;
  char roots[GS_SWEPT_MAX][256];
} gs_swept;
/* gs_sweep_once - gs_sweep_root(root) the first time s sees root (beyond
 * GS_SWEPT_MAX roots every call sweeps). Any thread. */
void gs_sweep_once(gs_swept *s, const vbx_host_services *h, const char *root, const char *prefix,
                   const char *proc_file);

/* ---- the box skeleton (gs_box.c, gs_exit.c) ----------------------------- */
typedef struct gs_box gs_box;

typedef struct gs_box_ops {
  const char *dir_prefix; /* box directory names: "<prefix><name>-XXXXXX" */
  const char *sock_name;  /* a socket in it whose path must fit sun_path */
  const char *proc_file;  /* record of the started process (the sweep
                                    kills it if it outlives us), or NULL */
  unsigned stop_wait_ms;  /* after SHUTDOWN, before SIGKILL */
  unsigned exit_wait_ms;  /* bound on waiting for the exit once the
                                    connection ended (gs_box_why_dead) */
  /* owner_text - the box's owner record text into buf (length, or -1);
   * NULL: gs_owner_format without workdir. */
  int (*owner_text)(const gs_box *b, char *buf, size_t cap);
  /* start - start the agent process or VM (gs_box_set_pid), b->secret is
   * the session secret. 0 or negative VBX_E_* set on call; what it made is
   * left for teardown. */
  int (*start)(gs_box *b, const vbx_sandbox_config *cfg, vbx_call *call);
  /* connect - reach the agent's byte stream and run the handshake into
   * b->gs.conn. 0 or negative VBX_E_* set on call. */
  int (*connect)(gs_box *b, vbx_call *call);
  /* after_stop - once the process is gone and the connection closed,
   * before the box directory goes (e.g. stop a helper process and read its
   * log there). May be NULL. */
  void (*after_stop)(gs_box *b);
  /* release - after the process is gone and the connection closed:
   * free what the backend holds (dir_removed: the box directory is gone).
   * May be NULL. */
  void (*release)(gs_box *b, int dir_removed);
  /* why_dead - describe the death into msg: gone (the process was reaped,
   * wait status in status, -1 unknown) and conn_why (the connection's end,
   * "" when none). */
  void (*why_dead)(gs_box *b, int gone, int status, const char *conn_why, char *msg, size_t cap);
} gs_box_ops;

struct gs_box {
  guest_session gs; /* FIRST: the vtable methods are guest_vt_* */
  const gs_box_ops *ops;
  const vbx_host_services *host;
  char *name;                     /* for messages (malloc'd, freed by clear) */
  char dir[512];                  /* the box directory, "" until made */
  gs_owner owner;                 /* the process that created the box */
  uint8_t secret[GS_SECRET_SIZE]; /* wiped once connected */
  pthread_mutex_t pid_lock;       /* pid and status */
  pid_t pid;                      /* agent or VM; -1 once reaped (never
                                    kill/wait it then) */
  int status;                     /* wait status once reaped, else -1 */
  /* The box's LLM gateway (gs_gateway.c): its host 127.0.0.1 port (0:
   * none); the in-box port the agent tunnels from (0: the box reaches the
   * host port itself); the tunnels' host end once connected. */
  uint32_t gw_host_port, gw_guest_port;
  struct gs_tunnels *tunnels;
};
_Static_assert(offsetof(gs_box, gs) == 0, "guest_vt_* need the session first");

/* gs_box_init - zero-initialised b gets host, ops, name (taken: freed by
 * gs_box_clear, may be NULL when out of memory: create then fails) and
 * the session's why_dead. Never fails. */
void gs_box_init(gs_box *b, const vbx_host_services *h, const gs_box_ops *ops, char *name);
/* gs_box_create - the shell of create: env from cfg (guest_default_env),
 * lifetime from cfg->timeout_secs, this process as owner, the box
 * directory under root (work_root_set: the option named it; dir_name goes
 * after ops->dir_prefix), the secret, ops->start, ops->connect. 0 or a
 * negative VBX_E_* set on call; the caller then tears down. */
int gs_box_create(gs_box *b, const vbx_sandbox_config *cfg, const char *root, int work_root_set,
                  const char *dir_name, vbx_call *call);
/* gs_box_set_pid - the started process (under pid_lock), recorded in
 * ops->proc_file when set (a failure is logged). */
void gs_box_set_pid(gs_box *b, pid_t pid);
/* gs_box_path - dir/file into out. */
void gs_box_path(const gs_box *b, const char *file, char *out, size_t cap);
/* gs_box_wait_exit - wait up to wait_ms for the process to exit (pidfd,
 * pid_lock not held meanwhile), reap it if it did. Returns 1 when it is
 * gone (*status: its wait status, -1 unknown), 0 while it runs. Any thread. */
int gs_box_wait_exit(gs_box *b, unsigned wait_ms, int *status);
/* gs_box_why_dead - why the agent or its connection is gone into msg,
 * waiting at most wait_ms for the exit (ops->why_dead words it). */
void gs_box_why_dead(gs_box *b, unsigned wait_ms, char *msg, size_t cap);
/* gs_box_teardown - SHUTDOWN, wait ops->stop_wait_ms (0 without a
 * connection), SIGKILL, reap (5 s bound), close, ops->release, remove the
 * directory (owner last). Idempotent. */
void gs_box_teardown(gs_box *b);
/* gs_box_clear - free env and name, destroy the lock (after teardown). */
void gs_box_clear(gs_box *b);

/* ---- the telemetry method (host_proc.c) --------------------------------- */
/* gs_box_telemetry - the vtable's `telemetry` of an agent-backed box:
 * guest_telemetry (the guest's figures), then the host process that
 * carries the box (b->pid, read under pid_lock with host_proc.h):
 * host_process (static, borrowed: "agent", "qemu", "voidbox-vmm"),
 * host_rss_kib and host_cpu_usec, each written only when out->struct_size
 * covers it. When the process cannot be read (gone, a zombie) they are
 * left as guest_telemetry set them (NULL, 0) and the call still succeeds.
 * Returns guest_telemetry's result. Any thread. */
int gs_box_telemetry(gs_box *b, const char *host_process, vbx_sandbox_telemetry *out,
                     vbx_call *call);

/* ---- the box's LLM gateway (gs_gateway.c) -------------------------------
 * A box whose config names an LLM gateway port (vbx_sandbox_config's
 * llm_gateway_port, the gateway's host 127.0.0.1 port) reaches it at the
 * URL in GS_GATEWAY_ENV of its commands' default environment: through the
 * agent's tunnel at http://127.0.0.1:GS_GATEWAY_GUEST_PORT in the box
 * (every backend, with or without network), or - when the box shares the
 * host's network (local with network: true) - at the host port itself
 * (docs/gateway.md). */
#define GS_GATEWAY_GUEST_PORT 4000
#define GS_GATEWAY_ENV "VOIDBOX_LLM_GATEWAY_URL"

/* gs_gateway_plan - before the backend writes the agent's policy: cfg's
 * gateway port into b; unless direct (the box shares the host's network
 * namespace, where a fixed in-box port would collide with the host's and
 * other boxes'), the agent is to listen on GS_GATEWAY_GUEST_PORT
 * (pol->llm_gateway_port). A backend that runs the agent calls it from
 * create or ops->start; gs_box_create refuses a gateway left unplanned. */
void gs_gateway_plan(gs_box *b, guest_policy *pol, const vbx_sandbox_config *cfg, int direct);
/* gs_gateway_start - after the handshake (gs_box_create calls it): the
 * tunnels' host end when the agent tunnels (the agent must offer
 * VBX_PROTO_FEAT_TUNNEL: VBX_E_UNSUPPORTED otherwise), and GS_GATEWAY_ENV
 * in the commands' default environment (replacing one from the config).
 * No-op without a gateway. 0 or a negative VBX_E_* set on call. */
int gs_gateway_start(gs_box *b, vbx_call *call);
/* gs_gateway_stop - close every tunnel at once (the teardown's first
 * step). Idempotent. */
void gs_gateway_stop(gs_box *b);

#endif
