/*
 * tests/bench/bench_local.c - sandbox-local figures, each beside its peer
 * measured in the same run, interleaved with it (the machine is shared and
 * noisy: ratios, not times), each headline figure also printed as a BENCH
 * line (bench_report.h) for scripts/bench.sh:
 *
 *   1. box create through the plugin's vtable (namespaces, root, agent,
 *      handshake) and destroy, p50 over CREATES boxes, beside a whole
 *      `bwrap --unshare-all ... true` command;
 *   2. exec round trip of /bin/true in one box vs posix_spawn+wait on the
 *      host (p50, p99; blocks of each, alternating), and vs a fresh bwrap
 *      per command;
 *   3. 1 GiB of stdout streamed through on_output vs the host reading the
 *      same command from a pipe, with the host's VmHWM before and after;
 *   4. the whole one-command lifecycle through the CLI (`voidbox run` of a
 *      spec whose mock model runs `true` once) on the local backend, and on
 *      the mock backend as a floor, vs `bwrap ... true`;
 *   5. the CLI streaming 1 GiB of box output to /dev/null and to a file vs
 *      the same shell pipeline on the host, and the CLI's peak RSS.
 *
 * Needs root (namespaces); prints SKIP and exits 77 otherwise. Without
 * bwrap the figures are printed without that peer ("bwrap not installed").
 * Exit 1 when a measured command fails. About a minute on 2 shared cores.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_report.h"
#include "plugin/call.h"
#include "plugin/registry.h"

#define EXEC_BLOCKS 20 /* exec vs fork/exec: blocks of EXEC_BLOCK each */
#define EXEC_BLOCK 50
#define EXEC_N (EXEC_BLOCKS * EXEC_BLOCK)
#define BWRAP_N 60           /* exec vs a fresh bwrap, one of each in turn */
#define CREATES 20           /* box create/destroy, each beside a bwrap command */
#define CLI_RUNS 20          /* one-command lifecycles of each kind */
#define RSS_RUNS 3           /* ... and local ones for their peak RSS */
#define STREAM_MAX 3         /* CLI stream rounds, at most ... */
#define STREAM_BUDGET_S 25.0 /* ... and no new round after this long */
#define GIB 1073741824ull
#define SPAWN_TIMEOUT_MS 180000

/* 95 characters and a newline: the CLI adds an 8-byte "[one] | " prefix */
#define LINE                                                                                 \
  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567" \
  "89abcde"
#define STREAM_CMD "yes " LINE " | head -c 1073741824"
#define BWRAP_ARGS                                                                                 \
  "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", \
      "--tmpfs", "/tmp", "/bin/true"

extern char **environ;

static uint64_t now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
static int cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}
static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}
/* Nearest-rank percentile p (0..1) of v[0..n), in ms; sorts v. */
static double pct_ms(uint64_t *v, size_t n, double p) {
  qsort(v, n, sizeof v[0], cmp);
  size_t i = (size_t)(p * (double)n + 0.999999);
  return (double)v[i ? i - 1 : 0] / 1e6;
}
static long status_kib(pid_t pid, const char *key) {
  char path[64], l[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  long v = -1;
  size_t k = strlen(key);
  while (f && fgets(l, sizeof l, f))
    if (strncmp(l, key, k) == 0) v = strtol(l + k, NULL, 10);
  if (f) fclose(f);
  return v;
}

/* ---- spawning host commands ---- */

typedef struct {
  uint64_t ns;     /* posix_spawn to wait4's return */
  int status;      /* wait status; -1 when timed out (killed) */
  long maxrss_kib; /* wait4: the largest process in its tree (its own: RUN_RSS) */
  long parent_hwm; /* sampled VmHWM of the process, KiB (RUN_SAMPLE) */
  long worker_hwm; /* ... and the largest of its children */
} run_out;

static void sample_tree(pid_t pid, run_out *o) {
  long v = status_kib(pid, "VmHWM:");
  if (v > o->parent_hwm) o->parent_hwm = v;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *d = opendir(path);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char cp[300], buf[512];
    snprintf(cp, sizeof cp, "/proc/%d/task/%s/children", (int)pid, e->d_name);
    FILE *f = fopen(cp, "r");
    if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    for (char *s = buf, *end; *s; s = end) {
      long c = strtol(s, &end, 10);
      if (end == s) break;
      long h = status_kib((pid_t)c, "VmHWM:");
      if (h > o->worker_hwm) o->worker_hwm = h;
    }
  }
  if (d) closedir(d);
}

