/*
 * guest/agent/exec.c - one worker thread per exec: fork (through the
 * reaper), apply identity and limits between fork and execve, then stream
 * stdout/stderr under the host's credit, feed stdin under ours, deliver
 * SIGNALs, enforce the timeout on the whole process group, report EXIT.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "agent.h"
#include "voidbox/errors.h"

#define AGENT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define STDIN_WINDOW VBX_PROTO_INITIAL_WINDOW
#define READ_CHUNK (256u * 1024u)  /* most output bytes per frame */
#define PIPE_DEFAULT (64u * 1024u) /* a pipe's size until its command fills it */
#define OUT_PIPE_SIZE (1024u * 1024u)
#define SPLICE_MIN (16u * 1024u) /* output spliced to the host from this many bytes on */
#define DRAIN_GRACE_MS 200

struct vbx__exec {
  struct vbx__conn *c;
  uint32_t id;
  uint32_t flags, uid, gid, timeout_ms;
  int stdin_pipe;
  size_t nrl;
  struct vbx_proto_rlimit rl[VBX_PROTO_MAX_RLIMITS];
  char **argv, **envp, *cwd;
  char *arena;
  char path[4096];
  pthread_mutex_t lock; /* fields below, shared with the reader */
  int wake;             /* eventfd */
  struct vbx_proto_credit out_credit;
  struct vbx_proto_window in_win;
  uint8_t *inq; /* stdin ring, STDIN_WINDOW bytes */
  size_t inq_head, inq_len;
  uint64_t in_off; /* next expected STDIN_DATA offset */
  int in_close_req;
  uint32_t pending_sig;
  int abandoned;
  struct vbx__child child;
  struct rusage ru;
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void wake(struct vbx__exec *e) {
  uint64_t one = 1;
  ssize_t w = write(e->wake, &one, sizeof one);
  (void)w;
}

/* The program argv0 names, into out: as given when it has a '/', else
 * searched in AGENT_PATH. A system-call wrapper (access, stat): 0 or
 * -errno (-ENOENT: not found in AGENT_PATH; -ENAMETOOLONG). */
static int resolve(const char *argv0, char *out, size_t cap) {
  if (strchr(argv0, '/') != NULL) {
    if (strlen(argv0) >= cap) return -ENAMETOOLONG;
    strcpy(out, argv0);
    return access(out, X_OK) == 0 ? 0 : -errno;
  }
  const char *p = AGENT_PATH;
  while (*p) {
    const char *e = strchr(p, ':');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n + 1 + strlen(argv0) + 1 <= cap) {
      memcpy(out, p, n);
      out[n] = '/';
      strcpy(out + n + 1, argv0);
      struct stat st;
      if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0) return 0;
    }
    p = e ? e + 1 : p + n;
  }
  return -ENOENT;
}

/* Between spawn and execve: the child shares the agent's memory (see
 * vbx__reaper_spawn), so system calls only, none through a glibc wrapper
 * that keeps state (setgroups/setgid/setuid would signal the agent's other
 * threads: they are made raw), and no write to memory but its stack. */
static void child_exec(struct vbx__exec *e, int in_fd, int out_fd, int err_fd, int errp) {
  const struct vbx_proto_policy *pol = &e->c->agent->policy;
  int err = 0;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  setsid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) goto fail;
  for (size_t i = 0; i < e->nrl; i++) {
    struct rlimit r = {e->rl[i].soft, e->rl[i].hard};
    if (setrlimit((int)e->rl[i].resource, &r) != 0) goto fail;
  }
  for (size_t i = 0; i < pol->n_rlimits; i++) { /* policy caps win */
    struct rlimit cur, r = {pol->rlimits[i].soft, pol->rlimits[i].hard};
    if (getrlimit(pol->rlimits[i].resource, &cur) == 0) {
      if (cur.rlim_max < r.rlim_max) r.rlim_max = cur.rlim_max;
      if (cur.rlim_cur < r.rlim_cur) r.rlim_cur = cur.rlim_cur;
      if (r.rlim_cur > r.rlim_max) r.rlim_cur = r.rlim_max;
    }
    if (setrlimit(pol->rlimits[i].resource, &r) != 0) goto fail;
  }
  if (pol->max_procs) {
    struct rlimit r = {pol->max_procs, pol->max_procs};
    if (setrlimit(RLIMIT_NPROC, &r) != 0) goto fail;
  }
  if (e->cwd != NULL && chdir(e->cwd) != 0) goto fail;
  if (getuid() == 0 && (e->uid != 0 || e->gid != 0)) {
    if (syscall(SYS_setgroups, 0, NULL) != 0 || syscall(SYS_setgid, e->gid) != 0 ||
        syscall(SYS_setuid, e->uid) != 0)
      goto fail;
  }
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  execve(e->path, e->argv, e->envp);
fail:
  err = errno;
  ssize_t w = write(errp, &err, sizeof err);
  (void)w;
  _exit(127);
}

