/*
 * sandbox-kvm/kvm.h - internals of the "kvm" sandbox backend: every box is
 * a fresh micro-VM run by our own monitor, `voidbox-vmm` (vmm/), on
 * hardware KVM, booting the voidbox guest image with the guest agent as
 * PID 1 reached over vsock (the monitor's hybrid vsock: a Unix socket on
 * the host, "CONNECT <port>\n" then a byte stream to the guest's port). The
 * twin of sandbox-qemu. See docs/sandbox-kvm.md.
 *
 * Files of one box, all in its own directory (removed by destroy):
 *   initrd.cpio   the image's initramfs + a per-box archive (agent.args with
 *                 --listen vsock:1024, policy, secret); gone once connected
 *   vsock.sock    the monitor's hybrid vsock socket (it listens)
 *   console.log   the guest's serial console
 *   vmm.log       the monitor's own stderr
 *   owner         the voidbox process that made it (gs_owner.c, gs_sweep.c)
 *   vmm.pid       the monitor process, in the same form
 *
 * The box's shell - create, handshake, calls, teardown, owner records and
 * the sweep - is guest-session's skeleton (gs_box.h); the plugin state, the
 * config refusals, the image, initrd, monitor process, boot wait, console
 * and dead-VM message its VM helpers (gs_vm.h). This backend
 * supplies its ops: start (launch.c), connect (vsock.c), why_dead
 * (plugin.c), plus its options (options.c) and host checks (host.c).
 */
#ifndef VBX_KVM_H
#define VBX_KVM_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gs_box.h"
#include "gs_vm.h"
#include "policy.h"
#include "session.h"
#include "voidbox/plugin.h"

#define KVM_AGENT_PORT 1024u /* the agent's vsock port (--listen vsock:1024) */
#define KVM_MAX_VM_MB 3072u  /* memory_mb + disk_mb: voidbox-vmm's --mem bound */
#define KVM_DEFAULT_BOOT_TIMEOUT_MS 60000u
#define KVM_SHUTDOWN_WAIT_MS 3000u
#define KVM_EXIT_WAIT_MS 2000u
#define KVM_RETRY_MS 20 /* between CONNECT attempts while the agent boots */
#define KVM_VMM_NAME "voidbox-vmm"

#define KVM_BOX_PREFIX "vbx-kvm-"

/* The `sandbox:` options of `backend: kvm` (options.c). */
typedef struct kvm_options {
  char *vmm;                /* NULL: voidbox-vmm of this tree, else PATH */
  char *netstack;           /* NULL: voidbox-netstack of this tree, else PATH */
  char *image_dir;          /* NULL: the image cache (docs/guest-image.md) */
  char *kernel;             /* NULL: IMAGE_DIR/vmlinux */
  char *initramfs;          /* NULL: IMAGE_DIR/initramfs.cpio */
  char *work_root;          /* NULL: $TMPDIR or /tmp */
  uint32_t boot_timeout_ms; /* start of the monitor to authenticated agent */
  guest_policy pol;
} kvm_options;

/* options.c: parse `o` (may be NULL: defaults) with guest-session's
 * gs_options_parse. 0 or VBX_E_SPEC set on call, field naming the key; on
 * error nothing is left to clear. */
int kvm_options_parse(const vbx_host_services *h, const vbx_json *o, kvm_options *out,
                      vbx_call *call);
/* options.c: free what kvm_options_parse allocated; o is zeroed. */
void kvm_options_clear(kvm_options *o);

typedef struct kvm_box {
  gs_box box; /* FIRST: the skeleton; its gs is the session */
  gs_vm_state *st;
  kvm_options opt;
  gs_vm_image img;
  char vmm[PATH_MAX];      /* the monitor binary, resolved */
  char netstack[PATH_MAX]; /* with network: the helper binary, resolved */
  gs_vm_net net;           /* with network: its process (pid -1 without) */
  int network;
  gs_vm_size size;     /* memory_mb, vcpus, disk_mb */
  uint64_t boot_ns[3]; /* spawn, vsock stream to the agent, handshake done */
} kvm_box;
_Static_assert(offsetof(kvm_box, box) == 0, "the skeleton comes first");

/* host.c: can this host run the kvm backend? 0 when /dev/kvm opens
 * read-write and /proc/cpuinfo shows vmx or svm; else VBX_E_UNSUPPORTED
 * with why (the cause and what to do: scripts/nested-kvm.sh) in msg. */
int kvm_host_check(char *msg, size_t cap);
/* host.c: the voidbox-vmm to run into out: the option `vmm` (must be an
 * executable file), else the one of this plugin's tree (core/layout:
 * BUILD/bin or PREFIX/bin, beside voidbox), else the one beside the
 * running executable, else the first in PATH. 0, or VBX_E_NOTFOUND with
 * where it looked in msg. Any thread. */
int kvm_vmm_find(const char *opt, char *out, size_t cap, char *msg, size_t mcap);

/* launch.c, the ops' start: write the box's initrd (with b->secret,
 * --listen vsock:1024) and spawn voidbox-vmm (gs_vm_spawn: PR_SET_PDEATHSIG,
 * its own session, stderr to vmm.log). On failure sets the call's error and
 * leaves the rest to the teardown. */
int kvm_start(gs_box *box, const vbx_sandbox_config *cfg, vbx_call *call);
/* vsock.c, the ops' connect: connect to vsock.sock, "CONNECT 1024\n" until
 * the monitor answers "OK ...\n" (retrying every KVM_RETRY_MS while the
 * guest boots, watching the monitor's exit, cancellation and
 * boot_timeout_ms: gs_vm_boot_check), then gs_vm_handshake: wait for the
 * agent's first frame, authenticate, remove the initrd. */
int kvm_connect(gs_box *box, vbx_call *call);

#endif
