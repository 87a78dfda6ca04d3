/*
 * tests/bench/bench_qemu.c - qemu backend boot figures: boot-to-first-exec
 * over N boots (VBX_BENCH_QEMU_BOOTS, default 10) for each guest kernel
 * format (vmlinux through its PVH entry, the plugin's default, and
 * bzImage), p50/p95, split by the guest's console timestamps into
 *   kernel     kernel start to "Run /init"                 (guest clock)
 *   init       "Run /init" to the agent listening           (guest clock)
 *   handshake  agent listening to "connection authenticated" (guest clock)
 *   host rest  the total minus the guest's authenticated time: QEMU start,
 *              firmware and kernel loading, the first exec   (host clock)
 * plus when QEMU joined the control socket; then the vmlinux boot again
 * with one read-only 9p mount (the image directory) and with
 * host_userland (the host's /usr and /lib* over 9p), to show what the
 * guest's mounts add to a boot. White box: reads the box's
 * console.log and boot_ns through sandbox-qemu's qemu.h. Figures, not
 * pass/fail: prints "bench_qemu: skipped: REASON" when QEMU or the guest
 * image is missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "plugin/call.h"
#include "plugin/registry.h"
#include "qemu.h"

enum { F_TOTAL, F_CONNECT, F_KERNEL, F_INIT, F_HANDSHAKE, F_REST, F_N };
static const char *const field_names[F_N] = {"total", "qemu connect", "kernel",
                                             "init",  "handshake",    "host rest"};

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values. */
static double pct(const double *v, int n, int p) {
  int k = (p * n + 99) / 100;
  return v[k < 1 ? 0 : k - 1];
}

/* Guest timestamp (seconds) of the first console line containing s. */
static double console_ts(const char *log, const char *s) {
  const char *m = strstr(log, s);
  if (m == NULL) return -1;
  const char *line = m;
  while (line > log && line[-1] != '\n')
    line--;
  double t;
  return sscanf(line, "[ %lf]", &t) == 1 ? t : -1;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "re");
  if (f == NULL) return NULL;
  char *buf = calloc(1, 1 << 20);
  size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
  (void)n;
  fclose(f);
  return buf;
}

/* One boot: create, first exec, read the console, destroy. */
static int boot_once(const vbx__impl *impl, const vbx_json *opts, const vbx_mount *mount,
                     double out[F_N], int *accel) {
  const vbx_sandbox_backend_vtable *vt = impl->vtable;
  vbx_sandbox_config cfg = {.struct_size = sizeof cfg,
                            .box_name = "bench",
                            .memory_mb = 256,
                            .vcpus = 1,
                            .mounts = mount,
                            .n_mounts = mount != NULL,
                            .options = opts};
  vbx_call call;
  vbx__call_init(&call, NULL, NULL, 0);
  void *box = NULL;
  uint64_t t0 = now_ns();
  if (vt->create(impl->plugin_state, &cfg, &call, &box) != 0) {
    printf("bench_qemu: create failed: %s\n", call.message);
    return -1;
  }
  const char *argv[] = {"true", NULL};
  vbx_exec_request req = {.struct_size = sizeof req, .argv = argv};
  vbx_exec_result res = {.struct_size = sizeof res};
  vbx__call_init(&call, NULL, NULL, 0);
  int rc = vt->exec(box, &req, &res, &call);
  uint64_t t1 = now_ns();
  const vbx_host_services *h = vbx__plugin_host(impl->plugin);
  h->free(res.stdout_data);
  h->free(res.stderr_data);
  qemu_box *b = box;
  char path[600];
  snprintf(path, sizeof path, "%s/console.log", b->box.dir);
  char *log = slurp(path);
  double run_init = log ? console_ts(log, "Run /init as init process") : -1;
  double serving = log ? console_ts(log, "voidbox-agent: serving") : -1;
  double authed = log ? console_ts(log, "voidbox-agent: connection authenticated") : -1;
  free(log);
  *accel = b->accel;
  out[F_TOTAL] = (double)(t1 - t0) / 1e6;
  out[F_CONNECT] = (double)(b->boot_ns[1] - b->boot_ns[0]) / 1e6;
  out[F_KERNEL] = run_init * 1e3;
  out[F_INIT] = (serving - run_init) * 1e3;
  out[F_HANDSHAKE] = (authed - serving) * 1e3;
  out[F_REST] = out[F_TOTAL] - authed * 1e3;
  vt->destroy(box);
  if (rc != 0 || res.exit_code != 0) {
    printf("bench_qemu: first exec failed: %s\n", rc ? call.message : "exit code not 0");
    return -1;
  }
  if (run_init < 0 || serving < 0 || authed < 0) {
    printf("bench_qemu: console lacks a timestamped boot line (%s)\n", path);
    return -1;
  }
  return 0;
}

