/*
 * sandbox-kvm/launch.c - the skeleton's start op of the kvm backend
 * (gs_box.h): the box's initrd and the voidbox-vmm process, plus the checks
 * every boot wait makes (vsock.c). Its stop, reaping and the box directory
 * are the skeleton's teardown.
 *
 * The guest kernel runs with panic=-1 and reboot=t and the monitor exits
 * when the guest resets, so a guest panic, an agent crash (init died) and
 * a clean SHUTDOWN (the agent's `--shutdown reboot`) all end the monitor
 * process.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "kvm.h"

#define MAX_ARGS 32
#define AGENT_LISTEN "vsock:1024" /* KVM_AGENT_PORT */
/* The kernel command line. The agent's arguments are not here (they travel
 * in the per-box initramfs: the monitor appends its virtio_mmio.device=
 * entries, and guest users can read /proc/cmdline). */
#define KVM_CMDLINE "console=ttyS0 panic=-1 reboot=t rdinit=/init"

_Static_assert(KVM_AGENT_PORT == 1024, "AGENT_LISTEN names the port");

int kvm_launch_error(kvm_box *b, vbx_call *call, int code, const char *what) {
  char msg[1000]; /* a call's error message holds 1 KiB */
  int n = snprintf(msg, sizeof msg, "box %s: %s: ", b->box.name, what);
  /* a timeout: the monitor runs on, no need to wait for an exit */
  if (n > 0 && (size_t)n < sizeof msg)
    gs_box_why_dead(&b->box, code == VBX_E_TIMEOUT ? 0 : KVM_EXIT_WAIT_MS, msg + n,
                    sizeof msg - (size_t)n);
  return b->box.host->set_error(call, code, NULL, "%s", msg);
}

int kvm_boot_check(kvm_box *b, uint64_t deadline, const char *gone, const char *late,
                   vbx_call *call) {
  const vbx_host_services *h = b->box.host;
  int st;
  if (gs_box_wait_exit(&b->box, 0, &st)) return kvm_launch_error(b, call, VBX_E_SANDBOX, gone);
  if (h->is_cancelled(call)) {
    uint64_t cd = h->deadline_ns(call);
    if (cd != 0 && h->monotonic_ns() >= cd)
      return kvm_launch_error(b, call, VBX_E_TIMEOUT, "the call's deadline passed while starting");
    return h->set_error(call, VBX_E_CANCELLED, NULL, "box %s: cancelled while starting",
                        b->box.name);
  }
  if (h->monotonic_ns() >= deadline) return kvm_launch_error(b, call, VBX_E_TIMEOUT, late);
  return 0;
}

static void build_argv(const kvm_box *b, char *const bufs[], const char **argv) {
  int n = 0;
  char *mem = bufs[0], *cpus = bufs[1], *initrd = bufs[2], *console = bufs[3], *vsock = bufs[4];
  /* The disk is a tmpfs in guest RAM: its share comes on top of memory_mb,
   * so a full disk never takes the commands' memory. */
  /* voidbox-vmm takes whole 2 MiB granules: an odd sum is rounded up. */
  unsigned long long vm_mb = (unsigned long long)b->memory_mb + b->disk_mb;
  snprintf(mem, 64, "%llu", vm_mb + (vm_mb & 1));
  snprintf(cpus, 64, "%u", b->vcpus);
  gs_box_path(&b->box, "initrd.cpio", initrd, 600);
  gs_box_path(&b->box, "console.log", console, 600);
  gs_box_path(&b->box, "vsock.sock", vsock, 600);
  argv[n++] = b->vmm;
  argv[n++] = "--kernel", argv[n++] = b->img.kernel;
  argv[n++] = "--initrd", argv[n++] = initrd;
  argv[n++] = "--cmdline", argv[n++] = KVM_CMDLINE;
  argv[n++] = "--mem", argv[n++] = mem;
  argv[n++] = "--cpus", argv[n++] = cpus;
  argv[n++] = "--console", argv[n++] = console;
  argv[n++] = "--vsock", argv[n++] = vsock;
  argv[n] = NULL;
}

static int spawn_vmm(kvm_box *b, const char *const *argv, vbx_call *call) {
  char mlog[600];
  gs_box_path(&b->box, "vmm.log", mlog, sizeof mlog);
  int logfd = open(mlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (logfd < 0 || nullfd < 0) {
    int e = errno;
    if (logfd >= 0) close(logfd);
    if (nullfd >= 0) close(nullfd);
    return b->box.host->set_error(call, VBX_E_IO, NULL, "cannot open %s: %s", mlog, strerror(e));
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    /* Child: async-signal-safe calls only (the host is multi-threaded). Its
     * own session: a terminal's Ctrl-C goes to voidbox, which shuts boxes
     * down in order. If voidbox dies (even by SIGKILL) the monitor dies with
     * it. PDEATHSIG follows the creating thread: the engine creates and
     * destroys a box on one thread. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setsid();
    dup2(nullfd, 0);
    dup2(nullfd, 1);
    dup2(logfd, 2);
    execv(argv[0], (char *const *)argv);
    static const char msg[] = KVM_VMM_NAME ": voidbox cannot execute the monitor\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(127);
  }
  int e = errno;
  close(logfd);
  close(nullfd);
  if (pid < 0) return b->box.host->set_error(call, VBX_E_SANDBOX, NULL, "fork: %s", strerror(e));
  gs_box_set_pid(&b->box, pid); /* recorded in vmm.pid for a later sweep */
  return 0;
}

int kvm_start(gs_box *box, const vbx_sandbox_config *cfg, vbx_call *call) {
  kvm_box *b = (kvm_box *)box;
  char path[600];
  (void)cfg;
  gs_box_path(box, "initrd.cpio", path, sizeof path);
  const gs_vm_initrd spec = {
      .base = b->img.initramfs,
      .listen = AGENT_LISTEN,
      .writer = "sandbox-kvm",
      .pol = &b->opt.pol,
      .disk_mb = b->disk_mb,
      .resolv_conf = NULL, /* no network */
  };
  int rc = gs_vm_initrd_write(box->host, path, &spec, box->secret, sizeof box->secret, call);
  if (rc != 0) return rc;
  char mem[64], cpus[64], initrd[600], console[600], vsock[600];
  char *const bufs[] = {mem, cpus, initrd, console, vsock};
  const char *argv[MAX_ARGS];
  build_argv(b, bufs, argv);
  b->boot_ns[0] = box->host->monotonic_ns();
  return spawn_vmm(b, argv, call);
}
