/*
 * guest/agent/agent.h - internals of voidbox-guest-agent (docs/guest-agent.md).
 *
 * The agent serves the host<->guest protocol (docs/protocol.md) over one
 * byte stream per connection. Threads: one acceptor, one reader per
 * connection, one worker per exec and per file request, one reaper. Frames are
 * written by whichever thread produced them, under the connection's write
 * lock, so a frame is never interleaved with another.
 *
 * Errors, one rule for every function of the agent (static ones too):
 * - A fallible function returns 0 (or a count, an fd, a pid where its
 *   contract says so) on success and a negative VBX_E_* code
 *   (voidbox/errors.h) on failure, with one cleanup path. Codes sent to the
 *   host in ERROR frames are VBX_E_* codes too; an errno becomes one through
 *   vbx__errno_code.
 * - Exception: thin system-call wrappers (vbx__jail_open,
 *   vbx__jail_open_parent, vbx__jail_open_file, vbx__jail_check_file,
 *   vbx__jail_become, vbx__reaper_spawn and a few static helpers that only
 *   wrap system calls) return -errno, so the caller can name the errno in
 *   its message; their contract comments say "-errno".
 * - A reader-thread handler (a request's starting frame, a frame for a
 *   live request) returns 0 when the connection goes on, including when
 *   the request was refused with an ERROR(id), and a negative VBX_E_* code
 *   when the connection must close: VBX_E_PROTOCOL (the host broke the
 *   protocol), VBX_E_NOMEM, or VBX_E_IO (a frame could not be sent).
 * - Predicates (vbx__policy_allows, vbx__reaper_done, ...) return 1 or 0
 *   and cannot fail.
 */
#ifndef VBX_GUEST_AGENT_H
#define VBX_GUEST_AGENT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "voidbox/errors.h"
#include "voidbox/protocol/policy.h"
#include "voidbox/protocol/protocol.h"

/* ---- policy (policy.c) --------------------------------------------------- */

/* The policy file's format (reader, writer, limits) is the protocol's:
 * voidbox/protocol/policy.h. The agent reads it once, before the first
 * connection, into a struct vbx_proto_policy (vbx_proto_policy_init: an
 * empty policy refuses every exec) that every thread then reads without
 * locking. */

/* vbx__policy_load_fd - read at most VBX_PROTO_POLICY_MAX_BYTES from fd
 * (to EOF) and parse it into p (initialised by the caller). Returns 0, or
 * VBX_E_IO (read failed), VBX_E_TOOBIG (larger), VBX_E_NOMEM or VBX_E_SPEC
 * (malformed) with err set. Does not close fd. */
int vbx__policy_load_fd(int fd, struct vbx_proto_policy *p, char *err, size_t errcap);

/* vbx__policy_allows - 1 if argv0 may run: "*" allows all; otherwise
 * argv0 must equal an entry exactly ("sh" allows "sh", which the agent
 * resolves through its own fixed PATH, never the request's; "/bin/sh"
 * allows only "/bin/sh"). */
int vbx__policy_allows(const struct vbx_proto_policy *p, const char *argv0);

/* vbx__policy_writable - 1 if the jailed path (relative to the root, no
 * leading '/') may be written: no writable entries means all; otherwise the
 * path must equal an entry or lie below it (entries are relative too). */
int vbx__policy_writable(const struct vbx_proto_policy *p, const char *rel);

/* ---- jail (jail.c) ------------------------------------------------------- */

/* vbx__jail_relpath - map a request path to a path relative to the jail
 * root. `root` is the root as the agent sees it (absolute, no trailing '/'
 * except "/" itself). Absolute paths must equal root or lie below it;
 * relative paths are taken relative to root. The result never starts with
 * '/', is "." for the root itself, and has no empty components. Returns 0,
 * VBX_E_PERM (outside root) or VBX_E_INVAL (invalid: empty, too long).
 * Pure. `..` is left for openat2 to refuse when it escapes. */
int vbx__jail_relpath(const char *root, const char *path, char *out, size_t cap);

/* vbx__jail_open - openat2(rootfd, rel, flags, mode) with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS. A system-call
 * wrapper: returns an fd or -errno (EXDEV: escapes; ELOOP: symlink). */
int vbx__jail_open(int rootfd, const char *rel, int flags, mode_t mode);

