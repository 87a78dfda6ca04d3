/*
 * tests/bench/bench_qemu.c - qemu backend boot figures against the floor:
 * the same kernel under a bare `qemu-system-x86_64 -M microvm`, in the same
 * run. N rounds (VBX_BENCH_QEMU_BOOTS, default 10), each doing once, in an
 * order that rotates from round to round so machine noise hits all alike:
 *   ours       a box of sandbox-qemu.so (vmlinux through its PVH entry,
 *              256 MiB + the default disk, 1 vCPU): create, then the first
 *              exec (`true`); split into phases by the guest's kernel log,
 *              read after the timing by a second exec (`dmesg`: the console
 *              shows only notice and worse, docs/sandbox-qemu.md):
 *                qemu connect  QEMU joined the control socket (host clock)
 *                kernel        kernel start to "Run /init"      (guest clock)
 *                init          "Run /init" to the agent serving (guest clock)
 *                handshake     serving to "connection authenticated" (guest)
 *                first exec    create returned to the exec's result (host)
 *                host rest     create's time minus the guest's authenticated
 *                              time: initrd, QEMU start, firmware, kernel
 *                              loading, the kernel before its clock runs
 *   floor      bare QEMU on the same kernel, initramfs, accelerator, CPU
 *              model, memory and kernel options (sandbox-qemu's, cmdline.c),
 *              -nodefaults -no-reboot, no voidbox: busybox as init runs
 *              `reboot -f` at once; spawn to QEMU's exit
 *   stock      the same bare QEMU with the stock command line sandbox-qemu
 *              used before its boot options (console=ttyS0 panic=-1
 *              reboot=t): what the options gain
 *   run        the whole one-command `voidbox run` of an agent spec on
 *              `backend: qemu` whose mock model runs `true` once through
 *              its bash tool; spawn to exit
 * p50/p95 of each and BENCH lines (bench_report.h); then one traced run
 * (--trace) split into its spans; then ours with vmlinux, the bzImage, one
 * read-only 9p mount and host_userland, interleaved (N/2 rounds, at least
 * 3), to show what the kernel format and the guest's mounts add. White box:
 * reads the box's boot_ns and accel through sandbox-qemu's qemu.h and
 * builds the floor's kernel command line with its cmdline.c. Figures, not
 * pass/fail: prints "bench_qemu: skipped: REASON" when QEMU or the guest
 * image is missing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_report.h"
#include "plugin/call.h"
#include "plugin/registry.h"
#include "qemu.h"

#define MEMORY_MB 256u /* the boxes' memory_mb; their disk is the default */
#define VM_MB (MEMORY_MB + GS_VM_DEFAULT_DISK_MB) /* QEMU's -m for a box */
#define FLOOR_INIT "rdinit=/bin/busybox -- reboot -f"
#define STOCK_CMDLINE "console=ttyS0 panic=-1 reboot=t " FLOOR_INIT
#define FIGURE_PEER "bare qemu -M microvm, same kernel"

enum { F_TOTAL, F_CONNECT, F_KERNEL, F_INIT, F_HANDSHAKE, F_EXEC, F_REST, F_N };
static const char *const field_names[F_N] = {"total",     "qemu connect", "kernel",   "init",
                                             "handshake", "first exec",   "host rest"};

/* What every boot uses, fixed before the first. */
typedef struct bench {
  const vbx__impl *impl;
  const vbx_host_services *h;
  char dir[512];    /* guest image directory */
  char tmp[64];     /* scratch: the floor's console, the spec, the run's output */
  int accel;        /* the boxes' accelerator (from the first box) */
  unsigned tsc_khz; /* what sandbox-qemu tells a TCG guest; 0: nothing */
} bench;

static uint64_t clock_ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
static uint64_t now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n values (sorts them). */
static double pct(double *v, int n, int p) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  int k = (p * n + 99) / 100;
  return v[k < 1 ? 0 : k - 1];
}

/* Guest timestamp (ms) of the first kernel-log line containing s, or -1. */
static double log_ts(const char *log, const char *s) {
  const char *m = strstr(log, s);
  if (m == NULL) return -1;
  const char *line = m;
  while (line > log && line[-1] != '\n')
    line--;
  double t;
  return sscanf(line, "[ %lf]", &t) == 1 ? t * 1e3 : -1;
}

