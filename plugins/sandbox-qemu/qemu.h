/*
 * sandbox-qemu/qemu.h - internals of the "qemu" sandbox backend: every box
 * is a fresh `qemu-system-x86_64 -M microvm` guest (KVM when the host has
 * hardware virtualization, TCG software emulation otherwise) booting the
 * voidbox guest image, with the guest agent as PID 1 reached over a
 * virtio-serial port. See docs/sandbox-qemu.md.
 *
 * Files of one box, all in its own directory (removed by destroy):
 *   initrd.cpio   the image's initramfs + a per-box archive (policy, secret)
 *   ctl.sock      the listening socket QEMU's virtio-serial chardev joins
 *   console.log   the guest's serial console
 *   qemu.log      QEMU's own stderr
 *   owner         the voidbox process that made it (owner.c), so a later
 *                 voidbox can remove it once that process is dead (sweep.c)
 *   qemu.pid      the QEMU process, in the same form
 */
#ifndef VBX_QEMU_H
#define VBX_QEMU_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"
#include "session.h"
#include "voidbox/plugin.h"

#define QEMU_PORT_NAME "voidbox.ctl"
#define QEMU_DEFAULT_MEMORY_MB 256u
#define QEMU_DEFAULT_DISK_MB 256u      /* the spec's default (docs/spec.md) */
#define QEMU_MAX_DISK_MB 1048576u
#define QEMU_DEFAULT_BOOT_TIMEOUT_MS 60000u
#define QEMU_SHUTDOWN_WAIT_MS 3000u

#define QEMU_SWEPT_MAX 16

typedef struct qemu_state {
  const vbx_host_services *host;
  pthread_mutex_t lock;          /* next_box, swept */
  unsigned long next_box;
  unsigned n_swept;              /* work roots swept by this process */
  char swept[QEMU_SWEPT_MAX][256];
} qemu_state;

enum qemu_accel { QEMU_ACCEL_AUTO, QEMU_ACCEL_KVM, QEMU_ACCEL_TCG };

/* The `sandbox:` options of `backend: qemu` (options.c). */
typedef struct qemu_options {
  char *qemu;                    /* NULL: qemu-system-x86_64 from PATH */
  char *image_dir;               /* NULL: the image cache (docs/guest-image.md) */
  char *kernel;                  /* NULL: IMAGE_DIR/vmlinux (PVH entry: no
                                    decompression, ~10% faster than bzImage) */
  char *initramfs;               /* NULL: IMAGE_DIR/initramfs.cpio */
  char *work_root;               /* NULL: $TMPDIR or /tmp */
  int accel;                     /* enum qemu_accel */
  uint32_t boot_timeout_ms;      /* start of QEMU to authenticated agent */
  guest_policy pol;
} qemu_options;

/* Parse `o` (may be NULL: defaults). 0 or VBX_E_SPEC set on call, field
 * naming the key; on error nothing is left to clear. */
int qemu_options_parse(const vbx_host_services *h, const vbx_json *o, qemu_options *out,
                       vbx_call *call);
void qemu_options_clear(qemu_options *o);
/* options.c: where box directories go - work_root, else $TMPDIR, else
 * /tmp. Borrowed from o or the environment. */
const char *qemu_work_root(const qemu_options *o);

typedef struct qemu_box {
  guest_session gs;              /* FIRST: the vtable methods are guest_vt_* */
  qemu_state *st;
  const vbx_host_services *host;
  qemu_options opt;
  char *name;
  char dir[512];                 /* per-box directory, "" until made */
  char kernel[512], initramfs[512];
  int accel;                     /* QEMU_ACCEL_KVM or QEMU_ACCEL_TCG, resolved */
  uint32_t memory_mb, vcpus;
  uint32_t disk_mb;              /* the guest's tmpfs for /tmp, /var/tmp and
                                    /workspace; the VM gets memory_mb +
                                    disk_mb of RAM so that it fits */
  int network;
  pthread_mutex_t pid_lock;      /* pid and status: any call may reap */
  pid_t pid;                     /* QEMU; -1 once reaped */
  int status;                    /* wait status once reaped, else -1 */
  uint64_t boot_ns[3];           /* spawn, QEMU connected, handshake done */
} qemu_box;
_Static_assert(offsetof(qemu_box, gs) == 0, "guest_vt_* need the session first");

/* image.c: find the kernel and initramfs (options, then the image cache)
 * into b->kernel / b->initramfs. 0 or VBX_E_NOTFOUND naming what to run. */