enum { RUN_SAMPLE = 1, RUN_RSS = 2 };

/* Runs argv (PATH searched) in its own process group with stdin from
 * /dev/null, stdout to out (NULL: /dev/null), stderr to err (NULL:
 * /dev/null; err == out: the same file); waits for it, killing the group
 * after SPAWN_TIMEOUT_MS. RUN_SAMPLE: the process's and its children's
 * VmHWM are read every 20 ms while it runs. RUN_RSS: it is started in the
 * background by `sh` and waited as an orphan (main makes this process a
 * child subreaper), so that o->maxrss_kib is its tree's own: exec records
 * the peak RSS of the address space it leaves, and a child spawned here
 * directly leaves ours (posix_spawn shares it until exec), which would put
 * this process's peak under every figure; sh's is ~1 MiB. The time then
 * includes starting sh (about a millisecond).
 * Returns 0 when it ran (o->status says how it ended), -errno otherwise. */
static int run_cmd(char *const argv[], const char *out, const char *err, int flags, run_out *o) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  char *shv[16];
  int pfds[2] = {-1, -1};
  memset(o, 0, sizeof *o);
  posix_spawn_file_actions_init(&fa);
  if (flags & RUN_RSS) {
    size_t n = 0;
    while (argv[n])
      n++;
    if (n + 5 > sizeof shv / sizeof shv[0] || pipe2(pfds, O_CLOEXEC) != 0) return -EINVAL;
    shv[0] = "sh", shv[1] = "-c", shv[2] = "\"$@\" 3>&- & echo $! >&3", shv[3] = "sh";
    memcpy(shv + 4, argv, (n + 1) * sizeof *argv);
    argv = shv;
    posix_spawn_file_actions_adddup2(&fa, pfds[1], 3);
  }
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  if (err && out && strcmp(err, out) == 0)
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  else
    posix_spawn_file_actions_addopen(&fa, 2, err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
  posix_spawnattr_init(&at);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&at, 0);
  pid_t pid;
  uint64_t t0 = now();
  int rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (pfds[1] >= 0) close(pfds[1]);
  if (rc != 0) {
    if (pfds[0] >= 0) close(pfds[0]);
    return -rc;
  }
  pid_t group = pid;
  if (flags & RUN_RSS) { /* the background pid, then sh's exit */
    char buf[32];
    ssize_t n = read(pfds[0], buf, sizeof buf - 1);
    close(pfds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    if (n <= 0 || st != 0) return -ECHILD;
    buf[n] = 0;
    pid = (pid_t)strtol(buf, NULL, 10);
  }
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  uint64_t deadline = t0 + (uint64_t)SPAWN_TIMEOUT_MS * 1000000u;
  int killed = 0;
  while (pfd >= 0) {
    if (flags & RUN_SAMPLE) sample_tree(pid, o);
    uint64_t t = now();
    if (t >= deadline) {
      kill(-group, SIGKILL);
      killed = 1;
      break;
    }
    int wait_ms = (int)((deadline - t) / 1000000u) + 1;
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    if (poll(&p, 1, (flags & RUN_SAMPLE) && wait_ms > 20 ? 20 : wait_ms) > 0) break;
  }
  struct rusage ru;
  int st = 0;
  while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR) {
  }
  o->ns = now() - t0;
  if (pfd >= 0) close(pfd);
  o->status = killed ? -1 : st;
  o->maxrss_kib = ru.ru_maxrss;
  return 0;
}
static int ran_ok(const run_out *o) { return o->status == 0; }
static void say_status(const char *what, const run_out *o) {
  if (o->status == -1)
    printf("%s: timed out after %d s (killed)\n", what, SPAWN_TIMEOUT_MS / 1000);
  else if (WIFEXITED(o->status))
    printf("%s: exited %d\n", what, WEXITSTATUS(o->status));
  else
    printf("%s: killed by signal %d\n", what, WTERMSIG(o->status));
}