static int exec_argv(const vbx_sandbox_backend_vtable *vt, void *box, const char *const *argv,
                     vbx_exec_result *res, char *msg, size_t cap) {
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  vbx_exec_request req = {.struct_size = sizeof req, .argv = argv};
  memset(res, 0, sizeof *res);
  res->struct_size = sizeof *res;
  int rc = vt->exec(box, &req, res, &call);
  if (rc != 0) snprintf(msg, cap, "%s", call.message);
  return rc;
}

/* One box: create, first exec, then (untimed) the guest's kernel log,
 * destroy. out gets the phases (ms). 0, or -1 (said why). */
static int boot_once(bench *B, const vbx_json *opts, const vbx_mount *mount, double out[F_N]) {
  const vbx_sandbox_backend_vtable *vt = B->impl->vtable;
  vbx_sandbox_config cfg = {.struct_size = sizeof cfg,
                            .box_name = "bench",
                            .memory_mb = MEMORY_MB,
                            .vcpus = 1,
                            .mounts = mount,
                            .n_mounts = mount != NULL,
                            .options = opts};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  void *box = NULL;
  uint64_t t0 = now_ns();
  if (vt->create(B->impl->plugin_state, &cfg, &call, &box) != 0) {
    printf("bench_qemu: create failed: %s\n", call.message);
    return -1;
  }
  uint64_t tc = now_ns();
  static const char *const true_argv[] = {"true", NULL}, *const dmesg_argv[] = {"dmesg", NULL};
  vbx_exec_result res, kl = {0};
  char msg[1024] = "";
  int rc = exec_argv(vt, box, true_argv, &res, msg, sizeof msg);
  uint64_t t1 = now_ns();
  int ok = rc == 0 && res.exit_code == 0;
  if (rc == 0) {
    B->h->free(res.stdout_data);
    B->h->free(res.stderr_data);
  }
  int klrc = ok ? exec_argv(vt, box, dmesg_argv, &kl, msg, sizeof msg) : -1;
  const char *log = klrc == 0 && kl.exit_code == 0 && kl.stdout_data ? kl.stdout_data : "";
  double run_init = log_ts(log, "Run /init as init process");
  double serving = log_ts(log, "voidbox-agent: serving");
  double authed = log_ts(log, "voidbox-agent: connection authenticated");
  qemu_box *b = box;
  B->accel = b->accel;
  out[F_TOTAL] = (double)(t1 - t0) / 1e6;
  out[F_CONNECT] = (double)(b->boot_ns[1] - b->boot_ns[0]) / 1e6;
  out[F_KERNEL] = run_init;
  out[F_INIT] = serving - run_init;
  out[F_HANDSHAKE] = authed - serving;
  out[F_EXEC] = (double)(t1 - tc) / 1e6;
  out[F_REST] = (double)(tc - t0) / 1e6 - authed;
  if (klrc == 0) {
    B->h->free(kl.stdout_data);
    B->h->free(kl.stderr_data);
  }
  vt->destroy(box);
  if (!ok) {
    printf("bench_qemu: first exec failed: %s\n", rc ? msg : "exit code not 0");
    return -1;
  }
  if (run_init < 0 || serving < 0 || authed < 0) {
    printf("bench_qemu: the guest's kernel log (dmesg%s%s) lacks a timestamped boot line\n",
           klrc ? ": " : "", klrc ? msg : "");
    return -1;
  }
  return 0;
}

/* Fork and exec argv with stdin from /dev/null and stdout+stderr into
 * out_file; wait for it. Its wall time (ms) into ms; its wait status, or
 * -1 when it could not start. */
static int spawn_wait(const char *const *argv, const char *out_file, double *ms) {
  uint64_t t0 = now_ns();
  pid_t pid = fork();
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY), out = open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) _exit(126);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  if (pid < 0) return -1;
  int st;
  while (waitpid(pid, &st, 0) < 0)
    ;
  *ms = (double)(now_ns() - t0) / 1e6;
  return st;
}

