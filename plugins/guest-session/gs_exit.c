/*
 * guest-session/gs_exit.c - the end of a box's agent process or VM: a
 * bounded wait for its exit and its reaping, and the message that says why
 * a box is gone. A connection that ended means the process is ending, and
 * its wait status ("killed by signal 9") is the message, not the EOF that
 * often arrives first - so the wait is worth its bound.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gs_box.h"

int gs_box_wait_exit(gs_box *b, unsigned wait_ms, int *status) {
  pthread_mutex_lock(&b->pid_lock);
  int pfd = b->pid > 0 && wait_ms > 0 ? (int)syscall(SYS_pidfd_open, b->pid, 0) : -1;
  pthread_mutex_unlock(&b->pid_lock);
  if (pfd >= 0) { /* not under the lock: other threads may reap meanwhile */
    struct pollfd pf = {.fd = pfd, .events = POLLIN};
    while (poll(&pf, 1, (int)wait_ms) < 0 && errno == EINTR)
      ;
    close(pfd);
  }
  pthread_mutex_lock(&b->pid_lock);
  if (b->pid > 0) {
    int st;
    pid_t w = waitpid(b->pid, &st, WNOHANG);
    if (w == b->pid || (w < 0 && errno == ECHILD)) { /* ECHILD: reaped elsewhere */
      b->status = w == b->pid ? st : -1;
      b->pid = -1;
    }
  }
  int gone = b->pid <= 0;
  *status = b->status;
  pthread_mutex_unlock(&b->pid_lock);
  return gone;
}

void gs_box_why_dead(gs_box *b, unsigned wait_ms, char *msg, size_t cap) {
  char why[256] = "";
  if (b->gs.conn != NULL) gc_dead(b->gs.conn, why, sizeof why);
  int status;
  int gone = gs_box_wait_exit(b, wait_ms, &status);
  b->ops->why_dead(b, gone, status, why, msg, cap);
}
