/*
 * tests/bench/bench_vmm.c - our KVM monitor (voidbox-vmm) against QEMU's
 * microvm on the same KVM, the same guest image and the same kernel
 * command line, in one run: N boots of each (VBX_BENCH_VMM_BOOTS or
 * --boots, default 20), interleaved (ours first on even rounds, QEMU first
 * on odd ones) so machine noise hits both alike, within a time budget
 * (VBX_BENCH_VMM_BUDGET_S or --budget, default 300 s of boots: the number
 * done is printed). Per boot:
 *   boot to marker   process start to the guest's user space (busybox sh as
 *                    rdinit) writing "VBXMARK" through /dev/kmsg, seen in
 *                    the serial console file (host clock); split into the
 *                    marker's kernel timestamp (guest clock: kernel start
 *                    to user space) and the rest (monitor start, kernel
 *                    loading, firmware: before the guest's clock runs)
 *   first KVM_RUN    ours only: voidbox-vmm --timing's "start to first
 *                    KVM_RUN" (vmm_run() entry to the first KVM_RUN)
 *   RSS overhead     the monitor's Rss summed over /proc/PID/smaps while the
 *                    guest sits at the marker, except its guest-RAM mapping
 *                    (ours: memfd:voidbox-guest-ram; QEMU: its largest
 *                    anonymous mapping of at least the guest's size);
 *                    also the peak RSS (VmHWM) there, guest RAM included
 * then p50/p95 of each and the ratios ours/QEMU, against the targets (boot
 * ratio <= 0.5, our RSS overhead <= 3 MiB). The VM is ended with SIGTERM
 * once measured. VBX_BENCH_VMM_KERNEL=bzImage boots the bzImage instead of
 * vmlinux (PVH); VBX_BENCH_VMM_KEEP=DIR keeps every boot's console there.
 *
 * Where: directly when this CPU has hardware virtualization (vmx/svm) and
 * /dev/kvm; else the program runs itself (--inner) in an emulated L1 with
 * scripts/nested-kvm.sh, which needs root. Figures, not pass/fail: without
 * a guest image, QEMU, KVM or root it prints "bench_vmm: skipped: REASON"
 * and exits 0, as it does when boots fail (their reasons are printed).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_report.h"

#define MEM_MIB 256
#define BOOT_TIMEOUT_MS 60000
#define POLL_MS 2
#define CONSOLE_CAP (1 << 20)
#define MARKER "VBXMARK"
#define RSS_TARGET_KIB 3072
/* The kernel command line both monitors get: sandbox-qemu's (console,
 * panic and reboot behaviour; sandbox-kvm's differs only in reboot=k, and
 * no boot here gets to reboot: SIGTERM ends it), with busybox's sh as
 * init. The marker goes through /dev/kmsg, so the console line carries the
 * kernel's own timestamp (its clock from kernel start; /proc/uptime lags it
 * by 0.6-2.6 s here, the early boot's lost jiffies). It is spelled through
 * a variable so that the kernel's echo of its command line never matches. */
#define GUEST_CMDLINE                                                                       \
  "console=ttyS0 panic=-1 reboot=t rdinit=/bin/busybox -- sh -c \"mknod /dev/kmsg c 1 11; " \
  "m=VBX; echo ${m}MARK >/dev/kmsg; sleep 60; reboot -f\""

enum { OURS, QEMU, KINDS };
static const char *const kind_names[KINDS] = {"voidbox-vmm", "qemu microvm"};

/* What the run measures with: paths and counts, fixed before the first boot. */
typedef struct bench_cfg {
  char img[512];    /* guest image directory */
  char kernel[600]; /* IMG/vmlinux, or bzImage with VBX_BENCH_VMM_KERNEL=bzImage */
  char initrd[600];
  int boots;    /* asked for, per monitor */
  int budget_s; /* wall-clock budget of the boot loop */
} bench_cfg;

