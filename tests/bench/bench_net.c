/*
 * tests/bench/bench_net.c - a qemu box's network through voidbox-netstack
 * against QEMU's own user networking (-netdev user, libslirp without a
 * policy) on the same image, the same plugin and the same guest, in one
 * run, rounds interleaved:
 *   throughput  guest -> host TCP, VBX_BENCH_NET_MB MiB (default 32) to a
 *               loopback sink, MB/s
 *   CRR         connect / peer close / close round trips (200 per round,
 *               back to back), timed on the host between the server's
 *               accepts (a TCG guest's clock can be as coarse as its
 *               4 ms tick): p50 and p99 in microseconds
 * The peer runs through a QEMU wrapper that swaps the box's -netdev stream
 * for -netdev user (QEMU user networking maps 10.0.2.2 to the host's
 * loopback the same way). The guest side is bench_net_guest, copied into
 * each box. Figures and ratios, not pass/fail; "bench_net: skipped: WHY"
 * without QEMU or the guest image. The CRR target (<= 150 us) is for
 * hardware KVM: under TCG the figure is the emulator's.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_report.h"
#include "plugin/call.h"
#include "plugin/registry.h"
#include "qemu.h"

#define CRR_N 200

typedef struct server {
  int fd, port, crr, stop;
  pthread_t thread;
  double accepts[CRR_N + 1]; /* CRR: host time of each accept this round */
  int n_accepts;
} server;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *serve(void *arg) {
  server *s = arg;
  static char buf[1 << 16];
  while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    if (poll(&p, 1, 50) <= 0) continue;
    int c = accept(s->fd, NULL, NULL);
    if (c < 0) continue;
    if (s->crr && s->n_accepts <= CRR_N) s->accepts[s->n_accepts++] = now_s();
    if (!s->crr)
      while (read(c, buf, sizeof buf) > 0) {
      }
    close(c);
  }
  return NULL;
}

static int server_start(server *s, int crr) {
  memset(s, 0, sizeof *s);
  s->crr = crr;
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof sa;
  if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s->fd, 64) != 0 ||
      getsockname(s->fd, (struct sockaddr *)&sa, &sl) != 0)
    return -1;
  s->port = ntohs(sa.sin_port);
  return pthread_create(&s->thread, NULL, serve, s);
}

