/*
 * guest-session/gs_vm_spawn.c - the processes of a VM box (the monitor:
 * QEMU, voidbox-vmm; its helpers: voidbox-netstack): forked with stderr in
 * the box directory, in their own session, dying with voidbox
 * (PR_SET_PDEATHSIG); and the listening Unix sockets they join.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "gs_vm.h"

int gs_vm_fork_exec(gs_box *box, const char *const *argv, const char *log_file, int search_path,
                    const char *exec_failed, int pass_fd, pid_t *pid_out, vbx_call *call) {
  char log[600];
  gs_box_path(box, log_file, log, sizeof log);
  size_t failed_len = strlen(exec_failed); /* not in the child: async-signal-safe calls only */
  int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (logfd < 0 || nullfd < 0) {
    int e = errno;
    if (logfd >= 0) close(logfd);
    if (nullfd >= 0) close(nullfd);
    return box->host->set_error(call, VBX_E_IO, NULL, "cannot open %s: %s", log, strerror(e));
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    /* Child: async-signal-safe calls only (the host is multi-threaded). Its
     * own session: a terminal's Ctrl-C goes to voidbox, which shuts boxes
     * down in order. If voidbox dies (even by SIGKILL) the process dies
     * with it. PDEATHSIG follows the creating thread: the engine creates
     * and destroys a box on one thread (core/src/engine/loop.c). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setsid();
    dup2(nullfd, 0);
    dup2(nullfd, 1);
    dup2(logfd, 2);
    if (pass_fd >= 0) {
      /* dup2 onto another fd clears close-on-exec; onto itself it does not */
      if (pass_fd == GS_VM_PASSED_FD)
        fcntl(pass_fd, F_SETFD, 0);
      else if (dup2(pass_fd, GS_VM_PASSED_FD) != GS_VM_PASSED_FD)
        _exit(127);
    }
    if (search_path)
      execvp(argv[0], (char *const *)argv);
    else
      execv(argv[0], (char *const *)argv);
    ssize_t w = write(2, exec_failed, failed_len);
    (void)w;
    _exit(127);
  }
  int e = errno;
  close(logfd);
  close(nullfd);
  if (pid < 0) return box->host->set_error(call, VBX_E_SANDBOX, NULL, "fork: %s", strerror(e));
  *pid_out = pid;
  return 0;
}

int gs_vm_spawn(gs_box *box, const char *const *argv, const char *log_file, int search_path,
                const char *exec_failed, vbx_call *call) {
  pid_t pid;
  int rc = gs_vm_fork_exec(box, argv, log_file, search_path, exec_failed, -1, &pid, call);
  if (rc == 0) gs_box_set_pid(box, pid); /* recorded in ops->proc_file for a later sweep */
  return rc;
}

int gs_vm_listen_unix(const char *path) {
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