/* What child_exec needs, on the spawning thread's stack. */
struct child_args {
  struct vbx__exec *e;
  int in, out, err, ep;
};

static int child_main(void *arg) {
  struct child_args *a = arg;
  child_exec(a->e, a->in, a->out, a->err, a->ep);
  return 127; /* not reached: child_exec execs or _exits */
}

/* EXIT(id) from the reaped child's status and usage. 0 or a negative
 * VBX_E_* code (not encoded, not sent). */
static int send_exit(struct vbx__exec *e, int timed_out, uint64_t dur) {
  struct vbx_proto_exit x;
  memset(&x, 0, sizeof x);
  int st = e->child.status;
  if (WIFSIGNALED(st)) {
    x.reason = timed_out ? VBX_PROTO_EXIT_TIMEOUT : VBX_PROTO_EXIT_SIGNALED;
    x.code = WTERMSIG(st);
  } else if (timed_out) {
    x.reason = VBX_PROTO_EXIT_TIMEOUT;
    x.code = SIGKILL;
  } else {
    x.reason = VBX_PROTO_EXIT_EXITED;
    x.code = WEXITSTATUS(st);
  }
  x.duration_ns = dur;
  x.user_usec = (uint64_t)e->ru.ru_utime.tv_sec * 1000000u + (uint64_t)e->ru.ru_utime.tv_usec;
  x.sys_usec = (uint64_t)e->ru.ru_stime.tv_sec * 1000000u + (uint64_t)e->ru.ru_stime.tv_usec;
  x.max_rss_kib = (uint64_t)e->ru.ru_maxrss;
  uint8_t mem[128];
  struct vbx_proto_buf b;
  vbx_proto_buf_init_fixed(&b, mem, sizeof mem);
  int rc = vbx_proto_encode_exit(&b, e->id, &x);
  return rc != 0 ? rc : vbx__conn_send(e->c, &b);
}

struct stream {
  int fd;
  unsigned type;
  uint64_t off;  /* bytes sent */
  uint64_t seen; /* bytes read from the pipe (cap accounting) */
  int noted;
  int grown; /* the pipe was made OUT_PIPE_SIZE */
};

/* Read once from s under credit and send. A predicate: 1 when s is
 * finished (EOF or a read error: the caller closes it), else 0. What the
 * pipe holds from SPLICE_MIN bytes on goes to the host by splice (no copy
 * through buf). */