/* vbx__jail_open_parent - open the parent directory of rel beneath rootfd
 * (O_PATH|O_DIRECTORY) and point *leaf at rel's last component (inside
 * rel). A system-call wrapper: returns an fd or -errno; -EINVAL when rel is
 * "." or ends in "..". */
int vbx__jail_open_parent(int rootfd, const char *rel, const char **leaf);

/* vbx__jail_become - give the calling thread, and only it, the identity
 * commands run with: the policy's uid/gid (each missing one stays the
 * agent's), no supplementary groups, no capabilities. Uses the raw
 * setgroups/setfsgid/setfsuid/capset system calls, which change the
 * calling thread's credentials only (glibc's wrappers would change every
 * thread's). A no-op when the agent is not root, when the policy names no
 * uid/gid, or when it names 0/0 (commands then keep the agent's identity
 * too). Irreversible for the thread: call it on a worker thread that ends
 * with its request. A system-call wrapper: returns 0 or -errno. */
int vbx__jail_become(const struct vbx_proto_policy *p);

/* vbx__jail_special_fs - NULL when fd lies on an ordinary file system; for
 * the kernel's interface file systems (procfs, sysfs, cgroup, debugfs, ...)
 * a static reason such as "is on /proc (procfs)". */
const char *vbx__jail_special_fs(int fd);

/* vbx__jail_check_file - 0 when fd (any kind, O_PATH included) is a
 * regular file on an ordinary file system. A system-call wrapper: otherwise
 * *why is set to a static reason ("is a FIFO", "is a character device", "is
 * on /proc (procfs)", ...) and the result is -EISDIR for a directory, -EPERM
 * for the rest; -errno when fstat fails (why untouched). */
int vbx__jail_check_file(int fd, const char **why);

/* vbx__jail_open_file - open the regular file rel beneath rootfd for its
 * contents (flags: O_RDONLY/O_WRONLY/O_RDWR, O_TRUNC, O_APPEND; O_CREAT is
 * ignored). It is first opened O_PATH and checked (so no FIFO rendezvous or
 * driver open happens for what will be refused), then opened with
 * O_NONBLOCK|O_NOFOLLOW|O_NOCTTY|O_CLOEXEC on top of vbx__jail_open's
 * resolution and checked again with vbx__jail_check_file. A system-call
 * wrapper: returns an fd, or -errno with *why set (static) when the refusal has a reason of its
 * own, NULL otherwise. A read from the fd never blocks indefinitely. */
int vbx__jail_open_file(int rootfd, const char *rel, int flags, const char **why);

/* vbx__errno_code - map an errno (positive) to a VBX_E_* code; unknown
 * ones are VBX_E_IO. */
int vbx__errno_code(int err);

/* ---- logging (log.c) ----------------------------------------------------- */

/* vbx__log_init - choose the sink: /dev/kmsg when kmsg != 0 (PID 1),
 * stderr otherwise; verbose enables debug lines. Call once, first. */
void vbx__log_init(int kmsg, int verbose);
/* vbx__log - printf-style line to the sink, prefixed "voidbox-agent: ".
 * level 0 error, 1 info, 2 debug. Thread-safe. */
void vbx__log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- PID 1 duties (init.c) ----------------------------------------------- */

/* vbx__init_system - mount proc, sys, dev, devpts, tmp and bring lo up.
 * Failures are logged; returns 0, or VBX_E_IO when a mount that matters
 * (proc) failed. */
int vbx__init_system(void);
/* vbx__init_poweroff - sync and reboot(RB_POWER_OFF), or reboot(RB_AUTOBOOT)
 * when use_reboot (a VM without ACPI cannot power off; its monitor runs
 * with -no-reboot and the kernel with reboot=t, so a reboot ends it).
 * Never returns when it works (only as PID 1). */
void vbx__init_poweroff(int use_reboot);
/* vbx__init_find_virtio_port - the /dev path of the virtio-serial port
 * whose /sys/class/virtio-ports/<dev>/name is `name`. Returns 0, or
 * VBX_E_NOTFOUND when no such port exists (yet). */
int vbx__init_find_virtio_port(const char *name, char *path, size_t cap);

/* ---- reaper (reaper.c) --------------------------------------------------- */

/* vbx__reaper_start - start the thread that reaps every child (wait4 on
 * -1): registered pids get their status delivered, others (orphans
 * re-parented to us as PID 1) are just reaped. Returns 0, or VBX_E_LIMIT
 * when the thread cannot be created. */