/* bwrap's path, or NULL with *why set when it is missing or cannot run. */
static const char *find_bwrap(const char **why) {
  static char path[4096];
  const char *p = getenv("PATH");
  *why = "bwrap not installed";
  for (const char *s = p ? p : "/usr/bin:/bin"; *s;) {
    size_t n = strcspn(s, ":");
    snprintf(path, sizeof path, "%.*s/bwrap", (int)n, s);
    s += n + (s[n] == ':');
    if (access(path, X_OK) != 0) continue;
    char *const argv[] = {path, BWRAP_ARGS, NULL};
    run_out o;
    if (run_cmd(argv, NULL, NULL, 0, &o) == 0 && ran_ok(&o)) return path;
    *why = "bwrap installed but `bwrap --unshare-all ... true` failed";
    return NULL;
  }
  return NULL;
}

/* ---- the box through the plugin's vtable ---- */

typedef struct {
  vbx__registry *reg;
  const vbx_sandbox_backend_vtable *vt;
  void *state;
  const vbx_host_services *h;
  vbx_json *opts;
  vbx_sandbox_config cfg;
} plugin;

static int plugin_open(plugin *p) {
  vbx_error err;
  memset(&err, 0, sizeof err);
  memset(p, 0, sizeof *p);
  vbx__logger log = {VBX_LOG_WARN, NULL, NULL, 0};
  if (vbx__registry_new(&log, NULL, &p->reg) != 0 ||
      vbx__registry_load(p->reg, VBX_BENCH_PLUGIN_DIR "/sandbox-local.so", &err) != 0) {
    printf("cannot load sandbox-local.so: %s\n", err.message);
    return -1;
  }
  vbx__registry_freeze(p->reg);
  const vbx__impl *impl = vbx__registry_find(p->reg, VBX_KIND_SANDBOX, "local");
  p->vt = impl->vtable;
  p->state = impl->plugin_state;
  p->h = vbx__plugin_host(impl->plugin);
  const char *o = "{\"agent_path\":\"" VBX_BENCH_AGENT "\"}";
  p->opts = p->h->json_parse(o, strlen(o), NULL);
  /* as the CLI specs below: memory_mb 256, vcpus 1, no network */
  p->cfg = (vbx_sandbox_config){.struct_size = sizeof p->cfg,
                                .box_name = "bench",
                                .memory_mb = 256,
                                .vcpus = 1,
                                .options = p->opts};
  return 0;
}
static void plugin_close(plugin *p) {
  p->h->json_decref(p->opts);
  vbx__registry_free(p->reg);
}
static int box_create(plugin *p, void **box) {
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  if (p->vt->create(p->state, &p->cfg, &call, box) == 0) return 0;
  printf("create failed: %s\n", call.message);
  return -1;
}
static int box_exec(plugin *p, void *box, const char *const *argv, vbx_output_fn fn) {
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  vbx_exec_request req = {.struct_size = sizeof req, .argv = argv};
  if (fn) req.on_output = fn, req.max_output_bytes = 1 << 20;
  vbx_exec_result res = {.struct_size = sizeof res};
  if (p->vt->exec(box, &req, &res, &call) != 0) {
    printf("exec %s failed: %s\n", argv[0], call.message);
    return -1;
  }
  p->h->free(res.stdout_data);
  p->h->free(res.stderr_data);
  if (res.exit_code != 0) printf("exec %s exited %d\n", argv[0], res.exit_code);
  return res.exit_code == 0 ? 0 : -1;
}

