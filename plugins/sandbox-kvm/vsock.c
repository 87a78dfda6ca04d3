/*
 * sandbox-kvm/vsock.c - the skeleton's connect op of the kvm backend:
 * reach the guest agent through voidbox-vmm's hybrid vsock and run the
 * protocol handshake on that stream.
 *
 * The monitor listens on BOXDIR/vsock.sock. A client connects, writes
 * "CONNECT <port>\n" and reads "OK <n>\n", after which the socket is a
 * transparent byte stream to the guest's vsock port; while nobody listens
 * on that port yet (the guest kernel and init are booting) the monitor
 * closes the socket instead. So we retry every KVM_RETRY_MS, watching the
 * monitor's exit, the call's cancellation and boot_timeout_ms throughout
 * (guest-session's boot checks, gs_vm_launch.c), then hand the stream to
 * gs_vm_handshake: the wait for the agent's first frame and the handshake.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kvm.h"

#define ANSWER_MAX 64
#define NOT_YET (-1000) /* internal, no VBX_E_* code: the monitor closed the socket, retry */

#define GONE_MSG KVM_VMM_NAME " ended before the guest agent answered"
#define LATE_MSG "the guest agent did not come up in time (boot_timeout_ms)"

/* A connected socket to path, or -errno (ENOENT, ECONNREFUSED: the
 * monitor does not listen yet). */
static int dial(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) return -ENAMETOOLONG;
  strcpy(sa.sun_path, path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
    int e = errno;
    close(s);
    return -e;
  }
  return s;
}

/* Read the monitor's answer line on fd one byte at a time (what follows the
 * newline is the agent's). 0 with the line (no newline) in out, NOT_YET
 * when the monitor closed the socket without a word, or a negative code
 * with the call's error set. */
static int read_answer(kvm_box *b, int fd, uint64_t deadline, char *out, vbx_call *call) {
  size_t n = 0;
  for (;;) {
    int rc = gs_vm_wait_readable(&b->box, fd, deadline, GONE_MSG, LATE_MSG, call);
    if (rc != 0) return rc;
    char c;
    ssize_t r = read(fd, &c, 1);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0 && n == 0) return NOT_YET; /* EOF or ECONNRESET */
    if (r <= 0 || n + 1 >= ANSWER_MAX) {
      out[n] = '\0';
      char what[200];
      snprintf(what, sizeof what, KVM_VMM_NAME " answered CONNECT %u with '%s'%s", KVM_AGENT_PORT,
               out, r <= 0 ? " and closed the socket" : "...");
      return gs_vm_launch_error(&b->box, call, VBX_E_PROTOCOL, what);
    }
    if (c == '\n') {
      out[n] = '\0';
      return 0;
    }
    out[n++] = (c >= 0x20 && c < 0x7f) ? c : '?';
  }
}

/* One attempt: dial, CONNECT, the answer. Returns the stream fd, NOT_YET
 * (-> retry), or a negative code with the call's error set. */
static int try_connect(kvm_box *b, const char *path, uint64_t deadline, vbx_call *call) {
  int fd = dial(path);
  if (fd == -ENOENT || fd == -ECONNREFUSED || fd == -EAGAIN) return NOT_YET;
  if (fd < 0) {
    char what[700];
    snprintf(what, sizeof what, "cannot connect to %s: %s", path, strerror(-fd));
    return gs_vm_launch_error(&b->box, call, VBX_E_SANDBOX, what);
  }
  char req[32], answer[ANSWER_MAX];
  int len = snprintf(req, sizeof req, "CONNECT %u\n", KVM_AGENT_PORT);
  /* a local stream socket takes these few bytes at once, or is gone */
  if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len) {
    close(fd);
    return NOT_YET;
  }
  int rc = read_answer(b, fd, deadline, answer, call);
  if (rc == 0 && strncmp(answer, "OK ", 3) != 0 && strcmp(answer, "OK") != 0) {
    char what[200];
    snprintf(what, sizeof what, KVM_VMM_NAME " answered CONNECT %u with '%s'", KVM_AGENT_PORT,
             answer);
    rc = gs_vm_launch_error(&b->box, call, VBX_E_PROTOCOL, what);
  }
  if (rc != 0) {
    close(fd);
    return rc;
  }
  return fd;
}

/* The stream to the agent's port: try_connect until it answers OK. */
static int connect_agent(kvm_box *b, uint64_t deadline, vbx_call *call) {
  char path[600];
  gs_box_path(&b->box, "vsock.sock", path, sizeof path);
  for (;;) {
    int fd = try_connect(b, path, deadline, call);
    if (fd != NOT_YET) return fd;
    int rc = gs_vm_boot_check(&b->box, deadline, GONE_MSG, LATE_MSG, call);
    if (rc != 0) return rc;
    poll(NULL, 0, KVM_RETRY_MS);
  }
}

int kvm_connect(gs_box *box, vbx_call *call) {
  kvm_box *b = (kvm_box *)box;
  uint64_t deadline = b->boot_ns[0] + (uint64_t)b->opt.boot_timeout_ms * 1000000ull;
  int fd = connect_agent(b, deadline, call);
  if (fd < 0) return fd;
  return gs_vm_handshake(box, fd, deadline, GONE_MSG, b->boot_ns, call);
}