static void server_stop(server *s) {
  __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
  pthread_join(s->thread, NULL);
  close(s->fd);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = n > 0 ? malloc((size_t)n) : NULL;
  *len = b && fread(b, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
  fclose(f);
  return b;
}

typedef struct ctx {
  const vbx_sandbox_backend_vtable *vt;
  void *state;
  const vbx_host_services *h;
  const char *tool;
  size_t tool_len;
  server sink, crr;
  long long bytes;
  int accel; /* of the last box (QEMU_ACCEL_*) */
} ctx;

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* p50 and p99 (us) of the intervals between the CRR server's accepts. */
static void crr_figures(server *s, double out[2]) {
  double d[CRR_N];
  int n = 0;
  for (int i = 1; i < s->n_accepts; i++)
    d[n++] = (s->accepts[i] - s->accepts[i - 1]) * 1e6;
  qsort(d, (size_t)n, sizeof *d, cmp);
  out[0] = n ? d[(n - 1) / 2] : 0;
  out[1] = n ? d[(n * 99 + 99) / 100 - 1] : 0;
}

/* Run the guest tool; parse "KEY a [b]" into out. 0 or -1. */
static int run(ctx *c, void *box, const char *mode, int port, long long n, double out[2]) {
  char ps[16], ns[32];
  snprintf(ps, sizeof ps, "%d", port);
  snprintf(ns, sizeof ns, "%lld", n);
  const char *argv[] = {"/tmp/bench_net_guest", mode, "10.0.2.2", ps, ns, NULL};
  vbx_exec_request req = {.struct_size = sizeof req, .argv = argv, .timeout_ms = 600000};
  vbx_exec_result res = {.struct_size = sizeof res};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  int rc = c->vt->exec(box, &req, &res, &call);
  char key[8];
  int ok = rc == 0 && res.exit_code == 0 && res.stdout_data &&
           sscanf(res.stdout_data, "%7s %lf %lf", key, &out[0], &out[1]) >= 2;
  if (!ok)
    printf("bench_net: %s failed: %s%s\n", mode, rc ? call.message : "",
           res.stderr_data ? res.stderr_data : "");
  c->h->free(res.stdout_data);
  c->h->free(res.stderr_data);
  return ok ? 0 : -1;
}

/* One round on one variant: a box, the tool, tx, crr. */
static int round_once(ctx *c, const char *opts, double *mbps, double crr[2]) {
  char policy[128];
  snprintf(policy, sizeof policy, "{\"allow\":[\"127.0.0.1:%d\",\"127.0.0.1:%d\"]}", c->sink.port,
           c->crr.port);
  vbx_json *o = c->h->json_parse(opts, strlen(opts), NULL);
  vbx_sandbox_config cfg = {.struct_size = sizeof cfg,
                            .box_name = "bench",
                            .memory_mb = 256,
                            .vcpus = 1,
                            .network = 1,
                            .options = o,
                            .network_policy = policy};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  void *box = NULL;
  int rc = c->vt->create(c->state, &cfg, &call, &box);
  c->h->json_decref(o);
  if (rc != 0) {
    printf("bench_net: create failed: %s\n", call.message);
    return -1;
  }
  c->accel = ((qemu_box *)box)->accel; /* white box, as bench_qemu */
  vbx__call_init(&call, NULL, NULL, 0);
  rc = c->vt->file_write(box, "/tmp/bench_net_guest", c->tool, c->tool_len, 0755, &call);
  if (rc != 0) printf("bench_net: copying the guest tool failed: %s\n", call.message);
  double tx[2];
  if (rc == 0) rc = run(c, box, "tx", c->sink.port, c->bytes, tx);
  double guest_crr[2];
  c->crr.n_accepts = 0; /* the server thread is idle between rounds */
  if (rc == 0) rc = run(c, box, "crr", c->crr.port, CRR_N, guest_crr);
  if (rc == 0) crr_figures(&c->crr, crr);
  if (rc == 0) *mbps = (double)c->bytes / tx[0] / 1e6;
  c->vt->destroy(box);
  return rc;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp);
  return v[(n - 1) / 2];
}