/* One boot's figures (ms and KiB); -1 where not measured. */
typedef struct sample {
  double wall_ms, guest_ms, pre_ms, setup_ms;
  double rss_other_kib, rss_file_kib, rss_guest_kib, hwm_kib;
} sample;

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void sleep_ms(int ms) {
  struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile p of the n values v (sorted in place); -1 when
 * there are none or any is unmeasured (negative). */
static double pct(double *v, int n, int p) {
  if (n < 1) return -1;
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  if (v[0] < 0) return -1;
  int k = (p * n + 99) / 100;
  return v[k < 1 ? 0 : k - 1];
}

static bool is_file(const char *dir, const char *name) {
  char p[700];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* True when a "flags" line of /proc/cpuinfo has vmx or svm. */
static bool cpu_has_hwvirt(void) {
  FILE *f = fopen("/proc/cpuinfo", "re");
  char line[8192];
  bool yes = false;
  while (f != NULL && !yes && fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "flags", 5) != 0) continue;
    yes = strstr(line, " vmx") != NULL || strstr(line, " svm") != NULL;
  }
  if (f != NULL) fclose(f);
  return yes;
}

/* The monitor's argv for one boot into the buffers of the caller; console
 * is the serial console file. */
static void build_argv(int kind, const bench_cfg *c, const char *console, char *const bufs[3],
                       const char **argv) {
  int n = 0;
  char *mem = bufs[0], *serial = bufs[1];
  snprintf(mem, 32, "%d", MEM_MIB);
  if (kind == OURS) {
    argv[n++] = VBX_BENCH_VMM;
    argv[n++] = "--kernel", argv[n++] = c->kernel, argv[n++] = "--initrd", argv[n++] = c->initrd;
    argv[n++] = "--mem", argv[n++] = mem, argv[n++] = "--cpus", argv[n++] = "1";
    argv[n++] = "--console", argv[n++] = console, argv[n++] = "--timing";
    argv[n++] = "--cmdline", argv[n++] = GUEST_CMDLINE;
  } else { /* plugins/sandbox-qemu/launch.c's way, KVM accelerated */
    snprintf(serial, 700, "file:%s", console);
    argv[n++] = "qemu-system-x86_64", argv[n++] = "-M", argv[n++] = "microvm,acpi=off";
    argv[n++] = "-enable-kvm", argv[n++] = "-cpu", argv[n++] = "host";
    argv[n++] = "-m", argv[n++] = mem, argv[n++] = "-smp", argv[n++] = "1";
    argv[n++] = "-sandbox";
    argv[n++] = "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";
    argv[n++] = "-nodefaults", argv[n++] = "-no-user-config", argv[n++] = "-nographic";
    argv[n++] = "-no-reboot";
    argv[n++] = "-kernel", argv[n++] = c->kernel, argv[n++] = "-initrd", argv[n++] = c->initrd;
    argv[n++] = "-append", argv[n++] = GUEST_CMDLINE, argv[n++] = "-serial", argv[n++] = serial;
    argv[n++] = "-object", argv[n++] = "rng-random,id=rng0,filename=/dev/urandom";
    argv[n++] = "-device", argv[n++] = "virtio-rng-device,rng=rng0";
  }
  argv[n] = NULL;
}

/* Fork and exec argv with stdin and stdout on /dev/null and stderr to
 * err_path; the child dies with us. Returns its pid or -1 (errno). */
static pid_t spawn(const char *const *argv, const char *err_path) {
  int efd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (efd < 0 || nfd < 0) {
    if (efd >= 0) close(efd);
    if (nfd >= 0) close(nfd);
    return -1;
  }
  pid_t parent = getpid(), pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(nfd, 0);
    dup2(nfd, 1);
    dup2(efd, 2);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  close(efd);
  close(nfd);
  return pid;
}

/* Append what was added to the file at path since *len bytes into buf
 * (cap bytes, kept NUL-terminated). A missing file is empty. */
static void read_more(const char *path, char *buf, size_t cap, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t r;
  while (*len < cap - 1 && (r = pread(fd, buf + *len, cap - 1 - *len, (off_t)*len)) > 0)
    *len += (size_t)r;
  buf[*len] = '\0';
  close(fd);
}