static int pump_out(struct vbx__exec *e, struct stream *s, uint8_t *buf) {
  uint64_t cap = e->c->agent->policy.max_output;
  pthread_mutex_lock(&e->lock);
  uint32_t avail = vbx_proto_credit_available(&e->out_credit);
  pthread_mutex_unlock(&e->lock);
  size_t want = avail < READ_CHUNK ? avail : READ_CHUNK;
  int over = cap && s->seen >= cap;
  if (over) want = READ_CHUNK; /* over the cap: drain and discard */
  if (want == 0) return 0;
  int queued = 0;
  if (ioctl(s->fd, FIONREAD, &queued) != 0 || queued < 0) queued = 0;
  if (!s->grown && (size_t)queued >= PIPE_DEFAULT) {
    /* The command filled the pipe: let it run ahead of the host (fewer
     * wakeups, larger frames); the default size when refused. */
    s->grown = 1;
    fcntl(s->fd, F_SETPIPE_SZ, (int)OUT_PIPE_SIZE);
  }
  size_t n = (size_t)queued < want ? (size_t)queued : want;
  if (!over && cap && n > cap - s->seen) n = (size_t)(cap - s->seen);
  if (!over && n >= SPLICE_MIN) {
    pthread_mutex_lock(&e->lock);
    vbx_proto_credit_consume(&e->out_credit, (uint32_t)n);
    pthread_mutex_unlock(&e->lock);
    vbx__conn_splice_data(e->c, s->type, e->id, s->off, s->fd, (uint32_t)n, buf, READ_CHUNK);
    s->off += n;
    s->seen += n;
    return 0;
  }
  ssize_t r = read(s->fd, buf, want);
  if (r < 0) return errno == EAGAIN || errno == EINTR ? 0 : 1;
  if (r == 0) return 1;
  size_t send = (size_t)r;
  if (cap) {
    if (s->seen >= cap)
      send = 0;
    else if (s->seen + send > cap)
      send = (size_t)(cap - s->seen);
  }
  s->seen += (uint64_t)r;
  if (send > 0) {
    pthread_mutex_lock(&e->lock);
    vbx_proto_credit_consume(&e->out_credit, (uint32_t)send);
    pthread_mutex_unlock(&e->lock);
    vbx__conn_send_data(e->c, s->type, e->id, s->off, buf, (uint32_t)send);
    s->off += send;
  }
  if (cap && s->seen > cap && !s->noted) {
    s->noted = 1;
    vbx__log(1, "exec %u: output cap of %llu bytes reached; discarding the rest", e->id,
             (unsigned long long)cap);
  }
  return 0;
}

/* Move queued stdin into the pipe; grant credit for what was drained.
 * Once the pipe is gone (the child closed stdin or ended: EPIPE), what is
 * queued and what arrives later is discarded and credited all the same,
 * so a host still writing never waits for credit that cannot come. */
static void pump_in(struct vbx__exec *e, int *in_fd) {
  pthread_mutex_lock(&e->lock);
  while (e->inq_len > 0) {
    size_t n = e->inq_len, room = STDIN_WINDOW - e->inq_head;
    if (n > room) n = room;
    ssize_t w = *in_fd >= 0 ? write(*in_fd, e->inq + e->inq_head, n) : 0;
    if (w < 0 && errno == EAGAIN) break;
    if (w <= 0) { /* EPIPE (or the pipe already closed): discard the rest */
      if (*in_fd >= 0) close(*in_fd);
      *in_fd = -1;
      w = (ssize_t)e->inq_len;
    }
    e->inq_head = (e->inq_head + (size_t)w) % STDIN_WINDOW;
    e->inq_len -= (size_t)w;
    vbx_proto_window_on_consumed(&e->in_win, (uint32_t)w);
  }
  uint32_t inc = e->in_close_req ? 0 : vbx_proto_window_grant(&e->in_win);
  int close_now = e->in_close_req && e->inq_len == 0 && *in_fd >= 0;
  pthread_mutex_unlock(&e->lock);
  if (inc) vbx__conn_send_window(e->c, e->id, inc);
  if (close_now) {
    close(*in_fd);
    *in_fd = -1;
  }
}

static void finish(struct vbx__exec *e) {
  struct vbx__conn *c = e->c;
  vbx__conn_req_del(c, e->id);
  pthread_mutex_lock(&c->agent->lock);
  c->agent->n_execs--;
  pthread_mutex_unlock(&c->agent->lock);
  close(e->wake);
  pthread_mutex_destroy(&e->lock);
  free(e->inq);
  free(e->arena);
  free(e->argv);
  free(e);
  vbx__conn_put(c);
}

/* The descriptors of one exec: stdin, stdout, stderr (unless merged into
 * stdout) and the exec-error pipe, each [read end, write end]; -1 closed. */
