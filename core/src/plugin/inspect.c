/*
 * plugin/inspect.c - see inspect.h.
 */
#include "plugin/inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugin/call.h"
#include "plugin/registry.h"
#include "util/error.h"
#include "util/strbuf.h"

#define REPORT_MAX ((size_t)1 << 20)
#define DEFAULT_TIMEOUT_MS 10000

static json_t *describe(const vbx__plugin *p, vbx_error *err) {
  json_t *o = json_object(), *impls = json_array();
  if (o == NULL || impls == NULL) {
    json_decref(o);
    json_decref(impls);
    return NULL;
  }
  json_object_set_new(o, "name", json_string(vbx__plugin_name(p)));
  json_object_set_new(o, "version", json_string(vbx__plugin_version(p)));
  json_object_set_new(o, "license", json_string(vbx__plugin_license(p)));
  json_object_set_new(o, "description", json_string(vbx__plugin_description(p)));
  json_object_set_new(o, "abi_major", json_integer(VBX_ABI_MAJOR));
  json_object_set_new(o, "abi_minor", json_integer(VBX_ABI_MINOR));
  json_object_set_new(o, "path", json_string(vbx__plugin_path(p)));
  const vbx__impl *im;
  for (size_t i = 0; (im = vbx__plugin_impl_at(p, i)) != NULL; i++) {
    json_t *e = json_object();
    json_object_set_new(e, "kind", json_string(vbx__kind_name(im->kind)));
    json_object_set_new(e, "name", json_string(im->name));
    json_array_append_new(impls, e);
  }
  json_object_set_new(o, "registers", impls);
  (void)err;
  return o;
}

static void write_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

/* The child: load, write {"ok":report} or {"error","code"}, exit. */
static void child_main(const char *path, int fd) {
  dup2(STDERR_FILENO, STDOUT_FILENO); /* plugin chatter must not reach our stdout */
  /* Crash handlers inherited from the host (or a sanitizer) would turn a
   * crash into an exit status: let the real signal end the child. */
  static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
  for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
    signal(fatal[i], SIG_DFL);
  vbx_error err;
  memset(&err, 0, sizeof(err));
  vbx__logger log = {VBX_LOG_ERROR, NULL, NULL, 0};
  vbx__registry *reg = NULL;
  json_t *out = NULL;
  int rc = vbx__registry_new(&log, NULL, &reg);
  if (rc == 0) rc = vbx__registry_load(reg, path, &err);
  if (rc == 0) {
    json_t *rep = describe(vbx__registry_plugin_at(reg, 0), &err);
    out = json_pack("{s:o*}", "ok", rep);
  } else {
    out = json_pack("{s:s,s:i}", "error", err.message[0] ? err.message : vbx_strerror(rc), "code",
                    rc);
  }
  char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
  if (text) write_all(fd, text, strlen(text));
  close(fd);
  vbx__registry_free(reg);
  _exit(text ? 0 : 3);
}

static int64_t ms_left(uint64_t deadline) {
  uint64_t now = vbx__now_ns();
  return now >= deadline ? 0 : (int64_t)((deadline - now) / 1000000u);
}

static const char *sig_name(int sig) {
  const char *n = sigabbrev_np(sig);
  return n ? n : "?";
}

/* Wait for pid until deadline; kill it when the deadline passes. Returns 1
 * when it exited in time (status set), 0 when it had to be killed. */
static int wait_child(pid_t pid, uint64_t deadline, int *status) {
  for (;;) {
    pid_t w = waitpid(pid, status, WNOHANG);
    if (w == pid) return 1;
    if (w < 0 && errno != EINTR) return 1;
    if (ms_left(deadline) == 0) {
      kill(pid, SIGKILL);
      while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
      }
      return 0;
    }
    struct timespec ts = {0, 5 * 1000000};
    nanosleep(&ts, NULL);
  }
}

static int parse_report(const char *text, const char *path, char **json_report, vbx_error *err) {
  json_error_t je;
  json_t *doc = json_loads(text, 0, &je);
  if (doc == NULL)
    return vbx__error_set(err, VBX_E_PROTOCOL, "%s: inspect child sent a malformed report: %s",
                          path, je.text);
  int rc = 0;
  json_t *ok = json_object_get(doc, "ok");
  if (json_is_object(ok)) {
    *json_report = json_dumps(ok, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (*json_report == NULL) rc = vbx__error_set(err, VBX_E_NOMEM, "%s: out of memory", path);
  } else {
    const char *msg = json_string_value(json_object_get(doc, "error"));
    json_int_t code = json_integer_value(json_object_get(doc, "code"));
    if (code >= 0 || code < -1000) code = VBX_E_PLUGIN;
    rc = vbx__error_set(err, (int)code, "%s", msg ? msg : "plugin failed to load");
  }
  json_decref(doc);
  return rc;
}

int vbx__plugin_inspect(const char *path, int timeout_ms, char **json_report, vbx_error *err) {
  *json_report = NULL;
  if (path == NULL || path[0] == '\0')
    return vbx__error_set(err, VBX_E_INVAL, "plugin inspect: no path");
  if (timeout_ms <= 0) timeout_ms = DEFAULT_TIMEOUT_MS;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return vbx__error_set(err, VBX_E_IO, "plugin inspect: pipe: %s", strerror(errno));
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return vbx__error_set(err, VBX_E_IO, "plugin inspect: fork: %s", strerror(errno));
  }
  if (pid == 0) {
    close(fds[0]);
    child_main(path, fds[1]);
  }
  close(fds[1]);
  uint64_t deadline = vbx__now_ns() + (uint64_t)timeout_ms * 1000000u;
  vbx__strbuf sb = VBX__STRBUF_INIT;
  int rc = 0, too_big = 0, timed_out = 0;
  for (;;) {
    int64_t left = ms_left(deadline);
    if (left == 0) {
      timed_out = 1;
      break;
    }
    struct pollfd pfd = {fds[0], POLLIN, 0};
    int pr = poll(&pfd, 1, (int)(left > 100000 ? 100000 : left));
    if (pr < 0 && errno == EINTR) continue;
    if (pr <= 0) continue;
    char buf[8192];
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (sb.len + (size_t)n > REPORT_MAX) {
      too_big = 1;
      break;
    }
    vbx__strbuf_append(&sb, buf, (size_t)n);
  }
  close(fds[0]);
  int status = 0;
  if (timed_out || !wait_child(pid, deadline, &status)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    rc =
        vbx__error_set(err, VBX_E_TIMEOUT,
                       "%s: plugin inspect timed out after %d ms (child killed)", path, timeout_ms);
  } else if (too_big) {
    rc = vbx__error_set(err, VBX_E_TOOBIG, "%s: inspect report larger than %zu bytes", path,
                        REPORT_MAX);
  } else if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    rc = vbx__error_set(err, VBX_E_PLUGIN, "%s: plugin crashed while %s: signal %d (SIG%s)", path,
                        sb.len ? "unloading" : "loading", sig, sig_name(sig));
  } else if (sb.failed) {
    rc = vbx__error_set(err, VBX_E_NOMEM, "%s: out of memory", path);
  } else if (sb.len == 0) {
    rc = vbx__error_set(err, VBX_E_PLUGIN, "%s: inspect child exited with status %d and no report",
                        path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  } else {
    rc = parse_report(sb.data, path, json_report, err);
  }
  vbx__strbuf_reset(&sb);
  return rc;
}
