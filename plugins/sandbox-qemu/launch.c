/*
 * sandbox-qemu/launch.c - the skeleton's start and connect ops of the qemu
 * backend (gs_box.h): start a box's QEMU, then wait for the guest agent
 * (PID 1 of the guest) to authenticate over the virtio-serial port. Its
 * stop, reaping and the box directory are the skeleton's teardown.
 *
 * QEMU joins a listening socket of ours as the client of the port's
 * chardev, so there is no window in which QEMU listens and we poll: we
 * accept (watching QEMU's exit and the call's cancellation: guest-session's
 * boot checks, gs_vm_launch.c), then hand the accepted stream to
 * gs_vm_handshake (the wait for the agent's first frame, the handshake).
 * QEMU itself is started by gs_vm_spawn, with the box's 9p shares
 * (shares.c) after its own devices. The guest kernel runs with
 * panic=-1 and reboot=t and QEMU with -no-reboot, so a guest panic, an
 * agent crash (init died) and a clean SHUTDOWN all end the QEMU process.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gs_vm.h"
#include "qemu.h"

#define MAX_ARGS 80 /* 41 at most without shares, 4 a share (GS_VM_MAX_SHARES) */

/* The kernel command line (cmdline.c: console, panic and reboot behaviour,
 * the boot options) and the network (voidbox-netstack's fixed addresses:
 * docs/network.md). The agent's arguments are not here: QEMU appends its
 * virtio-mmio device parameters to the command line, so they travel in
 * the per-box initramfs (agent.args). */
static void build_cmdline(const qemu_box *b, unsigned tsc_khz, char *out, size_t cap) {
  char tail[256];
  snprintf(tail, sizeof tail, "rdinit=/init%s", b->network ? GS_VM_NET_CMDLINE : "");
  (void)qemu_kernel_cmdline(b->accel, tsc_khz, tail, out, cap); /* under 400 bytes of 1024 */
}

static int build_argv(const qemu_box *b, unsigned tsc_khz, char *const bufs[], const char **argv) {
  int n = 0;
  char *cmdline = bufs[0], *mem = bufs[1], *smp = bufs[2], *initrd = bufs[3], *serial = bufs[4],
       *chardev = bufs[5], *netdev = bufs[6];
  build_cmdline(b, tsc_khz, cmdline, 1024);
  /* The disk is a tmpfs in guest RAM: its share comes on top of memory_mb,
   * so a full disk never takes the commands' memory. */
  snprintf(mem, 64, "%llu", (unsigned long long)b->size.memory_mb + b->size.disk_mb);
  snprintf(smp, 64, "%u", b->size.vcpus);
  snprintf(initrd, 600, "%s/initrd.cpio", b->box.dir);
  snprintf(serial, 620, "file:%s/console.log", b->box.dir);
  snprintf(chardev, 640, "socket,id=ctl,path=%s/ctl.sock", b->box.dir);
  /* The box's voidbox-netstack listens there already (the way passt
   * attaches): QEMU's own user networking is never used. */
  snprintf(netdev, 700, "stream,id=net0,server=off,addr.type=unix,addr.path=%s", b->net.sock);
  argv[n++] = b->opt.qemu ? b->opt.qemu : "qemu-system-x86_64";
  argv[n++] = "-M";
  argv[n++] = "microvm,acpi=off";
  if (b->accel == QEMU_ACCEL_KVM) {
    argv[n++] = "-accel", argv[n++] = "kvm", argv[n++] = "-cpu", argv[n++] = "host";
  } else {
    /* Every feature TCG emulates (AVX2, BMI2, ...): host programs built
     * for x86-64-v3 - claude-code's runtime - die with SIGILL on the
     * default qemu64 model. */
    argv[n++] = "-accel", argv[n++] = "tcg", argv[n++] = "-cpu", argv[n++] = "max";
  }
  argv[n++] = "-m", argv[n++] = mem, argv[n++] = "-smp", argv[n++] = smp;
  /* QEMU's own seccomp filter: no obsolete system calls, no privilege
   * changes, no fork/exec, no scheduler or affinity changes. */
  argv[n++] = "-sandbox";
  argv[n++] = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";
  argv[n++] = "-nodefaults", argv[n++] = "-no-user-config", argv[n++] = "-nographic";
  argv[n++] = "-no-reboot";
  argv[n++] = "-kernel", argv[n++] = b->kernel, argv[n++] = "-initrd", argv[n++] = initrd;
  argv[n++] = "-append", argv[n++] = cmdline;
  argv[n++] = "-serial", argv[n++] = serial;
  /* Entropy from the host: without it the guest's first getrandom() (the
   * agent's handshake nonce) waits ~1 s for the kernel's CRNG. */
  argv[n++] = "-object", argv[n++] = "rng-random,id=rng0,filename=/dev/urandom";
  argv[n++] = "-device", argv[n++] = "virtio-rng-device,rng=rng0";
  argv[n++] = "-device", argv[n++] = "virtio-serial-device";
  argv[n++] = "-chardev", argv[n++] = chardev;
  argv[n++] = "-device", argv[n++] = "virtserialport,chardev=ctl,name=" QEMU_PORT_NAME;
  if (b->network) {
    argv[n++] = "-netdev", argv[n++] = netdev;
    argv[n++] = "-device", argv[n++] = "virtio-net-device,netdev=net0";
  }
  argv[n] = NULL;
  return n;
}

