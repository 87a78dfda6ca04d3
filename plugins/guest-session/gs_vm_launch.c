/*
 * guest-session/gs_vm_launch.c - waiting for a VM box's guest agent: the
 * checks every slice of a boot wait makes (the monitor's exit, the call's
 * cancellation and deadline, the boot deadline), the error that names why
 * the VM is gone, and the protocol handshake once a byte stream to the
 * agent is reached. The handshake itself (gc_connect_fd) sees none of the
 * checks, so the long part of a boot - the guest kernel and init - is
 * waited for before it, until the agent's first frame is readable.
 */
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "gs_vm.h"

#define LATE_MSG "the guest agent did not come up in time (boot_timeout_ms)"

int gs_vm_launch_error(gs_box *box, vbx_call *call, int code, const char *what) {
  char msg[1000]; /* a call's error message holds 1 KiB */
  int n = snprintf(msg, sizeof msg, "box %s: %s: ", box->name, what);
  /* a timeout: the monitor runs on, no need to wait for an exit */
  if (n > 0 && (size_t)n < sizeof msg)
    gs_box_why_dead(box, code == VBX_E_TIMEOUT ? 0 : box->ops->exit_wait_ms, msg + n,
                    sizeof msg - (size_t)n);
  return box->host->set_error(call, code, NULL, "%s", msg);
}

int gs_vm_boot_check(gs_box *box, uint64_t deadline, const char *gone, const char *late,
                     vbx_call *call) {
  const vbx_host_services *h = box->host;
  int st;
  if (gs_box_wait_exit(box, 0, &st)) return gs_vm_launch_error(box, call, VBX_E_SANDBOX, gone);
  if (h->is_cancelled(call)) {
    uint64_t cd = h->deadline_ns(call);
    if (cd != 0 && h->monotonic_ns() >= cd)
      return gs_vm_launch_error(box, call, VBX_E_TIMEOUT,
                                "the call's deadline passed while starting");
    return h->set_error(call, VBX_E_CANCELLED, NULL, "box %s: cancelled while starting", box->name);
  }
  if (h->monotonic_ns() >= deadline) return gs_vm_launch_error(box, call, VBX_E_TIMEOUT, late);
  return 0;
}

int gs_vm_wait_readable(gs_box *box, int fd, uint64_t deadline, const char *gone, const char *late,
                        vbx_call *call) {
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, GS_VM_SLICE_MS) > 0) return 0;
    int rc = gs_vm_boot_check(box, deadline, gone, late, call);
    if (rc != 0) return rc;
  }
}

int gs_vm_handshake(gs_box *box, int fd, uint64_t deadline, const char *gone, uint64_t boot_ns[3],
                    vbx_call *call) {
  const vbx_host_services *h = box->host;
  char initrd[600], err[300];
  boot_ns[1] = h->monotonic_ns();
  int rc = gs_vm_wait_readable(box, fd, deadline, gone, LATE_MSG, call); /* its CHALLENGE */
  if (rc != 0) {
    close(fd);
    return rc;
  }
  uint64_t now = h->monotonic_ns();
  int left_ms = now < deadline ? (int)((deadline - now) / 1000000u) : 1;
  rc = gc_connect_fd(fd, box->secret, sizeof box->secret, left_ms, &box->gs.conn, err, sizeof err);
  if (rc != 0) {
    box->gs.conn = NULL;
    char what[400];
    snprintf(what, sizeof what, "the guest agent did not come up (%s)", err);
    return gs_vm_launch_error(box, call, rc == VBX_E_TIMEOUT ? VBX_E_TIMEOUT : VBX_E_SANDBOX, what);
  }
  boot_ns[2] = h->monotonic_ns();
  /* The monitor loaded the initrd before the guest ran: the secret's copy
   * goes. */
  gs_box_path(box, "initrd.cpio", initrd, sizeof initrd);
  unlink(initrd);
  return 0;
}