int vbx__reaper_start(void);

/* Completion slot filled by the reaper; the worker owns it. */
struct vbx__child {
  pid_t pid;
  int done;
  int status;
  struct rusage *ru; /* filled when done */
  int wake_fd;       /* eventfd written once done */
};

/* vbx__reaper_spawn - start a child registered before the reaper can see it
 * exit (-EAGAIN: the table of children is full; it stays registered until
 * reaped). The child shares the agent's memory until it execs or exits (clone with CLONE_VM|CLONE_VFORK:
 * no copy of the address space; the calling thread waits until then) and
 * runs fn(arg) on stack[0, stack_size), all signals blocked on entry. fn
 * must make raw system calls only and end in execve or _exit. A
 * system-call wrapper: the pid (> 0) or -errno. */
pid_t vbx__reaper_spawn(struct vbx__child *c, int (*fn)(void *), void *arg, void *stack,
                        size_t stack_size);

/* vbx__reaper_done - 1 once c's status is available; the reaper no longer
 * touches c after that, so the owner may free it. Thread-safe. */
int vbx__reaper_done(struct vbx__child *c);

/* vbx__reaper_kill_all - send sig to every registered child's process
 * group (SHUTDOWN). */
void vbx__reaper_kill_all(int sig);

/* vbx__reaper_wait_none - wait until no registered child is left (each
 * reaped) or wait_ms has passed, whichever is first: woken by the reaper,
 * never by polling. Returns 1 when none is left, 0 on the timeout. Any
 * thread. */
int vbx__reaper_wait_none(unsigned wait_ms);

/* ---- connection (conn.c) ------------------------------------------------- */

struct vbx__agent;
struct vbx__exec;
struct vbx__get;

/* One client connection. Refcounted: the reader and each worker hold a
 * reference; the last put closes the fd and frees it. */
struct vbx__conn {
  struct vbx__agent *agent;
  int fd;
  pthread_mutex_t wlock; /* serialises frame writes */
  pthread_mutex_t lock;  /* protects the request table and refs */
  int refs;
  int broken; /* write failed or reader ended */
  int splice; /* (wlock) 0 not known yet; 1 fd is a Unix socket: output is
                 spliced to it; -1 copied (a device, vsock, or refused) */
  uint32_t features;
  struct vbx__req *reqs; /* live requests (list) */
  int n_telem;           /* live telemetry subscriptions (telem.c) */
  /* tunnels (tunnel.c): the next guest id to try (c->lock), and the link
   * in the agent's list of connections that carry tunnels (a->lock) */
  uint32_t next_tunnel_id;
  struct vbx__conn *tunnel_next;
};

/* Kinds of live requests a connection tracks by id. */
enum vbx__req_kind {
  VBX__REQ_EXEC = 1,
  VBX__REQ_PUT = 2,
  VBX__REQ_GET = 3,
  VBX__REQ_TELEM = 4,
  VBX__REQ_FILE = 5,  /* MKDIR or STAT on its worker: no frames expected */
  VBX__REQ_TUNNEL = 6 /* a tunnel to the host on a guest id (tunnel.c) */
};

struct vbx__req {
  struct vbx__req *next;
  uint32_t id;
  int kind;
  void *obj; /* struct vbx__exec*, put state, ... */
};

/* The agent: configuration shared read-only by every thread. */
struct vbx__agent {
  struct vbx_proto_policy policy;
  uint8_t secret[256];
  size_t secret_len;
  const char *root;    /* jail root as the agent sees it */
  int rootfd;          /* O_PATH directory fd of root */
  const char *cwd;     /* default cwd of commands */
  int is_init;         /* PID 1 duties */
  int shutdown_reboot; /* end the VM with a reboot, not a power-off */
  volatile int shutting_down;
  pthread_mutex_t lock;
  int n_execs; /* running execs (all connections) */
  /* tunnels (tunnel.c), under lock: connections that negotiated
   * FEAT_TUNNEL, oldest first (new tunnels go to the first), and the
   * tunnels open across them */
  struct vbx__conn *tunnel_conns;
  int n_tunnels;
};

/* vbx__conn_serve - run one connection to its end on the calling thread
 * (handshake, then the read loop). Takes ownership of fd. */
