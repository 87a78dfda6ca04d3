/*
 * guest-session/gs_vm_net.c - the box's voidbox-netstack process
 * (gs_vm.h): one per box with network, started before the VM so the VM
 * connects to a socket that already listens, stopped after it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gs_vm.h"
#include "layout.h"

#define NET_LOG_LINES 2000 /* lines passed on to the host log, at most */

int gs_vm_net_find(const char *opt, char *out, size_t cap, char *msg, size_t mcap) {
  static const gs_vm_helper netstack = {.name = "voidbox-netstack",
                                        .what = "the network helper",
                                        .option = "netstack",
                                        .installed = VBX_LAYOUT_NETSTACK,
                                        .built = VBX_LAYOUT_BUILD_NETSTACK,
                                        .source_dir = "netstack/"};
  return gs_vm_helper_find(&netstack, opt, out, cap, msg, mcap);
}

int gs_vm_net_start(gs_box *box, gs_vm_net *net, const char *helper, const vbx_sandbox_config *cfg,
                    vbx_call *call) {
  const vbx_host_services *h = box->host;
  const char *policy =
      VBX_HAS_MEMBER(cfg, vbx_sandbox_config, network_policy) && cfg->network_policy != NULL
          ? cfg->network_policy
          : "{}";
  uint32_t gw =
      VBX_HAS_MEMBER(cfg, vbx_sandbox_config, llm_gateway_port) ? cfg->llm_gateway_port : 0;
  char port[16], fd[16];
  gs_box_path(box, "net.sock", net->sock, sizeof net->sock);
  snprintf(port, sizeof port, "%u", gw);
  snprintf(fd, sizeof fd, "%d", GS_VM_PASSED_FD);
  int ls = gs_vm_listen_unix(net->sock);
  if (ls < 0)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "cannot listen on %s: %s", net->sock,
                        strerror(-ls));
  const char *argv[] = {helper, "--listen-fd", fd, "--policy", policy, gw ? "--gateway-port" : NULL,
                        port,   NULL};
  pid_t pid;
  int rc = gs_vm_fork_exec(box, argv, "net.log", 0, "voidbox-netstack: voidbox cannot execute it\n",
                           ls, &pid, call);
  close(ls); /* the helper has its own copy */
  if (rc != 0) return rc;
  net->pid = pid;
  return 0;
}

/* Wait for pid up to ms; 1 when reaped (*status: its wait status). The
 * pid is this file's own child, reaped only here (gs_box_wait_exit is the
 * same wait for the box's main process, under its lock). */
static int wait_gone(pid_t pid, unsigned ms, int *status) {
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pfd >= 0) {
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    while (poll(&p, 1, (int)ms) < 0 && errno == EINTR)
      ;
    close(pfd);
  }
  return waitpid(pid, status, WNOHANG) == pid;
}

static void forward_log(gs_box *box) {
  char path[600], line[600];
  gs_box_path(box, "net.log", path, sizeof path);
  FILE *f = fopen(path, "re");
  if (f == NULL) return;
  const vbx_host_services *h = box->host;
  unsigned n = 0;
  while (fgets(line, sizeof line, f) != NULL && n++ < NET_LOG_LINES) {
    line[strcspn(line, "\n")] = '\0';
    vbx_log_level lv = strncmp(line, "deny", 4) == 0 ? VBX_LOG_WARN : VBX_LOG_INFO;
    h->log(h->ctx, lv, "box %s: network: %s", box->name, line);
  }
  fclose(f);
}

void gs_vm_net_stop(gs_box *box, gs_vm_net *net) {
  if (net->pid <= 0) return;
  const vbx_host_services *h = box->host;
  int st = 0;
  kill(net->pid, SIGTERM);
  if (!wait_gone(net->pid, 1000, &st)) {
    kill(net->pid, SIGKILL);
    h->log(h->ctx, VBX_LOG_WARN, "box %s: voidbox-netstack did not stop within 1 s of SIGTERM",
           box->name);
    if (!wait_gone(net->pid, 5000, &st))
      h->log(h->ctx, VBX_LOG_WARN, "box %s: voidbox-netstack is not gone 5 s after SIGKILL",
             box->name);
  } else if (WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) != 0)) {
    /* It had ended on its own (a crash, its filter, a failed start): the
     * guest lost its network then; say so with its log below. */
    h->log(h->ctx, VBX_LOG_WARN, "box %s: voidbox-netstack had ended: %s %d", box->name,
           WIFSIGNALED(st) ? "killed by signal" : "exit status",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
  }
  net->pid = -1;
  forward_log(box);
}
