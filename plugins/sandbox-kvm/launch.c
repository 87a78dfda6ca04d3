/*
 * sandbox-kvm/launch.c - the skeleton's start op of the kvm backend
 * (gs_box.h): the box's initrd and the voidbox-vmm command line; the
 * process is guest-session's gs_vm_spawn. Its stop, reaping and the box
 * directory are the skeleton's teardown.
 *
 * The guest kernel runs with panic=-1 and reboot=k (the reset line of
 * voidbox-vmm's i8042, so a triple fault in its log is always a real
 * fault) and the monitor exits when the guest resets, so a guest panic, an
 * agent crash (init died) and a clean SHUTDOWN (the agent's `--shutdown
 * reboot`) all end the monitor process.
 */
#include <stdio.h>

#include "kvm.h"

#define MAX_ARGS 32
#define AGENT_LISTEN "vsock:1024" /* KVM_AGENT_PORT */
/* The kernel command line. The agent's arguments are not here (they travel
 * in the per-box initramfs: the monitor appends its virtio_mmio.device=
 * entries, and guest users can read /proc/cmdline). */
#define KVM_CMDLINE "console=ttyS0 panic=-1 reboot=k rdinit=/init"

_Static_assert(KVM_AGENT_PORT == 1024, "AGENT_LISTEN names the port");

static void build_argv(const kvm_box *b, char *const bufs[], const char **argv) {
  int n = 0;
  char *mem = bufs[0], *cpus = bufs[1], *initrd = bufs[2], *console = bufs[3], *vsock = bufs[4],
       *cmdline = bufs[5];
  /* The disk is a tmpfs in guest RAM: its share comes on top of memory_mb,
   * so a full disk never takes the commands' memory. */
  /* voidbox-vmm takes whole 2 MiB granules: an odd sum is rounded up. */
  unsigned long long vm_mb = (unsigned long long)b->size.memory_mb + b->size.disk_mb;
  snprintf(mem, 64, "%llu", vm_mb + (vm_mb & 1));
  snprintf(cpus, 64, "%u", b->size.vcpus);
  gs_box_path(&b->box, "initrd.cpio", initrd, 600);
  gs_box_path(&b->box, "console.log", console, 600);
  gs_box_path(&b->box, "vsock.sock", vsock, 600);
  argv[n++] = b->vmm;
  argv[n++] = "--kernel", argv[n++] = b->img.kernel;
  argv[n++] = "--initrd", argv[n++] = initrd;
  snprintf(cmdline, 256, "%s%s", KVM_CMDLINE, b->network ? GS_VM_NET_CMDLINE : "");
  argv[n++] = "--cmdline", argv[n++] = cmdline;
  argv[n++] = "--mem", argv[n++] = mem;
  argv[n++] = "--cpus", argv[n++] = cpus;
  argv[n++] = "--console", argv[n++] = console;
  argv[n++] = "--vsock", argv[n++] = vsock;
  if (b->network) argv[n++] = "--net", argv[n++] = b->net.sock; /* voidbox-netstack listens */
  argv[n] = NULL;
}

int kvm_start(gs_box *box, const vbx_sandbox_config *cfg, vbx_call *call) {
  kvm_box *b = (kvm_box *)box;
  char path[600];
  gs_box_path(box, "initrd.cpio", path, sizeof path);
  const gs_vm_initrd spec = {
      .base = b->img.initramfs,
      .listen = AGENT_LISTEN,
      .writer = "sandbox-kvm",
      .pol = &b->opt.pol,
      .disk_mb = b->size.disk_mb,
      .resolv_conf = b->network ? GS_VM_RESOLV_CONF : NULL,
  };
  int rc = gs_vm_initrd_write(box->host, path, &spec, box->secret, sizeof box->secret, call);
  if (rc != 0) return rc;
  if (b->network && (rc = gs_vm_net_start(box, &b->net, b->netstack, cfg, call)) != 0) return rc;
  char mem[64], cpus[64], initrd[600], console[600], vsock[600], cmdline[256];
  char *const bufs[] = {mem, cpus, initrd, console, vsock, cmdline};
  const char *argv[MAX_ARGS];
  build_argv(b, bufs, argv);
  b->boot_ns[0] = box->host->monotonic_ns();
  return gs_vm_spawn(box, argv, "vmm.log", 0, KVM_VMM_NAME ": voidbox cannot execute the monitor\n",
                     call);
}