struct io {
  int in[2], out[2], err[2], ep[2];
  int sep; /* stderr has its own pipe */
};

static void close_io(struct io *io) {
  int *fds[] = {io->in, io->out, io->err, io->ep};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    for (int k = 0; k < 2; k++)
      if (fds[i][k] >= 0) {
        close(fds[i][k]);
        fds[i][k] = -1;
      }
}

/* Make the pipes (stdin a pipe only when the request streams stdin, else
 * /dev/null). A system-call wrapper: 0 or -errno (errno still set). */
static int open_pipes(const struct vbx__exec *e, struct io *io) {
  if (pipe2(io->out, O_CLOEXEC) != 0 || (io->sep && pipe2(io->err, O_CLOEXEC) != 0) ||
      pipe2(io->ep, O_CLOEXEC) != 0)
    return -errno;
  if (e->stdin_pipe) return pipe2(io->in, O_CLOEXEC) != 0 ? -errno : 0;
  io->in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return io->in[0] < 0 ? -errno : 0;
}

/* Wait until the reaper has collected the child: it writes e->wake then
 * (the 100 ms slices are only a safety net). A wake left from before
 * (credit, a signal) is drained, so it cannot make this loop spin. */
static void wait_reaped(struct vbx__exec *e) {
  while (!vbx__reaper_done(&e->child)) {
    struct pollfd p = {e->wake, POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      uint64_t v;
      ssize_t r = read(e->wake, &v, sizeof v);
      (void)r;
    }
  }
}

/* After the fork: close the child's ends, then read the exec-error pipe.
 * Returns 0 when the program runs (the pipe closed on exec), else (the
 * child reaped first) vbx__errno_code of the failed exec's errno, which
 * goes to *err. */
static int exec_error(struct vbx__exec *e, struct io *io, int *err) {
  close(io->ep[1]), io->ep[1] = -1;
  close(io->in[0]), io->in[0] = -1;
  close(io->out[1]), io->out[1] = -1;
  if (io->sep) close(io->err[1]), io->err[1] = -1;
  int cerr = 0;
  ssize_t got;
  do
    got = read(io->ep[0], &cerr, sizeof cerr);
  while (got < 0 && errno == EINTR);
  if (got != (ssize_t)sizeof cerr) return 0;
  wait_reaped(e); /* reap before reporting */
  *err = cerr != 0 ? cerr : EIO;
  return vbx__errno_code(*err);
}

/* Move output to the host (within its credit) and queued stdin to the
 * child until the child is gone and its output drained (or given up after
 * DRAIN_GRACE_MS), enforcing signals, abandonment and the deadline.
 * Returns 1 when the deadline killed the child; *exit_at is when the
 * child was seen gone (0: not seen). */