int qemu_image_locate(qemu_box *b, vbx_call *call);
/* image.c: write DIR/initrd.cpio = the image's initramfs followed by an
 * archive with etc/voidbox/agent.args (with --disk-mb b->disk_mb), policy
 * and secret (0400), workspace/
 * (owned by the commands' uid) and, with network, etc/resolv.conf. */
int qemu_image_box_initrd(qemu_box *b, const void *secret, size_t secret_len, vbx_call *call);

/* accel.c: resolve `auto` - KVM when /dev/kvm opens and the CPU flags show
 * vmx or svm, else TCG; -1 when kvm was required and is missing. why gets
 * the reason for the choice or the refusal. */
int qemu_accel_resolve(int wanted, char *why, size_t cap);

/* launch.c: start QEMU and authenticate the agent. On failure sets the
 * call's error (with the console tail) and leaves the rest to teardown. */
int qemu_launch(qemu_box *b, vbx_call *call);
/* launch.c: SHUTDOWN, wait for QEMU to end (QEMU_SHUTDOWN_WAIT_MS), SIGKILL
 * it otherwise, reap it, remove the box directory. Idempotent. */
void qemu_teardown(qemu_box *b);
/* launch.c: why the guest is gone into msg: QEMU's exit status (waiting up
 * to QEMU_EXIT_WAIT_MS for it: the connection ending means QEMU is
 * exiting), its last stderr lines, the guest's "Kernel panic" line if any,
 * then as much of the console tail as fits (newest lines kept; at most
 * min(cap, QEMU_WHY_MAX) bytes: a call's error message holds 1 KiB with
 * its prefix). guest-session calls it for VBX_E_SANDBOX_LOST; any thread. */
#define QEMU_WHY_MAX 900
#define QEMU_EXIT_WAIT_MS 2000u
void qemu_why_dead(void *box, char *msg, size_t cap);

/* console.c: the last `lines` lines (at most cap-1 bytes) of file, with
 * control characters replaced, into out. Returns the length (0: none). */
size_t qemu_file_tail(const char *file, unsigned lines, char *out, size_t cap);
/* console.c: the last "Kernel panic - not syncing: ..." line in the final
 * 16 KiB of the console log (NUL-terminated, at most cap-1 bytes) into out;
 * "" when the guest did not panic. */
void qemu_console_panic(const char *file, char *out, size_t cap);

/* owner.c: a record naming a process - "pid=P\nstart=S\nboot=B\npidns=N\n",
 * where S is field 22 of /proc/P/stat (start time in clock ticks since boot,
 * which tells a reused pid apart), B the kernel's boot_id and N the pid
 * namespace (readlink /proc/self/ns/pid). DIR/owner names the voidbox
 * process of a box, DIR/qemu.pid its QEMU. */
enum { QEMU_OWNER_LIVE, QEMU_OWNER_DEAD, QEMU_OWNER_UNKNOWN };
/* owner.c: write DIR/file (0600, created exclusively) naming process pid.
 * 0 or -errno (-ESRCH when pid is not running). */
int qemu_owner_record(const char *dir, const char *file, pid_t pid);
/* owner.c: read the record dirfd/file and check the process it names:
 * QEMU_OWNER_LIVE (running, same start time), QEMU_OWNER_DEAD (exited, pid
 * reused, or an earlier boot) or QEMU_OWNER_UNKNOWN (no valid record, or
 * another pid namespace: cannot be checked). *pid / *start are set unless
 * UNKNOWN; why gets a phrase for logs ("pid 12 has exited"). */
int qemu_owner_read(int dirfd, const char *file, pid_t *pid, unsigned long long *start,
                    char *why, size_t cap);
/* owner.c: the start time (field 22 of /proc/PID/stat) of a running
 * process; -1 when there is none or it is a zombie. */
int qemu_proc_start(pid_t pid, unsigned long long *start);

/* sweep.c: remove every box directory ("vbx-qemu-*", ours, not a symlink)
 * under root whose owner record names a dead process, first SIGKILLing its
 * recorded QEMU if that still runs (checked by start time through a pidfd).
 * Live owners' directories and those without a valid record are left
 * alone. Logs each removal at info level. Returns the number removed. Any
 * thread; concurrent sweeps of one root tolerate each other. */
unsigned qemu_sweep(const vbx_host_services *h, const char *root);
/* sweep.c: qemu_sweep(root) the first time this process sees root (the
 * roots seen are kept in st, up to QEMU_SWEPT_MAX; beyond that every call
 * sweeps). Any thread. */
void qemu_sweep_once(qemu_state *st, const char *root);

#endif