static const char *k_true[] = {"/bin/true", NULL};
static const char *k_big[] = {"/bin/sh", "-c", "head -c 1073741824 /dev/zero", NULL};

/* 1. create and destroy, each round beside one whole bwrap command. */
static int bench_create(plugin *p, const char *bwrap, const char *bwrap_why) {
  uint64_t c[CREATES], d[CREATES], b[CREATES];
  char *const bargv[] = {(char *)bwrap, BWRAP_ARGS, NULL};
  for (int i = 0; i < CREATES; i++) {
    void *box;
    uint64_t t0 = now();
    if (box_create(p, &box) != 0) return -1;
    c[i] = now() - t0;
    t0 = now();
    p->vt->destroy(box);
    d[i] = now() - t0;
    run_out o;
    if (bwrap && (run_cmd(bargv, NULL, NULL, 0, &o) != 0 || !ran_ok(&o))) return -1;
    b[i] = bwrap ? o.ns : 0;
  }
  double c50 = pct_ms(c, CREATES, .5), c90 = pct_ms(c, CREATES, .9);
  double d50 = pct_ms(d, CREATES, .5), b50 = bwrap ? pct_ms(b, CREATES, .5) : NAN;
  printf(
      "box create (namespaces + root + agent + handshake): p50 %.2f ms  p90 %.2f ms (%d boxes)\n",
      c50, c90, CREATES);
  printf("box destroy:                                        p50 %.2f ms\n", d50);
  if (bwrap)
    printf("bwrap --unshare-all ... true, whole command:        p50 %.2f ms (in turn)\n", b50);
  else
    printf("bwrap peer: %s\n", bwrap_why);
  bench_figure("local box create p50", c50, "ms",
               bwrap ? "bwrap --unshare-all true (whole command)" : bwrap_why, b50, "value<=5");
  bench_figure("local box destroy p50", d50, "ms", NULL, NAN, NULL);
  return 0;
}

/* 2. exec round trips in one box vs fork/exec, then vs a fresh bwrap. */
static int bench_exec(plugin *p, void *box, const char *bwrap, const char *bwrap_why) {
  static uint64_t lat[EXEC_N], host[EXEC_N];
  char *const targv[] = {(char *)"/bin/true", NULL};
  for (int blk = 0; blk < EXEC_BLOCKS; blk++)
    for (int half = 0; half < 2; half++) {
      int ours = (half == 0) == (blk % 2 == 0); /* alternate which goes first */
      for (int j = 0; j < EXEC_BLOCK; j++) {
        int i = blk * EXEC_BLOCK + j;
        uint64_t s = now();
        if (ours) {
          if (box_exec(p, box, k_true, NULL) != 0) return -1;
          lat[i] = now() - s;
        } else {
          pid_t pid;
          if (posix_spawn(&pid, "/bin/true", NULL, NULL, targv, environ) != 0) return -1;
          waitpid(pid, NULL, 0);
          host[i] = now() - s;
        }
      }
    }
  double l50 = pct_ms(lat, EXEC_N, .5), l99 = pct_ms(lat, EXEC_N, .99);
  double h50 = pct_ms(host, EXEC_N, .5), h99 = pct_ms(host, EXEC_N, .99);
  printf("exec `true` via sandbox-local: p50 %.3f ms  p99 %.3f ms  (%d calls)\n", l50, l99, EXEC_N);
  printf("plain spawn+wait on the host:  p50 %.3f ms  p99 %.3f ms  (blocks of %d in turn)\n", h50,
         h99, EXEC_BLOCK);
  printf("ratio sandbox/host: p50 %.2fx  p99 %.2fx\n", l50 / h50, l99 / h99);
  bench_figure("local exec true p50", l50, "ms", "fork/exec (posix_spawn+wait)", h50, "ratio<=1.5");
  bench_figure("local exec true p99/p50", l99 / l50, "x", NULL, NAN, "value<=3");

  uint64_t ours[BWRAP_N], peer[BWRAP_N];
  char *const bargv[] = {(char *)bwrap, BWRAP_ARGS, NULL};
  for (int i = 0; i < BWRAP_N; i++) {
    for (int k = 0; k < 2; k++) {
      if ((k == 0) == (i % 2 == 0)) {
        uint64_t s = now();
        if (box_exec(p, box, k_true, NULL) != 0) return -1;
        ours[i] = now() - s;
      } else if (bwrap) {
        run_out o;
        if (run_cmd(bargv, NULL, NULL, 0, &o) != 0 || !ran_ok(&o)) return -1;
        peer[i] = o.ns;
      }
    }
  }
  double o50 = pct_ms(ours, BWRAP_N, .5), p50 = bwrap ? pct_ms(peer, BWRAP_N, .5) : NAN;
  if (bwrap)
    printf(
        "per command: exec in a box p50 %.3f ms vs a fresh `bwrap --unshare-all ... true` p50 "
        "%.3f ms (%.2fx, %d each in turn)\n",
        o50, p50, o50 / p50, BWRAP_N);
  else
    printf("per command: exec in a box p50 %.3f ms; %s\n", o50, bwrap_why);
  bench_figure("local exec vs bwrap per command", o50, "ms",
               bwrap ? "bwrap --unshare-all true (fresh, spawn+wait)" : bwrap_why, p50, "ratio<=1");
  return 0;
}

