/*
 * tests/unit/mcp/fake_proc.c - see fake_proc.h. Output is read with poll;
 * end of file once both pipes are closed and the child is reaped.
 */
#include "fake_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct fproc {
  fake_sb *sb;
  pid_t pid;
  int in, out, err;
  int reaped, status;
} fproc;

static int p_open(void *handle, const vbx_exec_request *req, void **out, vbx_call *call) {
  fake_sb *sb = handle;
  if (sb->refuse)
    return sb->h->set_error(call, VBX_E_UNSUPPORTED, NULL,
                            "sandbox backend 'fake' cannot run a process with streaming stdin");
  snprintf(sb->argv0, sizeof sb->argv0, "%s", req->argv[0]);
  snprintf(sb->arg1, sizeof sb->arg1, "%s", req->argv[1] ? req->argv[1] : "");
  snprintf(sb->env0, sizeof sb->env0, "%s", req->env && req->env[0] ? req->env[0] : "");
  snprintf(sb->cwd, sizeof sb->cwd, "%s", req->cwd ? req->cwd : "");
  signal(SIGPIPE, SIG_IGN);
  int in[2], o[2], e[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC))
    return sb->h->set_error(call, VBX_E_IO, NULL, "pipe failed");
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    dup2(in[0], 0);
    dup2(o[1], 1);
    dup2(e[1], 2);
    for (size_t i = 0; req->env && req->env[i]; i++)
      putenv((char *)req->env[i]);
    execvp(req->argv[0], (char *const *)req->argv);
    dprintf(2, "exec %s: %s\n", req->argv[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(o[1]);
  close(e[1]);
  fproc *p = calloc(1, sizeof *p);
  p->sb = sb;
  p->pid = pid;
  p->in = in[1];
  p->out = o[0];
  p->err = e[0];
  sb->opened++;
  *out = p;
  return 0;
}

static int p_write(void *proc, const void *data, size_t len, vbx_call *call) {
  fproc *p = proc;
  const char *d = data;
  if (p->sb->no_start)
    return p->sb->h->set_error(call, VBX_E_NOTFOUND, NULL,
                               "box b: proc %s: exec: No such file or directory", p->sb->argv0);
  while (len > 0) {
    if (p->in < 0) return p->sb->h->set_error(call, VBX_E_STATE, NULL, "stdin closed");
    ssize_t n = write(p->in, d, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return p->sb->h->set_error(call, VBX_E_STATE, NULL, "the process has ended");
    d += n;
    len -= (size_t)n;
  }
  return 0;
}

static int p_close_stdin(void *proc, vbx_call *call) {
  fproc *p = proc;
  (void)call;
  if (p->in >= 0) close(p->in);
  p->in = -1;
  return 0;
}

static int p_read(void *proc, uint32_t timeout_ms, vbx_stream *stream, char *buf, size_t cap,
                  size_t *len, vbx_call *call) {
  fproc *p = proc;
  (void)call;
  *len = 0;
  for (;;) {
    if (p->out < 0 && p->err < 0) {
      if (!p->reaped) waitpid(p->pid, &p->status, 0);
      p->reaped = 1;
      return 0;
    }
    struct pollfd pf[2] = {{p->out, POLLIN, 0}, {p->err, POLLIN, 0}};
    int n = poll(pf, 2, (int)timeout_ms);
    if (n == 0) return VBX_E_AGAIN;
    if (n < 0) continue;
    for (int i = 0; i < 2; i++) {
      if (pf[i].fd < 0 || pf[i].revents == 0) continue;
      ssize_t r = read(pf[i].fd, buf, cap);
      if (r > 0) {
        *stream = i == 0 ? VBX_STREAM_STDOUT : VBX_STREAM_STDERR;
        *len = (size_t)r;
        return 0;
      }
      close(pf[i].fd);
      if (i == 0)
        p->out = -1;
      else
        p->err = -1;
    }
  }
}

static int p_status(void *proc, vbx_exec_result *res, vbx_call *call) {
  fproc *p = proc;
  if (!p->reaped) return p->sb->h->set_error(call, VBX_E_STATE, NULL, "still running");
  res->exit_code = WIFEXITED(p->status) ? WEXITSTATUS(p->status) : 0;
  res->term_signal = WIFSIGNALED(p->status) ? WTERMSIG(p->status) : 0;
  return 0;
}

static int p_kill(void *proc, int signo) {
  fproc *p = proc;
  if (p->sb->n_signals < 16) p->sb->signals[p->sb->n_signals++] = signo;
  if (p->reaped) return VBX_E_STATE;
  kill(-p->pid, signo);
  return 0;
}

static void p_close(void *proc) {
  fproc *p = proc;
  if (!p->reaped) {
    kill(-p->pid, SIGKILL);
    waitpid(p->pid, &p->status, 0);
  }
  if (p->in >= 0) close(p->in);
  if (p->out >= 0) close(p->out);
  if (p->err >= 0) close(p->err);
  p->sb->closed++;
  free(p);
}

void fake_sb_ref(fake_sb *sb, vbx_sandbox_ref *ref, int with_proc) {
  memset(ref, 0, sizeof *ref);
  ref->handle = sb;
  if (!with_proc) {
    ref->struct_size = (uint32_t)offsetof(vbx_sandbox_ref, proc_open);
    return;
  }
  ref->struct_size = sizeof *ref;
  ref->proc_open = p_open;
  ref->proc_write = p_write;
  ref->proc_close_stdin = p_close_stdin;
  ref->proc_read = p_read;
  ref->proc_status = p_status;
  ref->proc_kill = p_kill;
  ref->proc_close = p_close;
}