static int pump_loop(struct vbx__exec *e, struct io *io, pid_t pid, uint64_t start, uint8_t *buf,
                     uint64_t *exit_at) {
  fcntl(io->out[0], F_SETFL, O_NONBLOCK);
  if (io->sep) fcntl(io->err[0], F_SETFL, O_NONBLOCK);
  if (io->in[1] >= 0) fcntl(io->in[1], F_SETFL, O_NONBLOCK);
  struct stream so = {io->out[0], VBX_PROTO_T_STDOUT_DATA, 0, 0, 0, 0};
  struct stream se = {io->sep ? io->err[0] : -1, VBX_PROTO_T_STDERR_DATA, 0, 0, 0, 0};
  uint64_t deadline = e->timeout_ms ? start + (uint64_t)e->timeout_ms * 1000000u : 0;
  uint64_t max_out = e->c->agent->policy.max_output;
  int timed_out = 0, killed = 0;
  for (;;) {
    int done = vbx__reaper_done(&e->child);
    if (done && *exit_at == 0) *exit_at = now_ns();
    pthread_mutex_lock(&e->lock);
    uint32_t sig = e->pending_sig;
    e->pending_sig = 0;
    int abandoned = e->abandoned;
    int credit = vbx_proto_credit_available(&e->out_credit) > 0;
    int want_in = e->inq_len > 0 || e->in_close_req;
    pthread_mutex_unlock(&e->lock);
    if (!done && sig) kill((e->flags & VBX_PROTO_EXEC_F_NEW_SESSION) ? -pid : pid, (int)sig);
    if (!done && !killed && (abandoned || (deadline && now_ns() >= deadline))) {
      kill(-pid, SIGKILL);
      killed = 1;
      timed_out = !abandoned;
    }
    if ((abandoned && done) || (done && so.fd < 0 && se.fd < 0)) break;
    struct pollfd p[4];
    int np = 0, iso = -1, ise = -1, iin = -1;
    p[np++] = (struct pollfd){e->wake, POLLIN, 0};
    if (so.fd >= 0 && (credit || (max_out && so.seen >= max_out)))
      iso = np, p[np++] = (struct pollfd){so.fd, POLLIN, 0};
    if (se.fd >= 0 && (credit || (max_out && se.seen >= max_out)))
      ise = np, p[np++] = (struct pollfd){se.fd, POLLIN, 0};
    if (io->in[1] >= 0 && want_in) iin = np, p[np++] = (struct pollfd){io->in[1], POLLOUT, 0};
    int tmo = -1;
    if (deadline && !killed) {
      uint64_t now = now_ns();
      tmo = deadline > now ? (int)((deadline - now) / 1000000u) + 1 : 0;
    }
    if (done && credit && (tmo < 0 || tmo > DRAIN_GRACE_MS)) tmo = DRAIN_GRACE_MS;
    int r = poll(p, (nfds_t)np, tmo);
    if (r < 0 && errno != EINTR) break;
    if (r == 0 && done && credit) {
      /* Child gone, nothing more within the grace: background processes
       * may hold the pipes; stop reading them. */
      break;
    }
    if (p[0].revents) {
      uint64_t v;
      ssize_t rr = read(e->wake, &v, sizeof v);
      (void)rr;
    }
    if (iso >= 0 && p[iso].revents && pump_out(e, &so, buf))
      close(so.fd), so.fd = -1, io->out[0] = -1;
    if (ise >= 0 && p[ise].revents && pump_out(e, &se, buf))
      close(se.fd), se.fd = -1, io->err[0] = -1;
    if (iin >= 0 || want_in) pump_in(e, &io->in[1]);
  }
  return timed_out;
}

static void run(struct vbx__exec *e) {
  struct io io = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}, 0};
  io.sep = !(e->flags & VBX_PROTO_EXEC_F_STDERR_TO_STDOUT);
  uint8_t *buf = NULL;
  int rc = resolve(e->argv[0], e->path, sizeof e->path);
  if (rc != 0) {
    vbx__conn_send_error(e->c, e->id, vbx__errno_code(-rc), "%s: %s", e->argv[0], strerror(-rc));
    return;
  }
  if (open_pipes(e, &io) != 0 || (buf = malloc(READ_CHUNK)) == NULL) {
    vbx__conn_send_error(e->c, e->id, VBX_E_IO, "exec setup: %s", strerror(errno));
    goto out;
  }
  e->child.ru = &e->ru;
  e->child.wake_fd = e->wake;
  uint64_t start = now_ns();
  struct child_args ca = {e, io.in[0], io.out[1], io.sep ? io.err[1] : io.out[1], io.ep[1]};
  char stack[32 * 1024] __attribute__((aligned(16))); /* ours waits meanwhile */
  pid_t pid = vbx__reaper_spawn(&e->child, child_main, &ca, stack, sizeof stack);
  if (pid < 0) {
    vbx__conn_send_error(e->c, e->id, VBX_E_LIMIT, "fork: %s", strerror((int)-pid));
    goto out;
  }
  int cerr = 0;
  rc = exec_error(e, &io, &cerr);
  if (rc != 0) {
    vbx__conn_send_error(e->c, e->id, rc, "exec %s: %s", e->path, strerror(cerr));
    goto out;
  }
  uint64_t exit_at = 0;
  int timed_out = pump_loop(e, &io, pid, start, buf, &exit_at);
  wait_reaped(e);
  send_exit(e, timed_out, (exit_at ? exit_at : now_ns()) - start);