/* The tail of a file, for a failure's message. */
static void print_tail(const char *path) {
  char buf[1200] = "";
  FILE *f = fopen(path, "re");
  if (f == NULL) return;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, n > (long)sizeof buf - 1 ? n - (long)sizeof buf + 1 : 0, SEEK_SET);
  size_t got = fread(buf, 1, sizeof buf - 1, f);
  buf[got] = '\0';
  fclose(f);
  printf("  %s ends:\n%s\n", path, buf);
}

/* One bare QEMU boot of the image's kernel with this command line: spawn
 * to exit (ms). The guest must have reached busybox's reboot. 0, or -1. */
static int floor_once(bench *B, const char *cmdline, double *ms) {
  char kernel[600], initrd[600], serial[120], console[100], err[100], mem[16];
  snprintf(kernel, sizeof kernel, "%s/vmlinux", B->dir);
  snprintf(initrd, sizeof initrd, "%s/initramfs.cpio", B->dir);
  snprintf(console, sizeof console, "%s/floor-console.log", B->tmp);
  snprintf(serial, sizeof serial, "file:%s", console);
  snprintf(err, sizeof err, "%s/floor.err", B->tmp);
  snprintf(mem, sizeof mem, "%u", VM_MB);
  int kvm = B->accel == QEMU_ACCEL_KVM;
  const char *argv[] = {"qemu-system-x86_64",
                        "-M",
                        "microvm,acpi=off",
                        "-accel",
                        kvm ? "kvm" : "tcg",
                        "-cpu",
                        kvm ? "host" : "max",
                        "-m",
                        mem,
                        "-smp",
                        "1",
                        "-nodefaults",
                        "-no-user-config",
                        "-nographic",
                        "-no-reboot",
                        "-kernel",
                        kernel,
                        "-initrd",
                        initrd,
                        "-append",
                        cmdline,
                        "-serial",
                        serial,
                        NULL};
  unlink(console);
  int st = spawn_wait(argv, err, ms);
  FILE *f = fopen(console, "re");
  char line[512];
  int rebooted = 0;
  while (f && !rebooted && fgets(line, sizeof line, f))
    rebooted = strstr(line, "reboot: Restarting system") != NULL;
  if (f) fclose(f);
  if (st != 0 || !rebooted) {
    printf("bench_qemu: bare QEMU %s (status 0x%x)\n",
           st != 0 ? "failed" : "ended before the guest's reboot", (unsigned)st);
    print_tail(err);
    print_tail(console);
    return -1;
  }
  return 0;
}

/* The agent spec of the one-command run: backend qemu, the image of this
 * bench, a mock model whose bash tool call runs `true` once. */
static int write_spec(bench *B, char *path, size_t cap) {
  snprintf(path, cap, "%s/spec.yaml", B->tmp);
  FILE *f = fopen(path, "we");
  if (f == NULL) return -1;
  fprintf(f,
          "api_version: v1\n"
          "kind: agent\n"
          "name: bench\n"
          "sandbox: {backend: qemu, memory_mb: %u, vcpus: 1, network: false, image_dir: \"%s\"}\n"
          "llm:\n"
          "  provider: mock\n"
          "  turns:\n"
          "    - tool_calls: [{name: bash, input: {command: \"true\"}}]\n"
          "    - text: done\n"
          "agent:\n"
          "  prompt: run true once\n"
          "  max_turns: 2\n",
          MEMORY_MB, B->dir);
  return fclose(f) == 0 ? 0 : -1;
}

/* One `voidbox run --file SPEC` (with --trace FILE when trace): spawn to
 * exit (ms). 0, or -1 (said why). */
static int run_once(bench *B, const char *spec, const char *trace, double *ms) {
  char out[100];
  snprintf(out, sizeof out, "%s/run.out", B->tmp);
  const char *argv[] = {VBX_BENCH_CLI, "run", "--file", spec, trace ? "--trace" : NULL,
                        trace,         NULL};
  int st = spawn_wait(argv, out, ms);
  if (st != 0) {
    printf("bench_qemu: voidbox run failed (status 0x%x)\n", (unsigned)st);
    print_tail(out);
    return -1;
  }
  return 0;
}

