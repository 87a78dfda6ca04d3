/*
 * guest-session/gs_vm_net.c - the box's voidbox-netstack process
 * (gs_vm.h): one per box with network, started before the VM so the VM
 * connects to a socket that already listens, stopped after it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gs_vm.h"
#include "layout.h"

#define NET_LISTEN_FD 3
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

static int listen_unix(const char *path) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) return -ENAMETOOLONG;
  memcpy(sa.sun_path, path, strlen(path) + 1);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s, 1) != 0) {
    int e = errno;
    close(s);
    return -e;
  }
  return s;
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
  char log[600], port[16];
  gs_box_path(box, "net.sock", net->sock, sizeof net->sock);
  gs_box_path(box, "net.log", log, sizeof log);
  snprintf(port, sizeof port, "%u", gw);
  int ls = listen_unix(net->sock);
  if (ls < 0)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "cannot listen on %s: %s", net->sock,
                        strerror(-ls));
  int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (logfd < 0 || nullfd < 0) {
    int e = errno;
    close(ls);
    if (logfd >= 0) close(logfd);
    if (nullfd >= 0) close(nullfd);
    return h->set_error(call, VBX_E_IO, NULL, "cannot open %s: %s", log, strerror(e));
  }
  const char *argv[] = {
      helper, "--listen-fd", "3", "--policy", policy, gw ? "--gateway-port" : NULL, port, NULL};
  static const char failed[] = "voidbox-netstack: voidbox cannot execute it\n";
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    /* Async-signal-safe calls only; see gs_vm_spawn. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setsid();
    dup2(nullfd, 0);
    dup2(nullfd, 1);
    dup2(logfd, 2);
    if (dup2(ls, NET_LISTEN_FD) != NET_LISTEN_FD) _exit(127); /* dup2 clears CLOEXEC */
    execv(helper, (char *const *)argv);
    ssize_t w = write(2, failed, sizeof failed - 1);
    (void)w;
    _exit(127);
  }
  int e = errno;
  close(ls);
  close(logfd);
  close(nullfd);
  if (pid < 0) return h->set_error(call, VBX_E_SANDBOX, NULL, "fork: %s", strerror(e));
  net->pid = pid;
  return 0;
}

/* Wait for pid up to ms; 1 when reaped (*status: its wait status). */
static int wait_gone(pid_t pid, unsigned ms, int *status) {
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pfd >= 0) {
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    poll(&p, 1, (int)ms);
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