static uint64_t g_streamed;
static int on_out(void *u, vbx_stream s, const char *d, size_t n) {
  (void)u, (void)s, (void)d;
  g_streamed += n;
  return 0;
}
/* The peer of on_output: the host reads the same command from a pipe. */
static int pipe_read(uint64_t *bytes) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  pid_t pid;
  int rc = posix_spawn(&pid, k_big[0], &fa, NULL, (char *const *)k_big, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return -1;
  }
  static char buf[1 << 16];
  ssize_t n;
  *bytes = 0;
  while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) *bytes += (uint64_t)n;
  close(fds[0]);
  int st;
  waitpid(pid, &st, 0);
  return st == 0 ? 0 : -1;
}

/* 3. 1 GiB through on_output vs the host's own pipe read, in turn. */
static int bench_api_stream(plugin *p, void *box) {
  enum { ROUNDS = 3 };
  double ours[ROUNDS], peer[ROUNDS];
  long hwm0 = status_kib(getpid(), "VmHWM:");
  for (int r = 0; r < ROUNDS; r++) {
    g_streamed = 0;
    uint64_t s = now();
    if (box_exec(p, box, k_big, on_out) != 0) return -1;
    double secs = (double)(now() - s) / 1e9;
    if (g_streamed != GIB) {
      printf("stream: %llu bytes arrived, not %llu\n", (unsigned long long)g_streamed, GIB);
      return -1;
    }
    ours[r] = (double)GIB / 1e6 / secs;
    uint64_t got;
    s = now();
    if (pipe_read(&got) != 0 || got != GIB) return -1;
    peer[r] = (double)GIB / 1e6 / ((double)(now() - s) / 1e9);
  }
  long hwm1 = status_kib(getpid(), "VmHWM:");
  qsort(ours, ROUNDS, sizeof ours[0], cmp_double);
  qsort(peer, ROUNDS, sizeof peer[0], cmp_double);
  printf(
      "stream 1 GiB stdout via on_output: %.1f MB/s (median of %d; host pipe read of the same "
      "command %.1f MB/s); host VmHWM %ld -> %ld KiB\n",
      ours[ROUNDS / 2], ROUNDS, peer[ROUNDS / 2], hwm0, hwm1);
  bench_figure("local API stream 1 GiB", ours[ROUNDS / 2], "MB/s",
               "host reads `head -c 1GiB /dev/zero` from a pipe", peer[ROUNDS / 2], "value>=1000");
  bench_figure("local API stream RSS growth", (double)(hwm1 - hwm0), "KiB", NULL, NAN,
               "value<=32768");
  return 0;
}

