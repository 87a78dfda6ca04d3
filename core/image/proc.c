/*
 * image/proc.c - child processes for the image builder.
 */
#include "image/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "image/fsutil.h"
#include "util/error.h"

double vbx__img_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The last non-empty line of the log (at most 120 chars) into buf. */
static void last_line(const char *path, char *buf, size_t size) {
  buf[0] = '\0';
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char tail[512];
  off_t end = lseek(fd, 0, SEEK_END);
  off_t from = end > (off_t)sizeof(tail) - 1 ? end - (off_t)sizeof(tail) + 1 : 0;
  ssize_t n = pread(fd, tail, sizeof(tail) - 1, from);
  close(fd);
  if (n <= 0) return;
  tail[n] = '\0';
  while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == '\r'))
    tail[--n] = '\0';
  char *nl = strrchr(tail, '\n');
  const char *s = nl ? nl + 1 : tail;
  while (*s == ' ')
    s++;
  snprintf(buf, size, "%.120s", s);
}

void vbx__img_log_tail(const char *path, int lines, FILE *out) {
  char *text = NULL;
  size_t len = 0;
  if (vbx__img_read_file(path, (size_t)1 << 30, &text, &len)) {
    fprintf(out, "  | (log %s unreadable)\n", path);
    return;
  }
  size_t i = len;
  int seen = 0;
  if (i && text[i - 1] == '\n') i--;
  while (i > 0 && seen < lines) {
    i--;
    if (text[i] == '\n') seen++;
  }
  if (seen == lines) i++;
  const char *p = text + i;
  while (*p) {
    const char *nl = strchr(p, '\n');
    int n = nl ? (int)(nl - p) : (int)strlen(p);
    fprintf(out, "  | %.*s\n", n, p);
    p += n + (nl ? 1 : 0);
  }
  free(text);
}

static void child_exec(const char *const *argv, const char *cwd, const char *const *extra_env,
                       int outfd, int errfd) {
  int nul = open("/dev/null", O_RDONLY);
  if (nul >= 0) dup2(nul, 0);
  if (outfd >= 0) dup2(outfd, 1);
  if (errfd >= 0) dup2(errfd, 2);
  if (cwd && chdir(cwd)) _exit(126);
  for (size_t i = 0; extra_env && extra_env[i]; i++)
    putenv((char *)extra_env[i]);
  signal(SIGPIPE, SIG_DFL);
  execvp(argv[0], (char *const *)argv);
  _exit(127);
}

int vbx__img_run_logged(const char *const *argv, const char *cwd, const char *const *extra_env,
                        const char *log_path, const char *what, int heartbeat_secs, FILE *progress,
                        vbx_error *err) {
  int logfd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (logfd < 0)
    return vbx__error_set(err, VBX_E_IO, "%s: cannot open log %s: %s", what, log_path,
                          strerror(errno));
  dprintf(logfd, "\n=== voidbox image: %s:", what);
  for (size_t i = 0; argv[i]; i++)
    dprintf(logfd, " %s", argv[i]);
  dprintf(logfd, "\n");
  pid_t pid = fork();
  if (pid < 0) {
    close(logfd);
    return vbx__error_set(err, VBX_E_IO, "%s: fork: %s", what, strerror(errno));
  }
  if (pid == 0) child_exec(argv, cwd, extra_env, logfd, logfd);
  close(logfd);
  double start = vbx__img_now(), next = start + heartbeat_secs;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, heartbeat_secs ? WNOHANG : 0);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      return vbx__error_set(err, VBX_E_IO, "%s: waitpid: %s", what, strerror(errno));
    }
    if (r == 0) {
      struct timespec ts = {0, 200 * 1000 * 1000};
      nanosleep(&ts, NULL);
      double now = vbx__img_now();
      if (progress && now >= next) {
        char last[128];
        last_line(log_path, last, sizeof(last));
        fprintf(progress, "image: %s: still running (%.0f s, last: %s)\n", what, now - start, last);
        fflush(progress);
        next = now + heartbeat_secs;
      }
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  FILE *o = progress ? progress : stderr;
  fprintf(o, "image: %s failed; last lines of %s:\n", what, log_path);
  vbx__img_log_tail(log_path, 25, o);
  if (WIFEXITED(status))
    return vbx__error_set(err, VBX_E_GENERIC, "%s: `%s` exited with status %d (log: %s)", what,
                          argv[0], WEXITSTATUS(status), log_path);
  return vbx__error_set(err, VBX_E_GENERIC, "%s: `%s` killed by signal %d (log: %s)", what, argv[0],
                        WIFSIGNALED(status) ? WTERMSIG(status) : 0, log_path);
}

int vbx__img_capture(const char *const *argv, size_t max, char **out) {
  int p[2], rc = VBX_E_GENERIC;
  if (pipe2(p, O_CLOEXEC)) return VBX_E_IO;
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return VBX_E_IO;
  }
  if (pid == 0) {
    int nul = open("/dev/null", O_WRONLY);
    child_exec(argv, NULL, NULL, p[1], nul);
  }
  close(p[1]);
  size_t len = 0, cap = 4096 < max + 1 ? 4096 : max + 1;
  char *buf = malloc(cap);
  int toobig = 0;
  while (buf) {
    if (len + 1 == cap) {
      if (cap == max + 1) {
        char c;
        toobig = read(p[0], &c, 1) > 0;
        break;
      }
      size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
      char *nb = realloc(buf, ncap);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb, cap = ncap;
    }
    ssize_t n = read(p[0], buf + len, cap - 1 - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
  }
  close(p[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!buf) return VBX_E_NOMEM;
  buf[len] = '\0';
  if (toobig)
    rc = VBX_E_TOOBIG;
  else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    rc = VBX_E_NOTFOUND;
  else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    rc = 0;
  if (rc) {
    free(buf);
    return rc;
  }
  *out = buf;
  return 0;
}
