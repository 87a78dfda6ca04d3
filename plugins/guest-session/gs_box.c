/*
 * guest-session/gs_box.c - the shell of an agent-backed box (gs_box.h):
 * create (environment, lifetime, owner, box directory, secret, the
 * backend's start and connect) and teardown (SHUTDOWN, bounded wait, kill,
 * reap, close, the backend's release, the directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gs_box.h"
#include "util/wipe.h"
#include "voidbox/protocol/protocol.h"

#define KILL_REAP_MS 5000u

/* The session's why_dead: wait for the exit only once the connection has
 * ended (while it lives, the process is not exiting). */
static void session_why_dead(void *ctx, char *msg, size_t cap) {
  gs_box *b = ctx;
  int dead = b->gs.conn != NULL && gc_dead(b->gs.conn, NULL, 0);
  gs_box_why_dead(b, dead ? b->ops->exit_wait_ms : 0, msg, cap);
}

void gs_box_init(gs_box *b, const vbx_host_services *h, const gs_box_ops *ops, char *name) {
  b->ops = ops;
  b->host = h;
  b->name = name;
  b->pid = -1;
  b->status = -1;
  pthread_mutex_init(&b->pid_lock, NULL);
  b->gs.host = h;
  b->gs.name = name ? name : "box";
  b->gs.why_dead = session_why_dead;
  b->gs.why_ctx = b;
}

const char *gs_work_root(const char *opt) {
  const char *tmp = getenv("TMPDIR");
  return opt ? opt : tmp && tmp[0] ? tmp : "/tmp";
}

void gs_box_path(const gs_box *b, const char *file, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s", b->dir, file);
}

void gs_box_set_pid(gs_box *b, pid_t pid) {
  pthread_mutex_lock(&b->pid_lock);
  b->pid = pid;
  pthread_mutex_unlock(&b->pid_lock);
  if (b->ops->proc_file == NULL) return;
  /* For a later voidbox's sweep, should the process outlive this one. */
  int rc = gs_owner_record_pid(b->dir, b->ops->proc_file, pid);
  if (rc != 0 && rc != -ESRCH) /* ESRCH: it exited already (reported later) */
    b->host->log(b->host->ctx, VBX_LOG_WARN, "box %s: cannot record its process in %s: %s", b->name,
                 b->dir, strerror(-rc));
}

/* The box directory root/<prefix><dir_name>-XXXXXX (mode 0700: nobody
 * else reaches the box) and its owner record. */