/* ---- the CLI: `voidbox run --file SPEC` ---- */

typedef struct {
  char dir[64];
  char local[128], mock[128], stream[128], out[128], log[128];
} cli_files;

static int write_spec(const char *path, const char *backend, const char *cmd) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fprintf(f,
          "api_version: v1\nkind: pipeline\nname: bench_local\n"
          "sandbox: {backend: %s, memory_mb: 256, vcpus: 1, network: false}\n"
          "llm: {provider: mock}\n"
          "pipeline:\n  boxes:\n    - name: one\n      prompt: run one command\n"
          "      llm:\n        turns:\n"
          "          - tool_calls: [{name: bash, input: {command: \"%s\"}}]\n"
          "          - text: done\n"
          "  stages:\n    - box: one\n",
          backend, cmd);
  return fclose(f) == 0 ? 0 : -1;
}
static int cli_files_make(cli_files *c) {
  snprintf(c->dir, sizeof c->dir, "/tmp/vbx-bench-local-XXXXXX");
  if (!mkdtemp(c->dir)) return -1;
  snprintf(c->local, sizeof c->local, "%s/one-local.yaml", c->dir);
  snprintf(c->mock, sizeof c->mock, "%s/one-mock.yaml", c->dir);
  snprintf(c->stream, sizeof c->stream, "%s/stream-local.yaml", c->dir);
  snprintf(c->out, sizeof c->out, "%s/out", c->dir);
  snprintf(c->log, sizeof c->log, "%s/log", c->dir);
  return write_spec(c->local, "local", "true") || write_spec(c->mock, "mock", "true") ||
                 write_spec(c->stream, "local", STREAM_CMD)
             ? -1
             : 0;
}
static void cli_files_remove(cli_files *c) {
  unlink(c->local), unlink(c->mock), unlink(c->stream), unlink(c->out), unlink(c->log);
  rmdir(c->dir);
}
/* One run with stderr kept: a failure prints what the CLI said. */
static int cli_check(char *const argv[], const cli_files *c) {
  run_out o;
  if (run_cmd(argv, c->log, c->log, 0, &o) != 0) {
    printf("cannot run %s\n", argv[0]);
    return -1;
  }
  if (ran_ok(&o)) return 0;
  say_status(argv[3], &o);
  char buf[4096];
  FILE *f = fopen(c->log, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = 0;
  printf("%s", buf);
  return -1;
}
static double median_d(double *v, size_t n) {
  qsort(v, n, sizeof v[0], cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* 4. the one-command lifecycle, local and mock, beside a bwrap command;
 * gives the local p50 (s) and median maxrss (KiB) to the stream figures. */
static int bench_cli_lifecycle(const cli_files *c, const char *bwrap, const char *bwrap_why,
                               double *life_s, long *life_rss) {
  char *const lv[] = {(char *)VBX_BENCH_CLI, "run", "--file", (char *)c->local, NULL};
  char *const mv[] = {(char *)VBX_BENCH_CLI, "run", "--file", (char *)c->mock, NULL};
  char *const bv[] = {(char *)bwrap, BWRAP_ARGS, NULL};
  char *const *argvs[] = {lv, mv, bv};
  if (cli_check(lv, c) != 0 || cli_check(mv, c) != 0) return -1;
  uint64_t t[3][CLI_RUNS];
  double rss[RSS_RUNS];
  for (int i = 0; i < CLI_RUNS; i++)
    for (int k = 0; k < 3; k++) {
      run_out o;
      int which = (i + k) % 3; /* 0 local, 1 mock, 2 bwrap; rotated every round */
      if (which == 2 && !bwrap) continue;
      if (run_cmd(argvs[which], NULL, NULL, 0, &o) != 0 || !ran_ok(&o)) {
        say_status(which == 2 ? "bwrap" : "voidbox run", &o);
        return -1;
      }
      t[which][i] = o.ns;
    }
  for (int i = 0; i < RSS_RUNS; i++) { /* untimed: started through sh (run_cmd) */
    run_out o;
    if (run_cmd(lv, NULL, NULL, RUN_RSS, &o) != 0 || !ran_ok(&o)) {
      say_status("voidbox run", &o);
      return -1;
    }
    rss[i] = (double)o.maxrss_kib;
  }
  double l50 = pct_ms(t[0], CLI_RUNS, .5), m50 = pct_ms(t[1], CLI_RUNS, .5);
  double b50 = bwrap ? pct_ms(t[2], CLI_RUNS, .5) : NAN;
  *life_s = l50 / 1e3;
  *life_rss = (long)median_d(rss, RSS_RUNS);
  printf("one-command lifecycle, `voidbox run` (mock model runs `true` once), p50 of %d in turn:\n",
         CLI_RUNS);
  printf("  backend local %.1f ms   backend mock %.1f ms   ", l50, m50);
  if (bwrap)
    printf("bwrap --unshare-all ... true %.1f ms (local/bwrap %.1fx)\n", b50, l50 / b50);
  else
    printf("(%s)\n", bwrap_why);
  printf("  local - mock (what the local sandbox adds): %.1f ms; maxrss of a local run %ld KiB\n",
         l50 - m50, *life_rss);
  const char *peer = bwrap ? "bwrap --unshare-all true" : bwrap_why;
  bench_figure("local one-command lifecycle (voidbox run) p50", l50, "ms", peer, b50, "ratio<=1.5");
  bench_figure("mock one-command lifecycle (voidbox run) p50, floor", m50, "ms", peer, b50, NULL);
  return 0;
}

/* 5. 1 GiB of box output through the CLI to /dev/null and to a file, each
 * beside the same pipeline run by sh on the host, in rounds. */
static int bench_cli_stream(const cli_files *c, double life_s, long life_rss) {
  char *const sv[] = {(char *)VBX_BENCH_CLI, "run", "--file", (char *)c->stream, NULL};
  char *const pv[] = {"sh", "-c", STREAM_CMD, NULL};
  double vnull[STREAM_MAX], vfile[STREAM_MAX], pnull[STREAM_MAX], pfile[STREAM_MAX];
  run_out peak = {0};
  int rounds = 0;
  off_t file_bytes = 0;
  uint64_t t0 = now();
  while (rounds < STREAM_MAX && (double)(now() - t0) / 1e9 < STREAM_BUDGET_S) {
    for (int k = 0; k < 4; k++) {
      int kk = (k + 2 * (rounds % 2)) % 4; /* odd rounds: the host pipeline first */
      int to_file = kk % 2, ours = kk < 2;
      run_out o;
      int fl = ours ? RUN_SAMPLE | RUN_RSS : 0;
      if (run_cmd(ours ? sv : pv, to_file ? c->out : NULL, NULL, fl, &o) != 0 || !ran_ok(&o)) {
        say_status(ours ? "voidbox run (stream)" : "sh -c yes | head", &o);
        return -1;
      }
      if (to_file) {
        struct stat st = {0};
        if (stat(c->out, &st) != 0 || (uint64_t)st.st_size < GIB) {
          printf("stream output file holds %lld bytes, not >= 1 GiB\n", (long long)(st.st_size));
          return -1;
        }
        if (ours) file_bytes = st.st_size;
        unlink(c->out);
      }
      double secs = (double)o.ns / 1e9;
      if (ours) {
        double mbs = (double)GIB / 1e6 / (secs > life_s ? secs - life_s : secs);
        (to_file ? vfile : vnull)[rounds] = mbs;
        if (o.maxrss_kib > peak.maxrss_kib) peak.maxrss_kib = o.maxrss_kib;
        if (o.parent_hwm > peak.parent_hwm) peak.parent_hwm = o.parent_hwm;
        if (o.worker_hwm > peak.worker_hwm) peak.worker_hwm = o.worker_hwm;
      } else {
        (to_file ? pfile : pnull)[rounds] = (double)GIB / 1e6 / secs;
      }
    }
    rounds++;
  }
  double n = median_d(vnull, rounds), f = median_d(vfile, rounds);
  double pn = median_d(pnull, rounds), pf = median_d(pfile, rounds);
  printf(
      "CLI stream of 1 GiB box output (`%s`), median of %d round(s); wall time minus the "
      "one-command lifecycle p50 (%.1f ms):\n",
      "yes LINE | head -c 1073741824", rounds, life_s * 1e3);
  printf(
      "  to /dev/null %.1f MB/s (host pipeline %.1f MB/s)   to a file %.1f MB/s (host pipeline "
      "%.1f MB/s; the file held %lld bytes with the CLI's line prefixes)\n",
      n, pn, f, pf, (long long)file_bytes);
  /* wait4's maxrss is the largest process of the tree (the parent, its
   * worker, the box's processes), exact; VmHWM sampled every 20 ms tells
   * the parent from the worker, but misses the last 20 ms of a run, so it
   * is shown for the stream only */
  printf(
      "  peak RSS (KiB): wait4 maxrss (largest process of the CLI's tree) %ld, one-command "
      "run %ld; sampled VmHWM during the stream: CLI parent %ld, worker %ld\n",
      peak.maxrss_kib, life_rss, peak.parent_hwm, peak.worker_hwm);
  bench_figure("CLI stream 1 GiB to /dev/null", n, "MB/s",
               "sh -c 'yes LINE | head -c 1GiB' >/dev/null", pn, "value>=1000");
  bench_figure("CLI stream 1 GiB to a file", f, "MB/s", "sh -c 'yes LINE | head -c 1GiB' >FILE", pf,
               "value>=1000");
  bench_figure("CLI stream peak RSS (wait4 maxrss)", (double)peak.maxrss_kib, "KiB",
               "one-command voidbox run, same run", (double)life_rss, NULL);
  bench_figure("CLI stream peak RSS growth over one-command run",
               (double)(peak.maxrss_kib - life_rss), "KiB", NULL, NAN, "value<=32768");
  return 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (geteuid() != 0) {
    printf("SKIP: bench_local needs root (namespaces)\n");
    return 77;
  }
  /* orphans of the commands run_cmd starts through sh are ours to wait */
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    perror("prctl(PR_SET_CHILD_SUBREAPER)");
    return 1;
  }
  const char *why;
  const char *bwrap = find_bwrap(&why);
  printf("peer: %s\n", bwrap ? bwrap : why);
  plugin p;
  if (plugin_open(&p) != 0) return 1;
  int rc = bench_create(&p, bwrap, why);
  void *box = NULL;
  if (rc == 0) rc = box_create(&p, &box);
  if (rc == 0) rc = bench_exec(&p, box, bwrap, why);
  if (rc == 0) rc = bench_api_stream(&p, box);
  if (box) p.vt->destroy(box);
  plugin_close(&p);
  cli_files c;
  double life_s = 0;
  long life_rss = 0;
  if (rc == 0 && (rc = cli_files_make(&c)) != 0) printf("cannot write the specs under /tmp\n");
  if (rc == 0) {
    rc = bench_cli_lifecycle(&c, bwrap, why, &life_s, &life_rss);
    if (rc == 0) rc = bench_cli_stream(&c, life_s, life_rss);
    cli_files_remove(&c);
  }
  return rc == 0 ? 0 : 1;
}