/* Wait for QEMU to connect to our socket. Returns the stream fd or a
 * negative code with the call's error set. */
static int accept_qemu(qemu_box *b, int ls, uint64_t deadline, vbx_call *call) {
  for (;;) {
    struct pollfd p = {.fd = ls, .events = POLLIN};
    if (poll(&p, 1, GS_VM_SLICE_MS) > 0) {
      int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
      if (fd >= 0) return fd;
      if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
        return b->box.host->set_error(call, VBX_E_SANDBOX, NULL, "accept: %s", strerror(errno));
    }
    int rc = gs_vm_boot_check(&b->box, deadline, "QEMU ended before it connected",
                              "QEMU did not connect in time", call);
    if (rc != 0) return rc;
  }
}

int qemu_start(gs_box *box, const vbx_sandbox_config *cfg, vbx_call *call) {
  qemu_box *b = (qemu_box *)box;
  const vbx_host_services *h = box->host;
  char sock[600];
  /* The host's TSC rate is measured across the initrd's writing (once a
   * process): a TCG guest is told it rather than calibrating. */
  qemu_tsc_probe tsc;
  if (b->accel == QEMU_ACCEL_TCG) qemu_tsc_probe_begin(&tsc);
  int rc = qemu_image_box_initrd(b, box->secret, sizeof box->secret, call);
  if (rc != 0) return rc;
  gs_box_path(box, "ctl.sock", sock, sizeof sock);
  b->ls = gs_vm_listen_unix(sock);
  if (b->ls < 0) {
    rc = h->set_error(call, VBX_E_SANDBOX, NULL, "cannot listen on %s: %s", sock, strerror(-b->ls));
    b->ls = -1;
    return rc;
  }
  if (b->network && (rc = gs_vm_net_start(box, &b->net, b->netstack, cfg, call)) != 0) return rc;
  char cmdline[1024], mem[64], smp[64], initrd[600], serial[620], chardev[640], netdev[700];
  char *const bufs[] = {cmdline, mem, smp, initrd, serial, chardev, netdev};
  const char *argv[MAX_ARGS];
  unsigned tsc_khz = b->accel == QEMU_ACCEL_TCG ? qemu_tsc_probe_end(&tsc) : 0;
  int n = build_argv(b, tsc_khz, bufs, argv);
  size_t cap = (size_t)b->mounts.n_share * QEMU_SHARE_ARGS_MAX;
  char *shares = cap ? malloc(cap) : NULL;
  if (cap && shares == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  n = qemu_share_args(b, shares, cap, argv, n, MAX_ARGS);
  if (n < 0) {
    free(shares);
    return h->set_error(call, VBX_E_TOOBIG, "mounts", "box %s: QEMU's arguments for %u shares %s",
                        box->name, b->mounts.n_share, "do not fit their bounds");
  }
  argv[n] = NULL;
  b->boot_ns[0] = h->monotonic_ns();
  rc = gs_vm_spawn(box, argv, "qemu.log", 1, "voidbox: cannot execute QEMU\n", call);
  free(shares);
  return rc;
}

int qemu_connect(gs_box *box, vbx_call *call) {
  qemu_box *b = (qemu_box *)box;
  uint64_t deadline = b->boot_ns[0] + (uint64_t)b->opt.boot_timeout_ms * 1000000ull;
  int fd = accept_qemu(b, b->ls, deadline, call);
  qemu_close_listener(b);
  if (fd < 0) return fd;
  return gs_vm_handshake(box, fd, deadline, "QEMU ended before the guest agent answered",
                         b->boot_ns, call);
}

void qemu_close_listener(qemu_box *b) {
  char sock[600];
  if (b->ls < 0) return;
  close(b->ls);
  b->ls = -1;
  gs_box_path(&b->box, "ctl.sock", sock, sizeof sock);
  unlink(sock);
}