int main(void) {
  const char *env = getenv("VOIDBOX_CACHE_DIR"), *home = getenv("HOME");
  char dir[512], p[600];
  snprintf(dir, sizeof dir, "%s%s",
           env && env[0] ? env
           : home        ? home
                         : "",
           env && env[0] ? "" : "/.cache/voidbox/images");
  struct stat st;
  snprintf(p, sizeof p, "%s/initramfs.cpio", dir);
  if (stat(p, &st) != 0) {
    printf("bench_net: skipped: no guest image in %s (voidbox image build)\n", dir);
    return 0;
  }
  if (system("command -v qemu-system-x86_64 >/dev/null") != 0) {
    printf("bench_net: skipped: qemu-system-x86_64 not installed\n");
    return 0;
  }
  int rounds = getenv("VBX_BENCH_NET_ROUNDS") ? atoi(getenv("VBX_BENCH_NET_ROUNDS")) : 3;
  long long mb = getenv("VBX_BENCH_NET_MB") ? atoll(getenv("VBX_BENCH_NET_MB")) : 32;
  if (rounds < 1 || rounds > 50) rounds = 3;
  if (mb < 1 || mb > 4096) mb = 32;

  ctx c = {.bytes = mb << 20};
  c.tool = slurp(VBX_BENCH_NET_GUEST, &c.tool_len);
  if (c.tool == NULL || c.tool_len == 0) {
    printf("bench_net: cannot read %s\n", VBX_BENCH_NET_GUEST);
    return 1;
  }
  char tmp[] = "/tmp/vbx-bench-net-XXXXXX", wrapper[64];
  if (mkdtemp(tmp) == NULL) return 1;
  snprintf(wrapper, sizeof wrapper, "%s/qemu-user-net", tmp);
  FILE *w = fopen(wrapper, "w");
  if (w == NULL) return 1;
  fputs(
      "#!/bin/sh\n# bench_net's peer: the same QEMU with its own user networking\n"
      "for a; do shift; case $a in stream,id=net0,*) a=user,id=net0;; esac; set -- \"$@\" \"$a\"; "
      "done\nexec qemu-system-x86_64 \"$@\"\n",
      w);
  fclose(w);
  chmod(wrapper, 0700);

  vbx__registry *reg;
  vbx_error err = {0};
  vbx__logger logger = {VBX_LOG_ERROR, NULL, NULL, 0};
  if (vbx__registry_new(&logger, NULL, &reg) != 0 ||
      vbx__registry_load(reg, VBX_BENCH_PLUGIN_DIR "/sandbox-qemu.so", &err) != 0) {
    printf("bench_net: cannot load sandbox-qemu.so: %s\n", err.message);
    return 1;
  }
  vbx__registry_freeze(reg);
  const vbx__impl *impl = vbx__registry_find(reg, VBX_KIND_SANDBOX, "qemu");
  c.vt = impl->vtable;
  c.state = impl->plugin_state;
  c.h = vbx__plugin_host(impl->plugin);
  if (server_start(&c.sink, 0) != 0 || server_start(&c.crr, 1) != 0) return 1;

  char opts[2][700];
  snprintf(opts[0], sizeof opts[0], "{\"image_dir\":\"%s\"}", dir);
  snprintf(opts[1], sizeof opts[1], "{\"image_dir\":\"%s\",\"qemu\":\"%s\"}", dir, wrapper);
  static const char *const names[2] = {"voidbox-netstack", "QEMU -netdev user"};
  double mbps[2][50], p50[2][50], p99[2][50];
  int rc = 0;
  printf("bench_net: %d rounds of each, interleaved; %lld MiB guest->host, 200 CRR per round\n",
         rounds, mb);
  for (int r = 0; r < rounds && rc == 0; r++)
    for (int v = 0; v < 2 && rc == 0; v++) {
      double crr[2] = {0, 0};
      rc = round_once(&c, opts[v], &mbps[v][r], crr);
      p50[v][r] = crr[0], p99[v][r] = crr[1];
      if (rc == 0)
        printf("  round %d %-18s %8.1f MB/s  CRR p50 %8.0f us  p99 %8.0f us\n", r + 1, names[v],
               mbps[v][r], crr[0], crr[1]);
    }
  if (rc == 0) {
    double t[2], c50[2], c99[2];
    for (int v = 0; v < 2; v++) {
      t[v] = median(mbps[v], rounds);
      c50[v] = median(p50[v], rounds);
      c99[v] = median(p99[v], rounds);
    }
    printf("\n%-20s %12s %14s %14s\n", "(median of rounds)", "MB/s", "CRR p50 us", "CRR p99 us");
    for (int v = 0; v < 2; v++)
      printf("%-20s %12.1f %14.0f %14.0f\n", names[v], t[v], c50[v], c99[v]);
    printf(
        "ratio netstack/QEMU user: throughput %.2f (target >= 1), CRR p50 %.2f (lower is "
        "better)\n",
        t[0] / t[1], c50[0] / c50[1]);
    bench_figure("qemu box network guest->host throughput", t[0], "MB/s",
                 "QEMU -netdev user, same image", t[1], "ratio>=1");
    bench_figure("qemu box network connect-request-response p50", c50[0], "us",
                 "QEMU -netdev user, same image", c50[1], "-");
    printf("CRR <= 150 us is a hardware-KVM target; this run used %s\n",
           c.accel == QEMU_ACCEL_KVM ? "KVM" : "software emulation (TCG): not measurable here");
  }
  server_stop(&c.sink);
  server_stop(&c.crr);
  vbx__registry_free(reg);
  unlink(wrapper);
  rmdir(tmp);
  return rc == 0 ? 0 : 1;
}