void vbx__conn_serve(struct vbx__agent *a, int fd);

/* vbx__agent_forget_secret - the agent stops serving: wipe a->secret
 * (vbx__wipe) and set secret_len to 0, under a->lock, so every handshake
 * from then on is refused ("authentication failed"). Thread-safe. */
void vbx__agent_forget_secret(struct vbx__agent *a);

/* vbx__conn_send - write the whole buffer b as one unit under wlock.
 * Returns 0 or VBX_E_IO (the connection is then marked broken).
 * Thread-safe. The other senders below return the same, or the protocol
 * library's VBX_E_* code when the frame cannot be encoded. */
int vbx__conn_send(struct vbx__conn *c, const struct vbx_proto_buf *b);
/* vbx__conn_send_data - a data frame (type, id, offset) of len bytes via
 * writev without copying. Thread-safe. */
int vbx__conn_send_data(struct vbx__conn *c, unsigned type, uint32_t id, uint64_t off,
                        const void *data, uint32_t len);
/* vbx__conn_splice_data - a data frame (type, id, offset) of the next len
 * bytes of the pipe fd, which holds at least that many and is read by no
 * one else: moved to the connection with splice(2), without a copy through
 * the agent, when the connection is a Unix socket (sandbox-local); else,
 * or once the kernel refused (c->splice), read into buf (cap bytes) and
 * written. The len bytes leave the pipe even when the connection is
 * broken. Returns 0, VBX_E_IO, or the protocol library's code when the
 * frame cannot be encoded (nothing read). Thread-safe. */
int vbx__conn_splice_data(struct vbx__conn *c, unsigned type, uint32_t id, uint64_t off, int fd,
                          uint32_t len, uint8_t *buf, size_t cap);