/* Start and end (unix ns) of the first span named name in an OTLP/JSON
 * trace (the exporter writes name, kind, startTimeUnixNano,
 * endTimeUnixNano in this order). 0, or -1. */
static int span_times(const char *trace, const char *name, double *start, double *end) {
  char key[100];
  snprintf(key, sizeof key, "\"name\":\"%s\"", name);
  const char *p = strstr(trace, key);
  const char *s = p ? strstr(p, "\"startTimeUnixNano\":\"") : NULL;
  const char *e = p ? strstr(p, "\"endTimeUnixNano\":\"") : NULL;
  if (s == NULL || e == NULL) return -1;
  *start = strtod(s + strlen("\"startTimeUnixNano\":\""), NULL);
  *end = strtod(e + strlen("\"endTimeUnixNano\":\""), NULL);
  return 0;
}

/* One traced run, split into its spans: where the one-command run's time
 * goes beside the boot. Informational; a failure is only said. */
static void run_traced(bench *B, const char *spec) {
  char trace[100];
  snprintf(trace, sizeof trace, "%s/trace.json", B->tmp);
  double ms;
  double t0 = (double)clock_ns(CLOCK_REALTIME);
  if (run_once(B, spec, trace, &ms) != 0) return;
  double t1 = t0 + ms * 1e6;
  FILE *f = fopen(trace, "re");
  char *buf = calloc(1, 1 << 20);
  size_t n = f && buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
  if (f) fclose(f);
  static const char *const spans[] = {"sandbox.create", "exec bash", "sandbox.destroy"};
  double rs, re, s, e;
  if (n == 0 || span_times(buf, "run bench", &rs, &re) != 0) {
    printf("bench_qemu: the traced run's trace has no run span\n");
    free(buf);
    return;
  }
  printf("\none traced run (--trace), %.0f ms spawn to exit:\n", ms);
  printf("  %-36s %7.1f ms\n", "CLI start, plugins, spec (to run span)", (rs - t0) / 1e6);
  for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
    if (span_times(buf, spans[i], &s, &e) == 0)
      printf("  %-36s %7.1f ms\n", spans[i], (e - s) / 1e6);
  printf("  %-36s %7.1f ms\n", "run span, the rest (model turns, ...)",
         (re - rs) / 1e6 - ((span_times(buf, "sandbox.create", &s, &e) == 0 ? e - s : 0) +
                            (span_times(buf, "exec bash", &s, &e) == 0 ? e - s : 0) +
                            (span_times(buf, "sandbox.destroy", &s, &e) == 0 ? e - s : 0)) /
                               1e6);
  printf("  %-36s %7.1f ms\n", "after the run span (report, exit)", (t1 - re) / 1e6);
  free(buf);
}

static int file_size(const char *dir, const char *name, long long *out) {
  char p[600];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  if (stat(p, &st) != 0) return -1;
  *out = (long long)st.st_size;
  return 0;
}

static void print_row(const char *name, double *v, int n) {
  printf("  %-34s %9.1f %9.1f\n", name, pct(v, n, 50), pct(v, n, 95));
}

static vbx_json *box_opts(bench *B, const char *kernel, const char *extra) {
  char opts[1400];
  snprintf(opts, sizeof opts, "{\"image_dir\":\"%s\",\"kernel\":\"%s/%s\"%s}", B->dir, B->dir,
           kernel, extra);
  return B->h->json_parse(opts, strlen(opts), NULL);
}

/* Rounds of ours, the floor, the stock floor and the one-command run. */
enum { K_OURS, K_FLOOR, K_STOCK, K_RUN, K_N };