/* Wait until the console holds the whole marker line, the child exits or
 * BOOT_TIMEOUT_MS pass. Returns 0 with *guest_s, the marker line's kernel
 * timestamp, else -1 (the child runs on) or -2 (it ended and was reaped)
 * with why (exit status or timeout) in why. buf holds the console. */
static int wait_marker(pid_t pid, const char *console, char *buf, double *guest_s, char *why,
                       size_t cap) {
  size_t len = 0;
  uint64_t deadline = now_ns() + (uint64_t)BOOT_TIMEOUT_MS * 1000000u;
  for (;;) {
    read_more(console, buf, CONSOLE_CAP, &len);
    const char *m = strstr(buf, "] " MARKER); /* "[ SECONDS] VBXMARK\r\n" */
    if (m != NULL && strchr(m, '\n') != NULL) {
      while (m > buf && m[-1] != '\n')
        m--;
      if (sscanf(m, "[ %lf]", guest_s) == 1) return 0;
      snprintf(why, cap, "the marker line has no kernel timestamp");
      return -1;
    }
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid) {
      snprintf(why, cap, "the monitor ended before the marker (%s %d)",
               WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
      return -2; /* reaped */
    }
    if (now_ns() >= deadline) {
      snprintf(why, cap, "no marker within %d s", BOOT_TIMEOUT_MS / 1000);
      return -1;
    }
    sleep_ms(POLL_MS);
  }
}

/* The monitor's Rss (KiB) from /proc/PID/smaps, split into its guest-RAM
 * mapping (ours: the memfd named voidbox-guest-ram; QEMU: the largest
 * anonymous mapping of at least MEM_MIB), file-backed mappings and the rest.
 * Also its peak RSS (VmHWM, guest RAM included) from /proc/PID/status.
 * Returns 0, or -1 when smaps cannot be read or no guest mapping is found. */
static int smaps_rss(pid_t pid, int kind, sample *s) {
  char path[64], line[1024];
  snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
  FILE *f = fopen(path, "re");
  if (f == NULL) return -1;
  double total = 0, file = 0, guest = -1, rss = 0, best_size = 0;
  bool cur_file = false, cur_guest = false;
  for (;;) {
    unsigned long lo, hi, ino;
    char *got = fgets(line, sizeof line, f);
    int name_at = 0;
    bool header = got != NULL &&
                  sscanf(line, "%lx-%lx %*s %*x %*x:%*x %lu %n", &lo, &hi, &ino, &name_at) == 3;
    if (got == NULL || header) { /* the previous mapping is complete */
      total += rss;
      if (cur_guest)
        guest = rss;
      else if (cur_file)
        file += rss;
      if (got == NULL) break;
      const char *name = line + name_at;
      double size = (double)(hi - lo);
      rss = 0;
      cur_file = ino != 0 && strstr(name, "memfd:") == NULL;
      if (kind == OURS) {
        cur_guest = strstr(name, "memfd:voidbox-guest-ram") != NULL;
      } else {
        cur_guest = ino == 0 && (name[0] == '\n' || name[0] == '\0') &&
                    size >= (double)MEM_MIB * 1048576 && size > best_size;
        if (cur_guest) best_size = size;
      }
      continue;
    }
    double kib;
    if (sscanf(line, "Rss: %lf kB", &kib) == 1) rss = kib;
  }
  fclose(f);
  if (guest < 0) return -1;
  s->rss_guest_kib = guest;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  f = fopen(path, "re");
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "VmHWM: %lf kB", &s->hwm_kib) == 1) break;
  if (f != NULL) fclose(f);
  s->rss_file_kib = file;
  s->rss_other_kib = total - guest;
  return 0;
}

