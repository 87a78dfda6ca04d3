/*
 * guest-session/gs_vm_spawn.c - the monitor process of a VM box (QEMU,
 * voidbox-vmm): forked with its stderr in the box directory, in its own
 * session, dying with voidbox (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "gs_vm.h"

int gs_vm_spawn(gs_box *box, const char *const *argv, const char *log_file, int search_path,
                const char *exec_failed, vbx_call *call) {
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
     * down in order. If voidbox dies (even by SIGKILL) the monitor dies
     * with it. PDEATHSIG follows the creating thread: the engine creates
     * and destroys a box on one thread (core/src/engine/loop.c). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setsid();
    dup2(nullfd, 0);
    dup2(nullfd, 1);
    dup2(logfd, 2);
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
  gs_box_set_pid(box, pid); /* recorded in ops->proc_file for a later sweep */
  return 0;
}
