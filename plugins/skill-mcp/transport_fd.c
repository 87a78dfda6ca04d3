/*
 * skill-mcp/transport_fd.c - a transport over a child process's pipes
 * (mcp_transport.h), for the tests: the child runs on the host in its own
 * process group, stderr is drained into a tail as stdout is read. SIGPIPE is
 * set to ignored in the process when it was left at its default, so a write
 * to a child that exited fails with EPIPE instead of killing the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mcp_transport.h"

extern char **environ;

struct vbx_mcp_fd_proc {
  pid_t pid;
  int in, out, err; /* our ends; -1 once closed */
  int reaped, status;
  vbx_mcp_tail tail;
};

static void sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Reap the child if it has exited, waiting up to ms. 1 when reaped. */
static int reap(vbx_mcp_fd_proc *p, unsigned ms) {
  for (unsigned waited = 0; !p->reaped; waited += 10) {
    pid_t r = waitpid(p->pid, &p->status, WNOHANG);
    if (r == p->pid || (r < 0 && errno == ECHILD)) {
      p->reaped = 1;
      break;
    }
    if (waited >= ms) break;
    sleep_ms(10);
  }
  return p->reaped;
}

static void drain_stderr(vbx_mcp_fd_proc *p) {
  char buf[4096];
  while (p->err >= 0) {
    ssize_t n = read(p->err, buf, sizeof buf);
    if (n > 0) {
      vbx_mcp_tail_add(&p->tail, buf, (size_t)n);
      continue;
    }
    if (n < 0 && (errno == EINTR)) continue;
    if (n == 0 || (n < 0 && errno != EAGAIN)) {
      close(p->err);
      p->err = -1;
    }
    break;
  }
}

static int fd_write(void *ctx, const char *data, size_t len, uint64_t deadline_ns) {
  vbx_mcp_fd_proc *p = ctx;
  while (len > 0) {
    if (p->in < 0) return VBX_E_IO;
    ssize_t n = write(p->in, data, len);
    if (n > 0) {
      data += n;
      len -= (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return VBX_E_IO;
    uint32_t ms = vbx_mcp_left_ms(deadline_ns, 1000);
    if (deadline_ns != 0 && ms == 0) return VBX_E_TIMEOUT;
    struct pollfd pf = {p->in, POLLOUT, 0};
    poll(&pf, 1, (int)ms);
  }
  return 0;
}

static int fd_read(void *ctx, char *buf, size_t cap, size_t *len, uint32_t timeout_ms) {
  vbx_mcp_fd_proc *p = ctx;
  *len = 0;
  uint64_t deadline = vbx_mcp_deadline_ms(timeout_ms);
  for (;;) {
    if (p->out < 0) return 0;
    struct pollfd pf[2] = {{p->out, POLLIN, 0}, {p->err, POLLIN, 0}};
    int n = poll(pf, p->err >= 0 ? 2 : 1, (int)vbx_mcp_left_ms(deadline, 60000));
    if (n < 0 && errno != EINTR) return VBX_E_IO;
    if (p->err >= 0 && pf[1].revents) drain_stderr(p);
    if (pf[0].revents) {
      ssize_t r = read(p->out, buf, cap);
      if (r > 0) {
        *len = (size_t)r;
        return 0;
      }
      if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(p->out);
        p->out = -1;
        drain_stderr(p);
        reap(p, 2000);
        return 0;
      }
    }
    if (vbx_mcp_left_ms(deadline, 1) == 0) return VBX_E_AGAIN;
  }
}

static void fd_describe(void *ctx, char *buf, size_t cap) {
  vbx_mcp_fd_proc *p = ctx;
  drain_stderr(p);
  reap(p, 0);
  int n;
  if (!p->reaped)
    n = snprintf(buf, cap, "still running");
  else if (WIFEXITED(p->status))
    n = snprintf(buf, cap, "exited with status %d", WEXITSTATUS(p->status));
  else
    n = snprintf(buf, cap, "killed by signal %d", WTERMSIG(p->status));
  if (n < 0 || (size_t)n >= cap || p->tail.len == 0) return;
  char tail[VBX_MCP_TAIL_BYTES + 512];
  vbx_mcp_tail_lines(&p->tail, VBX_MCP_TAIL_LINES, tail, VBX_MCP_TAIL_SHOWN);
  snprintf(buf + n, cap - (size_t)n, "; last stderr: %s", tail);
}

static void fd_kill(void *ctx) {
  vbx_mcp_fd_proc *p = ctx;
  if (!p->reaped) kill(-p->pid, SIGKILL);
}

vbx_mcp_transport vbx_mcp_fd_transport(vbx_mcp_fd_proc *p) {
  vbx_mcp_transport t = {p, fd_write, fd_read, NULL, fd_describe, fd_kill};
  return t;
}

pid_t vbx_mcp_fd_pid(const vbx_mcp_fd_proc *p) { return p->pid; }

/* environ plus extra (malloc'd array of borrowed strings). */
static char **make_env(const char *const *extra) {
  size_t n = 0, k = 0;
  while (environ[n])
    n++;
  while (extra && extra[k])
    k++;
  char **e = calloc(n + k + 1, sizeof *e);
  if (e == NULL) return NULL;
  memcpy(e, environ, n * sizeof *e);
  for (size_t i = 0; i < k; i++)
    e[n + i] = (char *)extra[i];
  return e;
}

int vbx_mcp_fd_open(const char *const *argv, const char *const *env, vbx_mcp_fd_proc **out) {
  *out = NULL;
  struct sigaction sa;
  if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
  vbx_mcp_fd_proc *p = calloc(1, sizeof *p);
  char **envp = make_env(env);
  int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1};
  int rc = VBX_E_NOMEM;
  if (p == NULL || envp == NULL) goto out;
  rc = VBX_E_IO;
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(o, O_CLOEXEC) != 0 || pipe2(e, O_CLOEXEC) != 0) goto out;
  p->pid = fork();
  if (p->pid < 0) goto out;
  if (p->pid == 0) {
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    if (dup2(in[0], 0) < 0 || dup2(o[1], 1) < 0 || dup2(e[1], 2) < 0) _exit(126);
    execvpe(argv[0], (char *const *)argv, envp);
    dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  setpgid(p->pid, p->pid);
  p->in = in[1];
  p->out = o[0];
  p->err = e[0];
  in[1] = o[0] = e[0] = -1;
  fcntl(p->in, F_SETFL, O_NONBLOCK);
  fcntl(p->out, F_SETFL, O_NONBLOCK);
  fcntl(p->err, F_SETFL, O_NONBLOCK);
  *out = p;
  p = NULL;
  rc = 0;
out:
  for (int i = 0; i < 2; i++) {
    if (in[i] >= 0) close(in[i]);
    if (o[i] >= 0) close(o[i]);
    if (e[i] >= 0) close(e[i]);
  }
  free(envp);
  free(p);
  return rc;
}

void vbx_mcp_fd_close(vbx_mcp_fd_proc *p, uint32_t grace_ms) {
  if (p == NULL) return;
  if (p->in >= 0) close(p->in);
  if (!reap(p, grace_ms)) {
    kill(-p->pid, SIGKILL);
    while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR) {
    }
  }
  if (p->out >= 0) close(p->out);
  if (p->err >= 0) close(p->err);
  free(p);
}