static int main_rounds(bench *B, int boots, const char *spec) {
  double *ph[F_N], *v[K_N];
  for (int f = 0; f < F_N; f++)
    ph[f] = calloc((size_t)boots, sizeof(double));
  for (int k = 0; k < K_N; k++)
    v[k] = calloc((size_t)boots, sizeof(double));
  vbx_json *o = box_opts(B, "vmlinux", "");
  char tuned[512] = "";
  int rc = 0;
  uint64_t t0 = now_ns();
  for (int i = 0; i < boots && rc == 0; i++) {
    for (int j = 0; j < K_N && rc == 0; j++) {
      int k = (i + j) % K_N;
      if (k == K_OURS) {
        double one[F_N];
        rc = boot_once(B, o, NULL, one);
        for (int f = 0; f < F_N && rc == 0; f++)
          ph[f][i] = one[f];
        v[K_OURS][i] = one[F_TOTAL];
        /* the floor's kernel options follow the boxes' accelerator */
        qemu_kernel_cmdline(B->accel, B->tsc_khz, FLOOR_INIT, tuned, sizeof tuned);
      } else if (k == K_FLOOR || k == K_STOCK) {
        if (tuned[0] == '\0') /* before the first box: TCG unless it says otherwise */
          qemu_kernel_cmdline(QEMU_ACCEL_TCG, B->tsc_khz, FLOOR_INIT, tuned, sizeof tuned);
        rc = floor_once(B, k == K_FLOOR ? tuned : STOCK_CMDLINE, &v[k][i]);
      } else {
        rc = run_once(B, spec, NULL, &v[K_RUN][i]);
      }
    }
  }
  B->h->json_decref(o);
  if (rc == 0) {
    printf("\n%d rounds in %.1f s, %s; kernel options: %s\n", boots, (double)(now_ns() - t0) / 1e9,
           B->accel == QEMU_ACCEL_KVM ? "KVM" : "software emulation (TCG)", tuned);
    printf("\nours: vmlinux, boot to first exec (ms):\n  %-34s %9s %9s\n", "phase", "p50", "p95");
    for (int f = 0; f < F_N; f++)
      print_row(field_names[f], ph[f], boots);
    printf("\nsame rounds, spawn to exit (ms):\n  %-34s %9s %9s\n", "", "p50", "p95");
    print_row("bare qemu, voidbox's kernel options", v[K_FLOOR], boots);
    print_row("bare qemu, stock command line", v[K_STOCK], boots);
    print_row("voidbox run (one command)", v[K_RUN], boots);
    double ours = pct(v[K_OURS], boots, 50), fl = pct(v[K_FLOOR], boots, 50),
           st = pct(v[K_STOCK], boots, 50), run = pct(v[K_RUN], boots, 50);
    printf(
        "\nratios of p50s: boot to first exec / floor %.2f, voidbox run / floor %.2f, "
        "floor / stock floor %.2f\n",
        ours / fl, run / fl, fl / st);
    bench_figure("qemu boot to first exec p50", ours, "ms", FIGURE_PEER, fl, "value<=700");
    bench_figure("qemu one-command voidbox run p50", run, "ms", FIGURE_PEER, fl, "ratio<=1.15");
    bench_figure("bare qemu boot with voidbox's kernel options p50", fl, "ms",
                 "bare qemu, stock kernel command line", st, NULL);
  }
  for (int f = 0; f < F_N; f++)
    free(ph[f]);
  for (int k = 0; k < K_N; k++)
    free(v[k]);
  return rc;
}

/* ours with another kernel format or the guest's mounts, against vmlinux
 * without mounts, interleaved: n rounds. */
static int extra_runs(bench *B, int n) {
  static const struct {
    const char *kernel, *label, *extra;
    int mount;
  } runs[] = {
      {"vmlinux", "vmlinux", "", 0},
      {"bzImage", "bzImage", "", 0},
      {"vmlinux", "vmlinux, one 9p mount", "", 1},
      {"vmlinux", "vmlinux, host_userland", ",\"host_userland\":true", 0},
  };
  enum { N_RUNS = sizeof runs / sizeof runs[0] };
  const vbx_mount image_mount = {.struct_size = sizeof image_mount,
                                 .host_path = B->dir,
                                 .guest_path = "/mnt/image",
                                 .read_only = 1};
  vbx_json *o[N_RUNS];
  double *v[N_RUNS];
  for (int k = 0; k < N_RUNS; k++) {
    o[k] = box_opts(B, runs[k].kernel, runs[k].extra);
    v[k] = calloc((size_t)n, sizeof(double));
  }
  int rc = 0;
  for (int i = 0; i < n && rc == 0; i++)
    for (int j = 0; j < N_RUNS && rc == 0; j++) {
      int k = (i + j) % N_RUNS;
      double one[F_N];
      rc = boot_once(B, o[k], runs[k].mount ? &image_mount : NULL, one);
      v[k][i] = one[F_TOTAL];
    }
  if (rc == 0) {
    printf("\nours, %d rounds of %d, boot to first exec (ms):\n  %-26s %7s %7s %9s\n", n, N_RUNS,
           "", "p50", "p95", "vs first");
    double base = pct(v[0], n, 50);
    for (int k = 0; k < N_RUNS; k++) {
      double p50 = pct(v[k], n, 50);
      printf("  %-26s %7.1f %7.1f %+9.1f\n", runs[k].label, p50, pct(v[k], n, 95), p50 - base);
    }
  }
  for (int k = 0; k < N_RUNS; k++) {
    B->h->json_decref(o[k]);
    free(v[k]);
  }
  return rc;
}

