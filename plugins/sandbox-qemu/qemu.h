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
 *   owner         the voidbox process that made it, so a later voidbox can
 *                 remove it once that process is dead (guest-session's
 *                 gs_owner.c, gs_sweep.c)
 *   qemu.pid      the QEMU process, in the same form
 *
 * The box's shell - create, handshake, calls, teardown, owner records and
 * the sweep - is guest-session's skeleton (gs_box.h), with the VM helpers
 * both VM backends share (gs_vm.h: plugin state, config refusals, image,
 * initrd, QEMU's process, boot wait, dead-VM message, 9p shares); this
 * backend supplies its ops: start and connect (launch.c, with the kernel
 * command line from cmdline.c and the shares' QEMU arguments from
 * shares.c), why_dead (why.c).
 */
#ifndef VBX_QEMU_H
#define VBX_QEMU_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gs_box.h"
#include "gs_vm.h"
#include "policy.h"
#include "session.h"
#include "voidbox/plugin.h"

#define QEMU_PORT_NAME "voidbox.ctl"
#define QEMU_DEFAULT_BOOT_TIMEOUT_MS 60000u
#define QEMU_SHUTDOWN_WAIT_MS 3000u

#define QEMU_BOX_PREFIX "vbx-qemu-"

enum qemu_accel { QEMU_ACCEL_AUTO, QEMU_ACCEL_KVM, QEMU_ACCEL_TCG };

/* The `sandbox:` options of `backend: qemu` (options.c). */
typedef struct qemu_options {
  char *qemu;               /* NULL: qemu-system-x86_64 from PATH */
  char *netstack;           /* NULL: voidbox-netstack of this tree, else PATH */
  char *image_dir;          /* NULL: the image cache (docs/guest-image.md) */
  char *kernel;             /* NULL: IMAGE_DIR/vmlinux (PVH entry: no
                                    decompression, ~10% faster than bzImage) */
  char *initramfs;          /* NULL: IMAGE_DIR/initramfs.cpio */
  char *work_root;          /* NULL: $TMPDIR or /tmp */
  int accel;                /* enum qemu_accel */
  uint32_t boot_timeout_ms; /* start of QEMU to authenticated agent */
  int host_userland;        /* the host's /usr and /lib* mounted read-only at the
                               same paths, so host programs run (gs_vm_mounts_plan) */
  guest_policy pol;
} qemu_options;

/* options.c: parse `o` (may be NULL: defaults) with guest-session's
 * gs_options_parse. 0 or VBX_E_SPEC set on call, field naming the key; on
 * error nothing is left to clear. */
int qemu_options_parse(const vbx_host_services *h, const vbx_json *o, qemu_options *out,
                       vbx_call *call);
/* options.c: free what qemu_options_parse allocated; o is zeroed. */
void qemu_options_clear(qemu_options *o);
/* options.c: where box directories go - work_root, else $TMPDIR, else
 * /tmp (gs_work_root). Borrowed from o or the environment. */
const char *qemu_work_root(const qemu_options *o);

typedef struct qemu_box {
  gs_box box; /* FIRST: the skeleton; its gs is the session */
  gs_vm_state *st;
  qemu_options opt;
  char kernel[512], initramfs[512];
  int accel;       /* QEMU_ACCEL_KVM or QEMU_ACCEL_TCG, resolved */
  gs_vm_size size; /* memory_mb, vcpus, disk_mb */
  int network;
  char netstack[4096]; /* with network: the helper binary, resolved */
  gs_vm_net net;       /* with network: its process (pid -1 without) */
  int ls;              /* listening ctl.sock until QEMU joined, else -1 */
  uint64_t boot_ns[3]; /* spawn, QEMU connected, handshake done */
  gs_vm_mounts mounts; /* the 9p shares: host_userland's, then cfg's mounts */
} qemu_box;
_Static_assert(offsetof(qemu_box, box) == 0, "the skeleton comes first");

/* plugin.c: this backend's ops of the box skeleton. */
extern const gs_box_ops qemu_box_ops;

/* image.c: find the kernel and initramfs (options, then the image cache;
 * gs_vm_image_locate) into b->kernel / b->initramfs. 0 or VBX_E_NOTFOUND naming what to run. */
int qemu_image_locate(qemu_box *b, vbx_call *call);
/* image.c: write DIR/initrd.cpio (gs_vm_initrd_write): the image's
 * initramfs followed by the box's archive - agent.args (--listen
 * virtio-port:voidbox.ctl, --disk-mb b->disk_mb), policy, secret (0400),
 * workspace/ and, with network, etc/resolv.conf. */
int qemu_image_box_initrd(qemu_box *b, const void *secret, size_t secret_len, vbx_call *call);

/* shares.c: append to argv (n entries so far, room for max) an -fsdev
 * (local, security_model=none, readonly=on, multidevs=remap) and a
 * -device virtio-9p-device (mount_tag = the share's tag) for each of
 * b->mounts' shares, their texts written into buf (cap bytes; a comma in
 * a path doubled, as QEMU's option syntax wants). Returns the new n, or -1
 * when argv or buf is too small. */
#define QEMU_SHARE_ARGS_MAX (2 * GS_VM_HOST_PATH_MAX + 256) /* buf bytes a share takes */
int qemu_share_args(const qemu_box *b, char *buf, size_t cap, const char **argv, int n, int max);

/* accel.c: resolve `auto` - KVM when /dev/kvm opens and the CPU flags show
 * vmx or svm, else TCG; -1 when kvm was required and is missing. why gets
 * the reason for the choice or the refusal. */
int qemu_accel_resolve(int wanted, char *why, size_t cap);

/* cmdline.c: the guest kernel's command line into out (cap bytes): the
 * console (ttyS0, loglevel=6: notice and worse), panic=-1 reboot=t, the
 * boot options measured to shorten a boot (all of them for
 * QEMU_ACCEL_TCG, those that are not about timers or code patching for
 * KVM), tsc_early_khz=tsc_khz under TCG when tsc_khz is not 0, then a
 * space and tail (NULL or "": none). Its length, or -1 when it does not
 * fit. */
int qemu_kernel_cmdline(int accel, unsigned tsc_khz, const char *tail, char *out, size_t cap);
/* cmdline.c: the host's TSC frequency in kHz - the rate a TCG guest's TSC
 * runs at, since TCG reads the host's TSC - measured against
 * CLOCK_MONOTONIC_RAW between begin and end (end sleeps until 2 ms have
 * passed; a caller puts its own work between them) on the first boxes of
 * a process, then remembered. end returns 0 (nothing to tell the guest)
 * on a host that is not x86-64 or whose TSC is not invariant, or when the
 * reads were preempted. Any thread. */
typedef struct qemu_tsc_probe {
  uint64_t ns, tsc;
  int ok;
} qemu_tsc_probe;
void qemu_tsc_probe_begin(qemu_tsc_probe *p);
unsigned qemu_tsc_probe_end(qemu_tsc_probe *p);

/* launch.c, the ops' start: write the box's initrd (with b->secret),
 * listen on ctl.sock, spawn QEMU (gs_vm_spawn: PR_SET_PDEATHSIG, its own
 * session, stderr to qemu.log). On failure sets the call's error and
 * leaves the rest to the teardown. */
int qemu_start(gs_box *box, const vbx_sandbox_config *cfg, vbx_call *call);
/* launch.c, the ops' connect: accept QEMU on ctl.sock (watching QEMU's
 * exit, cancellation and boot_timeout_ms: gs_vm_boot_check), then
 * gs_vm_handshake: wait for the agent's first frame, authenticate, remove
 * the initrd. */
int qemu_connect(gs_box *box, vbx_call *call);
/* launch.c: close and unlink the listening socket if still open. */
void qemu_close_listener(qemu_box *b);
/* why.c, the ops' why_dead: guest-session's gs_vm_why_dead (QEMU's exit
 * status, the connection's end, qemu.log's last lines, the guest's panic
 * line and console tail). Any thread. */
#define QEMU_EXIT_WAIT_MS 2000u
void qemu_why_dead(gs_box *box, int gone, int status, const char *why, char *msg, size_t cap);

#endif
