/*
 * supervise.c - the parent of a supervised `voidbox run` (supervise.h): it
 * forks the worker, then loops on poll() over the worker's pipe, stdout,
 * stderr and its signals, applying frames, enforcing the load timeout, the
 * plugin calls' deadlines and the cancel grace, and finally prints the
 * report — the worker's own, or one settled from what it had reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugin/call.h"
#include "run/result.h"
#include "summary_table.h"
#include "sup_state.h"

#define READ_CHUNK (256u * 1024u)
#define CHANNEL_PIPE_SIZE (1u << 20) /* the channel's pipe: the worker runs ahead by this */
#define SWEEP_TIMEOUT_MS 10000
#define OVERDUE_EVERY_NS 10000000ull /* the in-flight table is scanned at most this often */

static volatile sig_atomic_t g_signals; /* SIGINT/SIGTERM received */
static volatile int g_drain_stop;       /* a signal during the final drain */
static int g_wake[2] = {-1, -1};        /* self-pipe: a signal wakes poll */

static void on_signal(int sig) {
  (void)sig;
  g_signals++;
  g_drain_stop = 1;
  int saved = errno;
  ssize_t w = write(g_wake[1], "s", 1);
  (void)w;
  errno = saved;
}

static void say(vbx__sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(vbx__sup *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vbx__sup_vsay(s, fmt, ap);
  va_end(ap);
}

static void kill_worker(vbx__sup *s, vbx__sup_kill why) {
  if (s->exited) return;
  if (s->kill == VBX_SUP_NOT_KILLED) s->kill = why;
  kill(s->worker, SIGKILL);
}

static void request_cancel(vbx__sup *s, const char *why) {
  if (s->cancel_at != 0 || s->exited) return;
  s->cancel_at = vbx__now_ns();
  s->cancel_why = why;
  kill(s->worker, SIGTERM);
}

/* Signals, deadlines, the load timeout and the cancel grace. *next_scan:
 * when the in-flight table is due to be scanned for an overdue call. */
static void watch(vbx__sup *s, int *handled, uint64_t *next_scan) {
  int n = g_signals;
  if (n > *handled) {
    if (*handled == 0) {
      say(s, "cancelling (interrupt again to stop at once)");
      request_cancel(s, "interrupted");
    } else {
      kill_worker(s, VBX_SUP_KILL_USER);
    }
    *handled = n;
  }
  if (s->exited) return;
  uint64_t now = vbx__now_ns();
  if (s->cancel_at != 0) {
    if (now - s->cancel_at > (uint64_t)VBX_SUP_CANCEL_GRACE_MS * 1000000u)
      kill_worker(s, VBX_SUP_KILL_CANCEL);
  } else if (!s->loaded) {
    if (now - s->t_start > (uint64_t)s->o->load_timeout_s * 1000000000u)
      kill_worker(s, VBX_SUP_KILL_LOAD);
  } else if (now >= *next_scan) {
    *next_scan = now + OVERDUE_EVERY_NS;
    if (vbx__inflight_overdue(s->table, now, (uint64_t)VBX_SUP_DEADLINE_GRACE_MS * 1000000u,
                              &s->hung))
      kill_worker(s, VBX_SUP_KILL_HANG);
  }
  if (!s->o->json && s->out.broken && s->cancel_at == 0) {
    say(s, "stdout was closed (%s): cancelling the run", strerror(s->out.broken));
    request_cancel(s, "stdout was closed");
  }
}

static void read_worker(vbx__sup *s) {
  static uint8_t buf[READ_CHUNK];
  ssize_t n = read(s->chan_fd, buf, sizeof(buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    close(s->chan_fd);
    s->chan_fd = -1;
    return;
  }
  if (s->kill == VBX_SUP_KILL_FRAME) return; /* discard until EOF */
  if (vbx__ch_feed(&s->dec, buf, (size_t)n, vbx__sup_frame, s) != 0)
    kill_worker(s, VBX_SUP_KILL_FRAME);
}

static void reap(vbx__sup *s, int block) {
  if (s->exited) return;
  pid_t w = waitpid(s->worker, &s->wstatus, block ? 0 : WNOHANG);
  if (w == s->worker) s->exited = 1;
}

static void loop(vbx__sup *s) {
  int handled = 0;
  uint64_t exited_at = 0, next_scan = 0;
  while (s->chan_fd >= 0 || !s->exited) {
    watch(s, &handled, &next_scan);
    struct pollfd p[5];
    int n = 0, ich = -1, iout = -1, ierr = -1;
    p[n++] = (struct pollfd){g_wake[0], POLLIN, 0};
    if (s->chan_fd >= 0 && vbx__outq_pending(s->stream_q) < VBX_OUTQ_HIGH)
      ich = n, p[n++] = (struct pollfd){s->chan_fd, POLLIN, 0};
    /* stdout is watched even when idle: a pipe whose reader went away
     * reports POLLERR, so `| head` cancels the run at once. */
    if (!s->out.broken)
      iout = n, p[n++] = (struct pollfd){s->out.fd, vbx__outq_pending(&s->out) ? POLLOUT : 0, 0};
    if (vbx__outq_pending(&s->err)) ierr = n, p[n++] = (struct pollfd){s->err.fd, POLLOUT, 0};
    /* The worker's exit wakes the loop (it may come after the channel's
     * EOF); the timeout only paces the deadline checks in watch(). */
    if (!s->exited && s->worker_fd >= 0) p[n++] = (struct pollfd){s->worker_fd, POLLIN, 0};
    int r = poll(p, (nfds_t)n, 100);
    if (r > 0 && (p[0].revents & POLLIN)) {
      char b[64];
      while (read(g_wake[0], b, sizeof(b)) > 0) {
      }
    }
    if (r > 0 && iout >= 0 && (p[iout].revents & POLLERR) && !vbx__outq_pending(&s->out))
      s->out.broken = EPIPE;
    else if (r > 0 && iout >= 0 && p[iout].revents)
      vbx__outq_write_some(&s->out);
    if (r > 0 && ierr >= 0 && p[ierr].revents) vbx__outq_write_some(&s->err);
    if (r > 0 && ich >= 0 && p[ich].revents) read_worker(s);
    reap(s, 0);
    /* A descendant may still hold the pipe after the worker exited: give
     * the last bytes a moment, then stop waiting for EOF. */
    if (s->exited && exited_at == 0) exited_at = vbx__now_ns();
    if (s->exited && s->chan_fd >= 0 && vbx__now_ns() - exited_at > 1000000000ull) {
      close(s->chan_fd);
      s->chan_fd = -1;
    }
  }
}

/* After an abnormal end: load the plugins once more in a short-lived child
 * so their init removes what the dead worker left (box directories,
 * cgroups of dead owners). Bounded; its failures only warn. */
static void sweep(vbx__sup *s) {
  pid_t pid = fork();
  if (pid < 0) return;
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    vbx_runtime *rt = NULL;
    vbx_error err;
    memset(&err, 0, sizeof(err));
    int rc = vbx__cli_runtime_new(s->o->common, &rt, &err);
    if (rc == 0) vbx_runtime_free(rt);
    _exit(rc == 0 ? 0 : 1);
  }
  int st = 0;
  for (int waited = 0; waited < SWEEP_TIMEOUT_MS; waited += 20) {
    if (waitpid(pid, &st, WNOHANG) == pid) return;
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
  say(s, "warning: the cleanup after the worker's end did not finish in %d s",
      SWEEP_TIMEOUT_MS / 1000);
}

/* Print the result (summary or JSON report). Returns the exit code. */
static int print_result(vbx__sup *s, const vbx_result *r) {
  vbx__printer_flush(s->printer);
  vbx__strbuf sb = VBX__STRBUF_INIT;
  char *doc = NULL;
  if (s->o->json) {
    doc = vbx_result_to_json(r);
    if (doc) {
      vbx__outq_push(&s->out, doc, strlen(doc));
      vbx__outq_push(&s->out, "\n", 1);
    }
  } else {
    vbx__summary_format(&sb, r);
    vbx__outq_push(&s->out, sb.data ? sb.data : "", sb.len);
  }
  int ok = (s->o->json ? doc != NULL : !sb.failed);
  free(doc);
  vbx__strbuf_reset(&sb);
  if (!ok) {
    say(s, "out of memory writing the report");
    return VBX_EXIT_FAILED;
  }
  return vbx_result_status(r) == VBX_STATUS_OK ? VBX_EXIT_OK : VBX_EXIT_FAILED;
}

/* With --output json, the error document in place of the report (the
 * message went to stderr already). Returns exit_code. */
static int error_doc(vbx__sup *s, int exit_code, int code, const char *msg) {
  if (!s->o->json) return exit_code;
  vbx_error e;
  memset(&e, 0, sizeof(e));
  e.code = code;
  snprintf(e.message, sizeof(e.message), "%s", msg);
  char *doc = vbx__cli_error_doc(exit_code, &e);
  if (doc == NULL) {
    say(s, "out of memory writing the report");
    return VBX_EXIT_FAILED;
  }
  vbx__outq_push(&s->out, doc, strlen(doc));
  vbx__outq_push(&s->out, "\n", 1);
  free(doc);
  return exit_code;
}

/* A worker's LOAD_ERROR or RUN_ERROR text: to stderr, and as the document. */
static int worker_error(vbx__sup *s, const char *text, int exit_code, int code) {
  vbx__outq_push(&s->err, text, strlen(text));
  vbx__outq_push(&s->err, "\n", 1);
  return error_doc(s, exit_code, code ? code : VBX_E_GENERIC, text);
}

/* The exit code and output once the worker is gone. */
static int conclude(vbx__sup *s) {
  if (!s->loaded) {
    if (s->load_error != NULL)
      return worker_error(s, s->load_error, s->load_code ? s->load_code : VBX_EXIT_USAGE,
                          s->load_vbx_code);
    if (s->cancel_at != 0 && s->kill != VBX_SUP_KILL_LOAD) {
      say(s, "cancelled while loading plugins");
      return error_doc(s, VBX_EXIT_FAILED, VBX_E_CANCELLED, "cancelled while loading plugins");
    }
    char why[1200], msg[1300];
    vbx__sup_load_failure(s, why, sizeof(why));
    snprintf(msg, sizeof(msg), "plugin loading failed: %s", why);
    say(s, "%s", msg);
    return error_doc(s, VBX_EXIT_USAGE, s->kill == VBX_SUP_KILL_LOAD ? VBX_E_TIMEOUT : VBX_E_PLUGIN,
                     msg);
  }
  if (s->run_error != NULL)
    return worker_error(s, s->run_error, s->run_code ? s->run_code : VBX_EXIT_FAILED,
                        s->run_vbx_code);
  int clean =
      s->kill == VBX_SUP_NOT_KILLED && WIFEXITED(s->wstatus) && WEXITSTATUS(s->wstatus) == 0;
  if (s->final != NULL) {
    if (!clean) {
      char why[1200];
      vbx__sup_load_failure(s, why, sizeof(why)); /* same wording: how it ended */
      say(s, "warning: after the run, %s", why);
    }
    return print_result(s, s->final);
  }
  const char *why = vbx__sup_settle(s);
  say(s, "%s", why);
  sweep(s);
  print_result(s, s->partial);
  return VBX_EXIT_FAILED; /* the run did not end on its own */
}

static int start_worker(vbx__sup *s) {
  int ch[2];
  if (pipe2(ch, O_CLOEXEC) != 0) return -1;
  fcntl(ch[0], F_SETPIPE_SZ, (int)CHANNEL_PIPE_SIZE); /* fewer wakeups; the default when refused */
  fflush(stdout);
  fflush(stderr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(ch[0]);
    close(ch[1]);
    return -1;
  }
  if (pid == 0) {
    close(ch[0]);
    close(g_wake[0]);
    close(g_wake[1]);
    vbx__worker_args a = {.common = s->o->common,
                          .p = s->o->p,
                          .input = s->o->input,
                          .trace_path = s->o->trace_path,
                          .traceparent = s->o->traceparent,
                          .fd = ch[1],
                          .table = s->table,
                          .parent = parent};
    vbx__worker_main(&a);
  }
  close(ch[1]);
  fcntl(ch[0], F_SETFL, O_NONBLOCK);
  s->worker = pid;
  s->worker_fd = (int)syscall(SYS_pidfd_open, pid, 0); /* -1: the 100 ms poll still reaps */
  s->chan_fd = ch[0];
  return 0;
}

int vbx__supervise_run(const vbx__sup_options *o) {
  vbx__sup s;
  memset(&s, 0, sizeof(s));
  s.o = o;
  s.chan_fd = -1;
  s.worker_fd = -1;
  s.t_start = vbx__now_ns();
  vbx__outq_init(&s.out, STDOUT_FILENO);
  vbx__outq_init(&s.err, STDERR_FILENO);
  s.stream_q = o->json ? &s.err : &s.out;
  vbx__ch_decoder_init(&s.dec);
  int rc = VBX_EXIT_FAILED;
  s.printer = vbx__printer_new(s.stream_q);
  s.partial = vbx__result_new(o->p);
  s.table = vbx__inflight_map();
  if (s.printer == NULL || s.partial == NULL || s.table == NULL ||
      pipe2(g_wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    vbx__cli_error("cannot set up the run: %s", strerror(errno));
    goto out;
  }
  struct sigaction sa, old_int, old_term, old_pipe;
  memset(&sa, 0, sizeof(sa));
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, &old_pipe);
  if (start_worker(&s) != 0) {
    vbx__cli_error("cannot start the run's worker process: %s", strerror(errno));
  } else {
    loop(&s);
    rc = conclude(&s);
    rc = vbx__sup_telemetry_conclude(&s, s.final, rc);
    if (!o->json && s.out.broken) rc = VBX_EXIT_FAILED;
    g_drain_stop = 0;
    vbx__outq_drain(&s.err, 5000, &g_drain_stop);
    if (vbx__outq_drain(&s.out, -1, &g_drain_stop) != 0) {
      if (s.out.broken)
        fprintf(stderr, "voidbox: cannot write the %s to stdout: %s\n",
                o->json ? "report" : "summary", strerror(s.out.broken));
      rc = VBX_EXIT_FAILED;
    }
    vbx__sup_trace_show(&s);
  }
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  sigaction(SIGPIPE, &old_pipe, NULL);
out:
  if (g_wake[0] >= 0) close(g_wake[0]), close(g_wake[1]);
  g_wake[0] = g_wake[1] = -1;
  if (s.chan_fd >= 0) close(s.chan_fd);
  if (s.worker_fd >= 0) close(s.worker_fd);
  vbx__printer_free(s.printer);
  vbx__ch_decoder_free(&s.dec);
  vbx__outq_free(&s.out);
  vbx__outq_free(&s.err);
  vbx_result_free(s.partial);
  vbx_result_free(s.final);
  free(s.load_error);
  free(s.run_error);
  free(s.trace_error);
  vbx__inflight_unmap(s.table);
  return rc;
}