int main(void) {
  bench B = {.accel = QEMU_ACCEL_TCG};
  const char *env = getenv("VOIDBOX_CACHE_DIR"), *home = getenv("HOME");
  snprintf(B.dir, sizeof B.dir, "%s%s",
           env && env[0] ? env
           : home        ? home
                         : "",
           env && env[0] ? "" : "/.cache/voidbox/images");
  long long vm = 0, bz = 0, ird = 0;
  if (file_size(B.dir, "vmlinux", &vm) || file_size(B.dir, "bzImage", &bz) ||
      file_size(B.dir, "initramfs.cpio", &ird)) {
    printf("bench_qemu: skipped: no guest image in %s (voidbox image build)\n", B.dir);
    return 0;
  }
  if (system("command -v qemu-system-x86_64 >/dev/null") != 0) {
    printf("bench_qemu: skipped: qemu-system-x86_64 not installed\n");
    return 0;
  }
  int boots = getenv("VBX_BENCH_QEMU_BOOTS") ? atoi(getenv("VBX_BENCH_QEMU_BOOTS")) : 10;
  if (boots < 1 || boots > 1000) boots = 10;
  qemu_tsc_probe tsc;
  qemu_tsc_probe_begin(&tsc);

  vbx__registry *reg;
  vbx_error err;
  memset(&err, 0, sizeof err);
  vbx__logger logger = {VBX_LOG_WARN, NULL, NULL, 0};
  if (vbx__registry_new(&logger, NULL, &reg) != 0 ||
      vbx__registry_load(reg, VBX_BENCH_PLUGIN_DIR "/sandbox-qemu.so", &err) != 0) {
    printf("bench_qemu: cannot load sandbox-qemu.so: %s\n", err.message);
    return 1;
  }
  vbx__registry_freeze(reg);
  B.impl = vbx__registry_find(reg, VBX_KIND_SANDBOX, "qemu");
  B.h = vbx__plugin_host(B.impl->plugin);
  B.tsc_khz = qemu_tsc_probe_end(&tsc);
  snprintf(B.tmp, sizeof B.tmp, "/tmp/vbx-bench-qemu-XXXXXX");
  char spec[200];
  if (mkdtemp(B.tmp) == NULL || write_spec(&B, spec, sizeof spec) != 0) {
    printf("bench_qemu: cannot write the spec under /tmp\n");
    vbx__registry_free(reg);
    return 1;
  }
  printf("guest image %s: vmlinux %lld bytes, bzImage %lld bytes, initramfs %lld bytes\n", B.dir,
         vm, bz, ird);
  uint64_t t0 = now_ns();
  int rc = main_rounds(&B, boots, spec);
  if (rc == 0) run_traced(&B, spec);
  if (rc == 0) rc = extra_runs(&B, boots / 2 < 3 ? 3 : boots / 2);
  printf("\nbench_qemu: %.1f s in all\n", (double)(now_ns() - t0) / 1e9);
  static const char *const files[] = {"floor-console.log", "floor.err", "spec.yaml", "run.out",
                                      "trace.json"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char p[200];
    snprintf(p, sizeof p, "%s/%s", B.tmp, files[i]);
    unlink(p);
  }
  rmdir(B.tmp);
  vbx__registry_free(reg);
  return rc == 0 ? 0 : 1;
}