out:
  free(buf);
  close_io(&io);
}

static void *worker(void *arg) {
  struct vbx__exec *e = arg;
  run(e);
  finish(e);
  return NULL;
}

/* Copy the view's strings into one arena so they outlive the frame.
 * 0, or VBX_E_NOMEM (the caller frees what was allocated). */
static int copy_strings(struct vbx__exec *e, const struct vbx_proto_exec_start_view *m) {
  size_t need = 0;
  struct vbx_proto_str s;
  for (uint32_t i = 0; i < m->argv.count; i++)
    vbx_proto_strlist_get(&m->argv, i, &s), need += s.len + 1;
  for (uint32_t i = 0; i < m->env.count; i++)
    vbx_proto_strlist_get(&m->env, i, &s), need += s.len + 1;
  need += m->cwd.len + 1 + 16;
  e->arena = malloc(need);
  e->argv = calloc(m->argv.count + m->env.count + 2, sizeof(char *));
  if (e->arena == NULL || e->argv == NULL) return VBX_E_NOMEM;
  e->envp = e->argv + m->argv.count + 1;
  size_t used = 0;
  if (vbx_proto_strlist_copy(&m->argv, e->argv, m->argv.count + 1, e->arena, need) != 0)
    return VBX_E_NOMEM;
  for (uint32_t i = 0; i < m->argv.count; i++)
    used += strlen(e->argv[i]) + 1;
  if (vbx_proto_strlist_copy(&m->env, e->envp, m->env.count + 1, e->arena + used, need - used) != 0)
    return VBX_E_NOMEM;
  for (uint32_t i = 0; i < m->env.count; i++)
    used += strlen(e->envp[i]) + 1;
  e->cwd = NULL;
  if (m->cwd.len > 0) {
    e->cwd = e->arena + used;
    vbx_proto_str_copy(m->cwd, e->cwd, need - used);
  } else if (e->c->agent->cwd != NULL) {
    e->cwd = (char *)e->c->agent->cwd;
  }
  return 0;
}

int vbx__exec_start(struct vbx__conn *c, uint32_t id, const struct vbx_proto_exec_start_view *m) {
  struct vbx__agent *a = c->agent;
  const struct vbx_proto_policy *pol = &a->policy;
  char argv0[256];
  struct vbx_proto_str s0;
  vbx_proto_strlist_get(&m->argv, 0, &s0);
  if (vbx_proto_str_copy(s0, argv0, sizeof argv0) != 0 || !vbx__policy_allows(pol, argv0)) {
    vbx__log(1, "exec %u refused: '%.*s' is not in the command allowlist", id,
             (int)(s0.len > 200 ? 200 : s0.len), s0.ptr);
    return vbx__conn_send_error(c, id, VBX_E_PERM,
                                "command '%.*s' is not in the guest's command allowlist",
                                (int)(s0.len > 200 ? 200 : s0.len), s0.ptr);
  }
  uint32_t uid = m->p.uid, gid = m->p.gid;
  if ((pol->have_uid && uid != pol->uid) || (pol->have_gid && gid != pol->gid))
    return vbx__conn_send_error(c, id, VBX_E_PERM,
                                "uid/gid %u/%u refused: the guest policy runs commands as %u/%u",
                                uid, gid, pol->uid, pol->gid);
  if (m->p.stdin_mode == VBX_PROTO_STDIN_PIPE && !(c->features & VBX_PROTO_FEAT_STDIN))
    return vbx__conn_send_error(c, id, VBX_E_UNSUPPORTED, "stdin was not negotiated");
  pthread_mutex_lock(&a->lock);
  uint32_t max = pol->max_execs ? pol->max_execs : 64;
  int busy = a->n_execs >= (int)max || a->shutting_down;
  if (!busy) a->n_execs++;
  pthread_mutex_unlock(&a->lock);
  if (busy) return vbx__conn_send_error(c, id, VBX_E_LIMIT, "too many running execs (max %u)", max);
  struct vbx__exec *e = calloc(1, sizeof *e);
  if (e == NULL) goto nomem;
  e->c = c, e->id = id, e->flags = m->p.flags, e->uid = uid, e->gid = gid;
  e->timeout_ms = m->p.timeout_ms;
  e->stdin_pipe = m->p.stdin_mode == VBX_PROTO_STDIN_PIPE;
  e->nrl = m->p.nrlimits;
  memcpy(e->rl, m->p.rlimits, sizeof e->rl);
  e->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  pthread_mutex_init(&e->lock, NULL);
  vbx_proto_credit_init(&e->out_credit);
  vbx_proto_window_init(&e->in_win, STDIN_WINDOW);
  if (e->wake < 0 || copy_strings(e, m) != 0 ||
      (e->stdin_pipe && (e->inq = malloc(STDIN_WINDOW)) == NULL)) {
    if (e->wake >= 0) close(e->wake);
    free(e->inq), free(e->arena), free(e->argv), free(e);
    goto nomem;
  }
  vbx__conn_get(c);
  if (vbx__conn_req_add(c, id, VBX__REQ_EXEC, e) != 0) {
    vbx__conn_put(c);
    goto nomem_e;
  }
  pthread_t t;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&at, 256 * 1024);
  int rc = pthread_create(&t, &at, worker, e);
  pthread_attr_destroy(&at);
  if (rc != 0) {
    vbx__conn_send_error(c, id, VBX_E_LIMIT, "no worker thread: %s", strerror(rc));
    finish(e);
  }
  return 0;