static int make_dir(gs_box *b, const char *root, int root_set, const char *dir_name,
                    vbx_call *call) {
  const vbx_host_services *h = b->host;
  const char *field = root_set ? "work_root" : NULL;
  char text[700];
  int n = snprintf(b->dir, sizeof b->dir, "%s/%s%s-XXXXXX", root, b->ops->dir_prefix, dir_name);
  size_t sun = sizeof(((struct sockaddr_un *)0)->sun_path);
  if (n <= 0 || (size_t)n + 2 + strlen(b->ops->sock_name) > sun) {
    b->dir[0] = '\0';
    return h->set_error(call, VBX_E_TOOBIG, field,
                        "box directory under %s: path too long for a Unix socket (set "
                        "work_root to a shorter directory)",
                        root);
  }
  if (mkdtemp(b->dir) == NULL) {
    int e = errno;
    b->dir[0] = '\0';
    return h->set_error(call, VBX_E_SANDBOX, field, "cannot create a box directory under %s: %s",
                        root, strerror(e));
  }
  /* Who owns it, so that a later voidbox removes it if this process dies
   * without doing so (gs_sweep.c). */
  int len = b->ops->owner_text ? b->ops->owner_text(b, text, sizeof text)
                               : gs_owner_format(&b->owner, NULL, text, sizeof text);
  int dfd = open(b->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int rc = dfd < 0   ? -errno
           : len < 0 ? -ENAMETOOLONG
                     : gs_write_new(dfd, "owner", text, (size_t)len);
  if (dfd >= 0) close(dfd);
  if (rc != 0) {
    rmdir(b->dir);
    b->dir[0] = '\0';
    return h->set_error(call, VBX_E_IO, NULL,
                        "cannot write the owner of a box directory under %s: %s", root,
                        strerror(-rc));
  }
  return 0;
}

int gs_box_create(gs_box *b, const vbx_sandbox_config *cfg, const char *root, int work_root_set,
                  const char *dir_name, vbx_call *call) {
  const vbx_host_services *h = b->host;
  if (b->name == NULL || (b->gs.env = guest_default_env(cfg->env)) == NULL)
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  if (cfg->timeout_secs)
    b->gs.expires_ns = h->monotonic_ns() + (uint64_t)cfg->timeout_secs * 1000000000ull;
  int rc = gs_owner_of(getpid(), &b->owner);
  if (rc != 0)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "cannot read this process's start time: %s",
                        strerror(-rc));
  if ((rc = make_dir(b, root, work_root_set, dir_name, call)) != 0) return rc;
  if (getrandom(b->secret, sizeof b->secret, 0) != (ssize_t)sizeof b->secret)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "getrandom: %s", strerror(errno));
  /* Two phase spans under the host's "sandbox.create": the backend's
   * process started, then the guest booted and the handshake done. */
  vbx_span *phase = h->span_begin(h->ctx, "sandbox.start", NULL);
  rc = b->ops->start(b, cfg, call);
  h->span_end(phase, rc);
  uint32_t gw =
      VBX_HAS_MEMBER(cfg, vbx_sandbox_config, llm_gateway_port) ? cfg->llm_gateway_port : 0;
  if (rc == 0 && gw != b->gw_host_port) /* the backend did not call gs_gateway_plan */
    rc = h->set_error(call, VBX_E_UNSUPPORTED, NULL,
                      "box %s: this sandbox backend cannot give the box an LLM gateway", b->name);
  if (rc == 0) {
    phase = h->span_begin(h->ctx, "sandbox.connect", NULL);
    rc = b->ops->connect(b, call);
    h->span_end(phase, rc);
  }
  vbx__wipe(b->secret, sizeof b->secret);
  if (rc == 0) rc = gs_gateway_start(b, call);
  return rc;
}

/* Reap the process, waiting at most wait_ms; then SIGKILL and reap it
 * (KILL_REAP_MS bound) if it still runs. Caller holds nothing. */
static void stop_process(gs_box *b, unsigned wait_ms) {
  int st;
  if (gs_box_wait_exit(b, wait_ms, &st)) return;
  if (b->gs.conn != NULL)
    b->host->log(b->host->ctx, VBX_LOG_WARN,
                 "box %s: its process did not stop after SHUTDOWN; killing it", b->name);
  /* Under pid_lock: no other thread may reap it (and free the pid for
   * reuse) between the check and the kill. */
  pthread_mutex_lock(&b->pid_lock);
  if (b->pid > 0)
    kill(b->pid, SIGKILL); /* as PID 1 of a pid namespace: takes every command with it */
  pthread_mutex_unlock(&b->pid_lock);
  if (!gs_box_wait_exit(b, KILL_REAP_MS, &st))
    b->host->log(b->host->ctx, VBX_LOG_WARN, "box %s: its process is not gone 5 s after SIGKILL",
                 b->name);
}

void gs_box_teardown(gs_box *b) {
  gs_gateway_stop(b); /* the gateway's connections close at once */
  if (b->gs.conn != NULL) {
    struct vbx_proto_msg m = {.type = VBX_PROTO_T_SHUTDOWN, .id = 0, .u.grace_ms = 200};
    gc_send_msg(b->gs.conn, &m);
  }
  stop_process(b, b->gs.conn ? b->ops->stop_wait_ms : 0);
  if (b->gs.conn != NULL) {
    gc_close(b->gs.conn);
    b->gs.conn = NULL;
  }
  if (b->ops->after_stop) b->ops->after_stop(b);
  int removed = 1;
  if (b->dir[0]) {
    int rc = gs_rmtree(b->dir, 1);
    if (rc != 0) {
      b->host->log(b->host->ctx, VBX_LOG_WARN, "box %s: cannot remove %s: %s", b->name, b->dir,
                   strerror(-rc));
      removed = 0;
    }
  }
  if (b->ops->release) b->ops->release(b, removed);
  b->dir[0] = '\0';
}

void gs_box_clear(gs_box *b) {
  guest_env_free(b->gs.env);
  b->gs.env = NULL;
  free(b->name);
  b->name = NULL;
  pthread_mutex_destroy(&b->pid_lock);
}