/* End the monitor: SIGTERM, then SIGKILL after 10 s. Reaps it. */
static void stop_child(pid_t pid) {
  kill(pid, SIGTERM);
  for (int i = 0; i < 1000; i++) {
    if (waitpid(pid, NULL, WNOHANG) == pid) return;
    sleep_ms(10);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

/* voidbox-vmm --timing's "start to first KVM_RUN" (ms) from its stderr
 * file, or -1. */
static double setup_ms(const char *err_path) {
  static char buf[65536];
  size_t len = 0;
  read_more(err_path, buf, sizeof buf, &len);
  const char *m = strstr(buf, "start to first KVM_RUN ");
  double ms;
  return m != NULL && sscanf(m + 23, "%lf", &ms) == 1 ? ms : -1;
}

/* Print the last lines of text (up to 600 bytes), indented. */
static void show_tail(const char *what, const char *text) {
  size_t n = strlen(text);
  const char *t = n > 600 ? text + n - 600 : text;
  printf("    %s (tail):\n", what);
  for (const char *l = t; *l != '\0';) {
    const char *e = strchr(l, '\n');
    int w = e ? (int)(e - l) : (int)strlen(l);
    printf("    | %.*s\n", w, l);
    l += w + (e != NULL);
  }
}

/* With VBX_BENCH_VMM_KEEP=DIR, copy the boot's console file to
 * DIR/KIND-N.log (N counts this process's boots of that monitor). */
static void keep_console(int kind, const char *console) {
  static int count[KINDS];
  const char *keep = getenv("VBX_BENCH_VMM_KEEP");
  char dest[600];
  if (keep == NULL || keep[0] == '\0') return;
  snprintf(dest, sizeof dest, "%s/%s-%d.log", keep, kind == OURS ? "ours" : "qemu", ++count[kind]);
  static char buf[CONSOLE_CAP];
  size_t len = 0;
  read_more(console, buf, sizeof buf, &len);
  FILE *f = fopen(dest, "we");
  if (f == NULL || fwrite(buf, 1, len, f) != len)
    printf("  cannot keep the console as %s: %s\n", dest, strerror(errno));
  if (f != NULL) fclose(f);
}

/* Boot the monitor `kind` once in a fresh directory under /tmp: measure to
 * the marker, read its smaps there, end it. Returns 0 with s filled, or -1
 * after printing why. */
static int boot_once(int kind, const bench_cfg *c, sample *s) {
  char dir[] = "/tmp/vbx-bench-vmm.XXXXXX", console[64], err[64], mem[32], serial[700];
  char *const bufs[3] = {mem, serial, NULL};
  const char *argv[48];
  *s = (sample){-1, -1, -1, -1, -1, -1, -1, -1};
  if (mkdtemp(dir) == NULL) {
    printf("  %s: mkdtemp: %s\n", kind_names[kind], strerror(errno));
    return -1;
  }
  snprintf(console, sizeof console, "%s/console.log", dir);
  snprintf(err, sizeof err, "%s/stderr", dir);
  build_argv(kind, c, console, bufs, argv);
  char *buf = malloc(CONSOLE_CAP), why[200] = "";
  int rc = -1;
  uint64_t t0 = now_ns();
  pid_t pid = buf ? spawn(argv, err) : -1;
  if (pid < 0) {
    printf("  %s: cannot start: %s\n", kind_names[kind], strerror(errno));
    goto out;
  }
  buf[0] = '\0';
  double up = -1;
  rc = wait_marker(pid, console, buf, &up, why, sizeof why);
  if (rc == 0) {
    s->wall_ms = (double)(now_ns() - t0) / 1e6;
    s->guest_ms = up * 1e3;
    s->pre_ms = s->wall_ms - s->guest_ms;
    if (smaps_rss(pid, kind, s) != 0) snprintf(why, sizeof why, "no guest RAM mapping in smaps");
  }
  if (rc != -2) stop_child(pid);
  if (kind == OURS) s->setup_ms = setup_ms(err);
  if (rc != 0 || why[0] != '\0') {
    printf("  %s: boot failed: %s\n", kind_names[kind], why);
    show_tail("console", buf);
    static char ebuf[65536];
    size_t elen = 0;
    read_more(err, ebuf, sizeof ebuf, &elen);
    show_tail("stderr", ebuf);
    rc = -1;
  }
out:
  free(buf);
  keep_console(kind, console);
  unlink(console);
  unlink(err);
  rmdir(dir);
  return rc;
}

/* Percentile p of the field at byte offset off over the n samples v. */
static double field_pct(const sample *v, int n, size_t off, int p) {
  double tmp[1000];
  for (int i = 0; i < n && i < 1000; i++)
    memcpy(&tmp[i], (const char *)&v[i] + off, sizeof(double));
  return pct(tmp, n < 1000 ? n : 1000, p);
}

static void print_num(double x, const char *fmt) {
  if (x < 0)
    printf(" %9s", "-");
  else
    printf(fmt, x);
}

/* One report row: p50 and p95 of both monitors and the ratios ours/QEMU
 * (ratio columns only when QEMU has the figure). */
static void row(const char *name, sample *const v[KINDS], const int n[KINDS], size_t off) {
  double p[KINDS][2];
  for (int k = 0; k < KINDS; k++) {
    p[k][0] = field_pct(v[k], n[k], off, 50);
    p[k][1] = field_pct(v[k], n[k], off, 95);
  }
  printf("  %-34s", name);
  for (int k = 0; k < KINDS; k++)
    for (int q = 0; q < 2; q++)
      print_num(p[k][q], " %9.1f");
  for (int q = 0; q < 2; q++)
    print_num(p[QEMU][q] > 0 && p[OURS][q] >= 0 ? p[OURS][q] / p[QEMU][q] : -1, " %9.2f");
  printf("\n");
}

static const char *met(bool yes) { return yes ? "met" : "NOT met"; }

/* The figures of the run: a table of p50/p95 per monitor with ratios, then
 * the targets. */
static void report(const bench_cfg *c, sample *const v[KINDS], const int n[KINDS], int rounds,
                   double secs) {
  printf(
      "\nN = %d boots of each monitor, interleaved (asked %d, budget %d s), %.0f s; "
      "successful: voidbox-vmm %d, qemu %d\n",
      rounds, c->boots, c->budget_s, secs, n[OURS], n[QEMU]);
  printf("  %-34s %9s %9s %9s %9s %9s %9s\n", "figure (ms or KiB)", "ours p50", "ours p95",
         "qemu p50", "qemu p95", "ratio p50", "ratio p95");
  row("boot to marker (host, ms)", v, n, offsetof(sample, wall_ms));
  row("  guest clock at marker (ms)", v, n, offsetof(sample, guest_ms));
  row("  before the guest clock (ms)", v, n, offsetof(sample, pre_ms));
  row("start to first KVM_RUN (ms)", v, n, offsetof(sample, setup_ms));
  row("RSS beyond guest RAM (KiB)", v, n, offsetof(sample, rss_other_kib));
  row("  of which file-backed (KiB)", v, n, offsetof(sample, rss_file_kib));
  row("guest RAM resident (KiB)", v, n, offsetof(sample, rss_guest_kib));
  row("peak RSS, VmHWM (KiB)", v, n, offsetof(sample, hwm_kib));
  double b50 = field_pct(v[OURS], n[OURS], offsetof(sample, wall_ms), 50) /
               field_pct(v[QEMU], n[QEMU], offsetof(sample, wall_ms), 50);
  double b95 = field_pct(v[OURS], n[OURS], offsetof(sample, wall_ms), 95) /
               field_pct(v[QEMU], n[QEMU], offsetof(sample, wall_ms), 95);
  double r50 = field_pct(v[OURS], n[OURS], offsetof(sample, rss_other_kib), 50);
  double q50 = field_pct(v[QEMU], n[QEMU], offsetof(sample, rss_other_kib), 50);
  if (n[OURS] < 1 || n[QEMU] < 1) {
    printf("targets: not evaluated (a monitor has no successful boot)\n");
    return;
  }
  printf("target boot ours/qemu <= 0.50: p50 %.2f %s, p95 %.2f %s\n", b50, met(b50 <= 0.5), b95,
         met(b95 <= 0.5));
  printf("target ours RSS beyond guest RAM <= %d KiB: p50 %.0f KiB %s (ours/qemu %.2f)\n",
         RSS_TARGET_KIB, r50, met(r50 <= RSS_TARGET_KIB), q50 > 0 ? r50 / q50 : -1);
  bench_figure("voidbox-vmm boot to user space p50",
               field_pct(v[OURS], n[OURS], offsetof(sample, wall_ms), 50), "ms",
               "qemu -M microvm, same KVM, kernel and initramfs",
               field_pct(v[QEMU], n[QEMU], offsetof(sample, wall_ms), 50), "ratio<=0.5");
  char goal[32];
  snprintf(goal, sizeof goal, "value<=%d", RSS_TARGET_KIB);
  bench_figure("voidbox-vmm RSS beyond guest RAM p50", r50, "KiB", "qemu -M microvm", q50, goal);
}

/* The boot loop: rounds of one boot per monitor, order alternating, until
 * c->boots rounds or the budget would be passed by one more round (at the
 * mean round time). Prints each round's boot times. */
static void run_boots(const bench_cfg *c) {
  sample *v[KINDS] = {calloc((size_t)c->boots, sizeof(sample)),
                      calloc((size_t)c->boots, sizeof(sample))};
  int n[KINDS] = {0, 0}, i;
  uint64_t start = now_ns();
  for (i = 0; v[OURS] && v[QEMU] && i < c->boots; i++) {
    double el = (double)(now_ns() - start) / 1e9;
    if (i > 0 && el + el / i > c->budget_s) break;
    double ms[KINDS] = {-1, -1};
    for (int j = 0; j < KINDS; j++) {
      int kind = i % 2 == 0 ? j : KINDS - 1 - j;
      sample s;
      if (boot_once(kind, c, &s) == 0) v[kind][n[kind]++] = s, ms[kind] = s.wall_ms;
    }
    printf("  round %2d (%s first): voidbox-vmm %.0f ms, qemu %.0f ms\n", i + 1,
           i % 2 == 0 ? "ours" : "qemu", ms[OURS], ms[QEMU]);
    fflush(stdout);
  }
  report(c, v, n, i, (double)(now_ns() - start) / 1e9);
  free(v[OURS]);
  free(v[QEMU]);
}

/* Run this program (self, --inner) in an emulated L1 with a real /dev/kvm
 * through scripts/nested-kvm.sh, its output passing through. Returns its
 * exit status (125: L1 could not run it), or -1 when it cannot start. */
static int run_nested(const char *self, const bench_cfg *c) {
  char boots[16], budget[16], timeout[16];
  snprintf(boots, sizeof boots, "%d", c->boots);
  snprintf(budget, sizeof budget, "%d", c->budget_s);
  snprintf(timeout, sizeof timeout, "%d", c->budget_s + 300);
  const char *keep = getenv("VBX_BENCH_VMM_KEEP"), *argv[24];
  int n = 0;
  argv[n++] = "bash", argv[n++] = VBX_BENCH_SRC_DIR "/scripts/nested-kvm.sh";
  argv[n++] = "--timeout", argv[n++] = timeout;
  argv[n++] = "--share", argv[n++] = VBX_BENCH_BUILD_DIR, argv[n++] = "--share", argv[n++] = c->img;
  if (keep != NULL && keep[0] != '\0') argv[n++] = "--share", argv[n++] = keep;
  argv[n++] = "--", argv[n++] = self, argv[n++] = "--inner";
  argv[n++] = "--boots", argv[n++] = boots, argv[n++] = "--budget", argv[n++] = budget;
  argv[n] = NULL;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(VBX_BENCH_SRC_DIR) != 0) _exit(127);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  int st;
  if (pid < 0 || waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Positive integer from env (or the default d) within [1, max]. */
static int env_int(const char *name, int d, int max) {
  const char *e = getenv(name);
  int x = e && e[0] ? atoi(e) : d;
  return x >= 1 && x <= max ? x : d;
}

/* The configuration from the environment and argv; returns 1 when --inner
 * was given, 0 if not, -1 on a usage error (printed). */
static int configure(int argc, char **argv, bench_cfg *c) {
  const char *env = getenv("VOIDBOX_CACHE_DIR"), *home = getenv("HOME"),
             *kern = getenv("VBX_BENCH_VMM_KERNEL");
  snprintf(c->img, sizeof c->img, "%s%s",
           env && env[0] ? env
           : home        ? home
                         : "",
           env && env[0] ? "" : "/.cache/voidbox/images");
  if (kern == NULL || strcmp(kern, "bzImage") != 0) kern = "vmlinux";
  snprintf(c->kernel, sizeof c->kernel, "%s/%s", c->img, kern);
  snprintf(c->initrd, sizeof c->initrd, "%s/initramfs.cpio", c->img);
  c->boots = env_int("VBX_BENCH_VMM_BOOTS", 20, 1000);
  c->budget_s = env_int("VBX_BENCH_VMM_BUDGET_S", 300, 86400);
  int inner = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--inner") == 0)
      inner = 1;
    else if (strcmp(argv[i], "--boots") == 0 && i + 1 < argc)
      c->boots = atoi(argv[++i]);
    else if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc)
      c->budget_s = atoi(argv[++i]);
    else {
      printf(
          "usage: bench_vmm [--boots N] [--budget SECONDS]\n"
          "  (env VBX_BENCH_VMM_BOOTS, VBX_BENCH_VMM_BUDGET_S, "
          "VBX_BENCH_VMM_KERNEL=vmlinux|bzImage, VOIDBOX_CACHE_DIR)\n");
      return -1;
    }
  }
  if (c->boots < 1 || c->boots > 1000 || c->budget_s < 1) {
    printf("bench_vmm: --boots must be 1..1000 and --budget positive\n");
    return -1;
  }
  return inner;
}

/* Measure here, where /dev/kvm is real. */
static int measure(bench_cfg *c) {
  int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    printf("bench_vmm: skipped: /dev/kvm: %s\n", strerror(errno));
    return 0;
  }
  close(fd);
  printf(
      "guest: %s + initramfs.cpio, %d MiB, 1 vCPU, 8250 console + virtio-rng, both seccomp'd\n"
      "cmdline: %s\n",
      c->kernel, MEM_MIB, GUEST_CMDLINE);
  fflush(stdout);
  run_boots(c);
  return 0;
}