nomem_e:
  close(e->wake);
  free(e->inq), free(e->arena), free(e->argv), free(e);
nomem:
  pthread_mutex_lock(&a->lock);
  a->n_execs--;
  pthread_mutex_unlock(&a->lock);
  return vbx__conn_send_error(c, id, VBX_E_NOMEM, "out of memory");
}

int vbx__exec_stdin(struct vbx__exec *e, const struct vbx_proto_data *d) {
  int rc = VBX_E_PROTOCOL;
  pthread_mutex_lock(&e->lock);
  if (e->inq == NULL || e->in_close_req || d->offset != e->in_off ||
      vbx_proto_window_on_data(&e->in_win, d->len) != 0 || e->inq_len + d->len > STDIN_WINDOW)
    goto out;
  size_t tail = (e->inq_head + e->inq_len) % STDIN_WINDOW, first = STDIN_WINDOW - tail;
  if (first > d->len) first = d->len;
  memcpy(e->inq + tail, d->data, first);
  memcpy(e->inq, d->data + first, d->len - first);
  e->inq_len += d->len;
  e->in_off += d->len;
  rc = 0;
out:
  pthread_mutex_unlock(&e->lock);
  if (rc == 0) wake(e);
  return rc;
}

int vbx__exec_stdin_close(struct vbx__exec *e) {
  pthread_mutex_lock(&e->lock);
  e->in_close_req = 1;
  pthread_mutex_unlock(&e->lock);
  wake(e);
  return 0;
}

int vbx__exec_window(struct vbx__exec *e, uint32_t inc) {
  pthread_mutex_lock(&e->lock);
  int rc = vbx_proto_credit_grant(&e->out_credit, inc);
  pthread_mutex_unlock(&e->lock);
  wake(e);
  return rc == 0 ? 0 : VBX_E_PROTOCOL;
}

int vbx__exec_signal(struct vbx__exec *e, uint32_t signo) {
  pthread_mutex_lock(&e->lock);
  e->pending_sig = signo;
  pthread_mutex_unlock(&e->lock);
  wake(e);
  return 0;
}

void vbx__exec_abandon(struct vbx__exec *e) {
  pthread_mutex_lock(&e->lock);
  e->abandoned = 1;
  pthread_mutex_unlock(&e->lock);
  wake(e);
}