static int file_size(const char *dir, const char *name, long long *out) {
  char p[600];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  if (stat(p, &st) != 0) return -1;
  *out = (long long)st.st_size;
  return 0;
}

int main(void) {
  const char *env = getenv("VOIDBOX_CACHE_DIR"), *home = getenv("HOME");
  char dir[512];
  snprintf(dir, sizeof dir, "%s%s",
           env && env[0] ? env
           : home        ? home
                         : "",
           env && env[0] ? "" : "/.cache/voidbox/images");
  long long vm = 0, bz = 0, ird = 0;
  if (file_size(dir, "vmlinux", &vm) || file_size(dir, "bzImage", &bz) ||
      file_size(dir, "initramfs.cpio", &ird)) {
    printf("bench_qemu: skipped: no guest image in %s (voidbox image build)\n", dir);
    return 0;
  }
  if (system("command -v qemu-system-x86_64 >/dev/null") != 0) {
    printf("bench_qemu: skipped: qemu-system-x86_64 not installed\n");
    return 0;
  }
  int boots = getenv("VBX_BENCH_QEMU_BOOTS") ? atoi(getenv("VBX_BENCH_QEMU_BOOTS")) : 10;
  if (boots < 1 || boots > 1000) boots = 10;

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
  const vbx__impl *impl = vbx__registry_find(reg, VBX_KIND_SANDBOX, "qemu");
  const vbx_host_services *h = vbx__plugin_host(impl->plugin);

  printf("guest image %s: vmlinux %lld bytes, bzImage %lld bytes, initramfs %lld bytes\n", dir, vm,
         bz, ird);
  /* the kernel formats, then vmlinux with mounts */
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
                                 .host_path = dir,
                                 .guest_path = "/mnt/image",
                                 .read_only = 1};
  double p50_total[N_RUNS] = {0};
  int accel = 0, rc = 0;
  for (int k = 0; k < N_RUNS && rc == 0; k++) {
    char opts[800];
    snprintf(opts, sizeof opts, "{\"kernel\":\"%s/%s\"%s}", dir, runs[k].kernel, runs[k].extra);
    vbx_json *o = h->json_parse(opts, strlen(opts), NULL);
    double *v[F_N];
    for (int f = 0; f < F_N; f++)
      v[f] = calloc((size_t)boots, sizeof(double));
    for (int i = 0; i < boots && rc == 0; i++) {
      double one[F_N];
      rc = boot_once(impl, o, runs[k].mount ? &image_mount : NULL, one, &accel);
      for (int f = 0; f < F_N && rc == 0; f++)
        v[f][i] = one[f];
    }
    h->json_decref(o);
    if (rc == 0) {
      printf("\n%s, %d boots, %s; boot to first exec (ms):\n", runs[k].label, boots,
             accel == QEMU_ACCEL_KVM ? "KVM" : "software emulation (TCG)");
      printf("  %-13s %9s %9s\n", "phase", "p50", "p95");
      for (int f = 0; f < F_N; f++) {
        qsort(v[f], (size_t)boots, sizeof(double), cmp_double);
        printf("  %-13s %9.1f %9.1f\n", field_names[f], pct(v[f], boots, 50), pct(v[f], boots, 95));
      }
      p50_total[k] = pct(v[F_TOTAL], boots, 50);
    }
    for (int f = 0; f < F_N; f++)
      free(v[f]);
  }
  if (rc == 0) {
    printf("\nratio bzImage/vmlinux (p50 total): %.2f\n", p50_total[1] / p50_total[0]);
    printf("one 9p mount adds %.1f ms, host_userland %.1f ms (p50 total)\n",
           p50_total[2] - p50_total[0], p50_total[3] - p50_total[0]);
  }
  vbx__registry_free(reg);
  return rc == 0 ? 0 : 1;
}