int main(int argc, char **argv) {
  bench_cfg c;
  memset(&c, 0, sizeof c);
  int inner = configure(argc, argv, &c);
  if (inner < 0) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (inner) {
    return measure(&c);
  }
  printf("bench_vmm: voidbox-vmm vs qemu-system-x86_64 -M microvm, same KVM, same image\n");
  if (!is_file(c.img, "vmlinux") || !is_file(c.img, "bzImage") ||
      !is_file(c.img, "initramfs.cpio")) {
    printf("bench_vmm: skipped: no guest image in %s (voidbox image build)\n", c.img);
    return 0;
  }
  if (access(VBX_BENCH_VMM, X_OK) != 0) {
    printf("bench_vmm: skipped: %s: %s\n", VBX_BENCH_VMM, strerror(errno));
    return 0;
  }
  if (system("command -v qemu-system-x86_64 >/dev/null") != 0) {
    printf("bench_vmm: skipped: qemu-system-x86_64 not installed\n");
    return 0;
  }
  if (access("/dev/kvm", R_OK | W_OK) == 0 && cpu_has_hwvirt()) {
    printf("KVM: hardware (vmx/svm in /proc/cpuinfo: running directly)\n");
    return measure(&c);
  }
  if (getuid() != 0) {
    printf("bench_vmm: skipped: no hardware KVM here and scripts/nested-kvm.sh needs root\n");
    return 0;
  }
  char self[512];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    printf("bench_vmm: skipped: cannot find this program (/proc/self/exe)\n");
    return 0;
  }
  self[n] = '\0';
  printf(
      "KVM: nested (no vmx/svm in /proc/cpuinfo: running inside an emulated L1 "
      "through scripts/nested-kvm.sh, ~7 s to start it)\n");
  int rc = run_nested(self, &c);
  if (rc != 0)
    printf("bench_vmm: stopped: the nested run ended with status %d%s; no figures\n", rc,
           rc == 125   ? " (L1 could not run it; its console is above)"
           : rc == 124 ? " (L1 did not finish within its bound: the rounds it did are above)"
                       : "");
  return 0;
}