/* vbx__conn_send_error - ERROR(id, code, printf message). Thread-safe. */
int vbx__conn_send_error(struct vbx__conn *c, uint32_t id, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* vbx__conn_send_window - WINDOW_UPDATE(id, inc). Thread-safe. */
int vbx__conn_send_window(struct vbx__conn *c, uint32_t id, uint32_t inc);

void vbx__conn_get(struct vbx__conn *c);
void vbx__conn_put(struct vbx__conn *c);
/* vbx__conn_req_add - register live request id (reader thread only).
 * Returns 0 or VBX_E_NOMEM. */
int vbx__conn_req_add(struct vbx__conn *c, uint32_t id, int kind, void *obj);
/* The live request id, or NULL. c->lock held. */
struct vbx__req *vbx__conn_req_find(struct vbx__conn *c, uint32_t id);
/* Non-zero when id is live (the reader refuses a new request on it).
 * Takes c->lock. */
int vbx__conn_req_live(struct vbx__conn *c, uint32_t id);
/* Remove id from the live table (the worker finished). */
void vbx__conn_req_del(struct vbx__conn *c, uint32_t id);
/* vbx__conn_req_add_guest - register a request this side starts (a
 * tunnel) on a fresh guest id: VBX_PROTO_GUEST_ID_BIT set, not live on c
 * (the host never starts requests there). Any thread. Returns 0 with *id,
 * or VBX_E_NOMEM. */
int vbx__conn_req_add_guest(struct vbx__conn *c, int kind, void *obj, uint32_t *id);

/* ---- exec (exec.c) ------------------------------------------------------- */

/* vbx__exec_start - validate EXEC_START m (policy, allowlist, uid/gid) and
 * start its worker thread, registering id on c. On refusal sends ERROR(id)
 * itself. Returns 0, or a negative VBX_E_* code (VBX_E_IO: that ERROR
 * could not be sent) when the connection must close. */
int vbx__exec_start(struct vbx__conn *c, uint32_t id, const struct vbx_proto_exec_start_view *m);
/* Frames for a running exec, from the reader thread. Return 0, or
 * VBX_E_PROTOCOL (stdin past the window or out of order, a credit
 * overflow: the connection closes). */
int vbx__exec_stdin(struct vbx__exec *e, const struct vbx_proto_data *d);
int vbx__exec_stdin_close(struct vbx__exec *e);
int vbx__exec_window(struct vbx__exec *e, uint32_t inc);
int vbx__exec_signal(struct vbx__exec *e, uint32_t signo);
/* The connection is going away: kill the exec's group, let the worker end. */
void vbx__exec_abandon(struct vbx__exec *e);

/* ---- files (files.c) ----------------------------------------------------- */

/* Every file request runs on a worker thread of its own that first takes
 * the commands' identity (vbx__jail_become) and ends with the request; at
 * most VBX__FILE_MAX_WORKERS run at once across connections (beyond that:
 * ERROR{VBX_E_LIMIT}). The reader thread only maps the path (pure), checks
 * the writable policy, registers the id and hands frames over; it never
 * touches the file system for a file request. */
#define VBX__FILE_MAX_WORKERS 32

/* Starting frames, from the reader thread (id not live). Each either
 * registers id and starts the request's worker, which sends the terminal
 * frame, or sends ERROR(id) itself. Return 0, or a negative VBX_E_* code
 * when the connection must close (VBX_E_NOMEM; VBX_E_IO: the ERROR could
 * not be sent). */
int vbx__file_put_begin(struct vbx__conn *c, uint32_t id, const struct vbx_proto_file_put_begin *m);
int vbx__file_get(struct vbx__conn *c, uint32_t id, const struct vbx_proto_file_get *m);
int vbx__file_mkdir(struct vbx__conn *c, uint32_t id, const struct vbx_proto_mkdir *m);
int vbx__file_stat(struct vbx__conn *c, uint32_t id, const struct vbx_proto_stat *m);
/* Frames for a live put or get, from the reader thread with c->lock held
 * (so they must not take it): FILE_DATA is copied into the put's queue
 * (one window), FILE_END handed to its worker, a WINDOW_UPDATE credited to
 * the get. They never block. Return 0, or VBX_E_PROTOCOL (offset, credit
 * overrun, more than announced, data after FILE_END: the connection
 * closes). */
int vbx__file_put_data(struct vbx__conn *c, void *put, const struct vbx_proto_data *d);
int vbx__file_put_end(struct vbx__conn *c, uint32_t id, void *put,
                      const struct vbx_proto_file_end *m);
int vbx__file_get_window(void *get, uint32_t inc);
/* The connection is closing (c->lock held): the worker ends without
 * replying, removes its temporary file (put) and unregisters itself. */
void vbx__file_put_abandon(void *put);
void vbx__file_get_abandon(void *get);

/* ---- telemetry (telem.c) ------------------------------------------------ */

/* vbx__telem_sample - the current figures (docs/guest-agent.md
 * "Telemetry"); is_init selects whole-system CPU time; ext (the connection
 * negotiated VBX_PROTO_FEAT_TELEMETRY_EXT) adds network bytes and open fds
 * and selects the 64-byte form (s->ext). Thread-safe. */
void vbx__telem_sample(int is_init, int ext, struct vbx_proto_telemetry_sample *s);
/* vbx__telem_parse_netdev - the text of /proc/net/dev: bytes received and
 * sent summed over its interfaces but `lo` (saturating). Only whole lines
 * (ending in a newline) count. Returns 0, or VBX_E_PROTOCOL when the text
 * has no interface line at all (then *rx and *tx are 0). Pure. */
int vbx__telem_parse_netdev(const char *text, uint64_t *rx, uint64_t *tx);
/* vbx__telem_count_fds - open file descriptors of the processes pids[0..n),
 * counted in /proc/PID/fd: at most VBX__TELEM_MAX_FD_PROCS processes and
 * VBX__TELEM_MAX_FDS descriptors; a process that is gone or whose
 * descriptors are not readable counts 0. The agent's own count leaves out
 * the directory this listing opens. Thread-safe. */
#define VBX__TELEM_MAX_FD_PROCS 4096u
#define VBX__TELEM_MAX_FDS 1000000u
uint32_t vbx__telem_count_fds(const int *pids, size_t n);
/* vbx__telem_subscribe - TELEMETRY_SUBSCRIBE(id, interval_ms > 0, already
 * validated) from the reader thread: start the subscription's worker and
 * register id on c, or send ERROR(id) (feature not negotiated, too many
 * subscriptions). Returns 0, or a negative VBX_E_* code when the connection
 * must close (VBX_E_NOMEM; VBX_E_IO: the ERROR could not be sent). */
int vbx__telem_subscribe(struct vbx__conn *c, uint32_t id, uint32_t interval_ms);
/* vbx__telem_stop - SUBSCRIBE(0) on a live subscription (called with c->lock
 * held): the worker sends OK and ends. */
void vbx__telem_stop(void *t);
/* vbx__telem_abandon - the connection is closing: the worker ends silently. */
void vbx__telem_abandon(void *t);

/* ---- tunnels to the host (tunnel.c) -------------------------------------- */

/* The LLM gateway tunnel (docs/guest-agent.md "Tunnels"): the agent
 * listens on 127.0.0.1:PORT in the box and carries each connection to the
 * host in TUNNEL_* frames on a guest id (docs/protocol.md 4.5), one worker
 * thread per connection, at most VBX__TUNNEL_MAX at once. */
#define VBX__TUNNEL_MAX 64

/* vbx__tunnel_listen - bind and listen on 127.0.0.1:port, then start the
 * thread that accepts connections there. Called once, before the first
 * host connection is accepted. Returns 0, or VBX_E_IO / VBX_E_LIMIT
 * (logged): the agent then stops - a box whose host expects the tunnel
 * must have it. */
int vbx__tunnel_listen(struct vbx__agent *a, uint32_t port);
/* vbx__tunnel_conn_up - connection c negotiated FEAT_TUNNEL: it may carry
 * tunnels (the oldest such live connection gets every new one). */
void vbx__tunnel_conn_up(struct vbx__conn *c);
/* vbx__tunnel_conn_down - c is closing: no new tunnel goes to it. Safe
 * when c never came up. */
void vbx__tunnel_conn_down(struct vbx__conn *c);
/* vbx__tunnel_frame - a host frame for a live tunnel (TUNNEL_OPENED,
 * ERROR refusing it, TUNNEL_DATA, TUNNEL_EOF, TUNNEL_CLOSE,
 * WINDOW_UPDATE), from the reader thread with c->lock held; copies and
 * wakes, never blocks. Returns 0, or VBX_E_PROTOCOL (the host broke the
 * tunnel's rules: the connection closes). */
int vbx__tunnel_frame(void *t, const struct vbx_proto_msg *m);
/* vbx__tunnel_abandon - the connection is closing (c->lock held): the
 * worker resets the in-box connection and ends without a frame. */
void vbx__tunnel_abandon(void *t);

/* ---- the box's disk (init.c) --------------------------------------------- */

#define VBX__DEFAULT_DISK_MB 256u
#define VBX__MAX_DISK_MB 1048576u

/* vbx__init_disk - PID 1 only, after vbx__init_system: make the box's
 * writable storage one tmpfs of disk_mb MiB (0: VBX__DEFAULT_DISK_MB) and
 * put /tmp, /var/tmp and /workspace on it (bind mounts of three of its
 * directories; /workspace keeps the owner and mode the image gave it; the
 * plain /tmp of vbx__init_system is unmounted). A write past disk_mb then
 * fails with ENOSPC. Returns 0, or VBX_E_IO when any step failed (logged):
 * the caller must not serve with unbounded storage. */
int vbx__init_disk(unsigned disk_mb);

/* ---- host shares (init.c) ------------------------------------------------ */

#define VBX__MAX_MOUNTS 8       /* --mount arguments */
#define VBX__MOUNT_PATH_MAX 240 /* bytes of a share's mount point */
#define VBX__MOUNT_MSIZE 512000 /* 9p message size: the virtio transport's most */

/* vbx__init_mount_ok - is spec a well-formed --mount value, "TAG:/PATH"
 * (TAG 1..31 letters, digits, '_' or '-'; PATH absolute, at most
 * VBX__MOUNT_PATH_MAX bytes, not "/", without empty, "." or ".."
 * components or control characters)? 1 or 0. */
int vbx__init_mount_ok(const char *spec);
/* vbx__init_mounts - PID 1 only, after the policy and the secret are read
 * and before serving: mount each of the n specs ("TAG:/PATH", checked by
 * vbx__init_mount_ok), in order, as the 9p file system the monitor exports
 * under TAG (virtio transport, 9p2000.L, msize VBX__MOUNT_MSIZE,
 * cache=loose), read-only, nosuid, nodev, at PATH (made with its parents,
 * 0755, when missing). The monitor serves it read-only too. Returns 0, or
 * VBX_E_IO at the first that fails (logged with the tag, the path and the
 * reason): the caller must not serve without the box's mounts. */
int vbx__init_mounts(char *const *specs, unsigned n);

#endif
