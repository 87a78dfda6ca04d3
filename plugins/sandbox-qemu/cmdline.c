/*
 * sandbox-qemu/cmdline.c - the guest kernel's command line of a box, and
 * the TSC frequency a TCG guest is told. Every option past the console,
 * panic and reboot ones is there because it shortened a boot measurably
 * under TCG on our machines (docs/sandbox-qemu.md "Boot options" has each
 * one's figure, and what was tried and left out).
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

#include "qemu.h"

/* Every accelerator:
 *   loglevel=6         the console shows notice and worse: the kernel's
 *                      banner and command line, warnings, errors, panics
 *                      and the guest agent's lines (it logs at notice), not
 *                      the ~130 info lines of a boot, each byte of which is
 *                      a port write to the emulated 8250 and a write(2) of
 *                      QEMU's. The kernel's ring buffer keeps every line
 *                      (dmesg in the guest).
 *   no_timer_check     no test of the IO-APIC timer at boot (a busy wait
 *                      of 4 jiffies); QEMU's timer interrupt works.
 *   pty.legacy_count=0 none of the 256 BSD pty pairs (/dev/ptyXX); Unix98
 *                      ptys (/dev/pts) are untouched. */
#define CMDLINE_ALL "console=ttyS0 loglevel=6 panic=-1 reboot=t no_timer_check pty.legacy_count=0"
/* TCG only (a KVM guest has a TSC-deadline timer and kvmclock, so it
 * calibrates nothing of this, and patches its code at native speed):
 *   nolapic_timer      the PIT drives the tick, so the local APIC timer is
 *                      not calibrated: 2 x 100 ms of waiting (TCG offers no
 *                      TSC-deadline timer, which would skip it).
 *   noreplace-smp      a kernel that sees one CPU keeps its lock prefixes
 *                      instead of rewriting each one (under TCG every write
 *                      to kernel text discards translated code). */
#define CMDLINE_TCG " nolapic_timer noreplace-smp"

int qemu_kernel_cmdline(int accel, unsigned tsc_khz, const char *tail, char *out, size_t cap) {
  char tsc[48] = "";
  /* tsc_early_khz: the TSC's rate without the guest calibrating it
   * against the PIT, which under TCG fails one boot in three on a loaded
   * host and leaves that guest on a 4 ms jiffies clock. */
  if (accel == QEMU_ACCEL_TCG && tsc_khz != 0)
    snprintf(tsc, sizeof tsc, " tsc_early_khz=%u", tsc_khz);
  int n = snprintf(out, cap, "%s%s%s%s%s", CMDLINE_ALL, accel == QEMU_ACCEL_TCG ? CMDLINE_TCG : "",
                   tsc, tail && tail[0] ? " " : "", tail ? tail : "");
  return n >= 0 && (size_t)n < cap ? n : -1;
}

/* 0: not measured yet; QEMU_TSC_NONE: the host has no usable TSC. */
#define QEMU_TSC_NONE UINT32_MAX
static _Atomic uint32_t g_tsc_khz;

#if defined(__x86_64__)
static uint64_t raw_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC_RAW, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* One (time, TSC) pair: the TSC read between two clock reads, the
 * tightest of a few tries. 0, or -1 when no try was tight (preempted). */
static int tsc_pair(uint64_t *ns, uint64_t *tsc) {
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < 8; i++) {
    uint64_t a = raw_ns(), t = __rdtsc(), b = raw_ns();
    if (b - a < best) {
      best = b - a;
      *ns = a + (b - a) / 2;
      *tsc = t;
    }
  }
  return best < 2000 ? 0 : -1;
}

/* The TSC runs at one rate whatever the CPU's power state
 * (CPUID 0x80000007 EDX bit 8). */
static int tsc_invariant(void) {
  unsigned a, b, c, d;
  if (__get_cpuid(0x80000000u, &a, &b, &c, &d) == 0 || a < 0x80000007u) return 0;
  return __get_cpuid(0x80000007u, &a, &b, &c, &d) && (d & (1u << 8)) != 0;
}
#endif

void qemu_tsc_probe_begin(qemu_tsc_probe *p) {
  p->ok = 0;
#if defined(__x86_64__)
  if (g_tsc_khz == 0 && tsc_invariant() && tsc_pair(&p->ns, &p->tsc) == 0) p->ok = 1;
#endif
}

unsigned qemu_tsc_probe_end(qemu_tsc_probe *p) {
  uint32_t k = g_tsc_khz;
  if (k != 0) return k == QEMU_TSC_NONE ? 0 : k;
#if defined(__x86_64__)
  uint64_t ns, tsc;
  if (p->ok) {
    /* 2 ms apart: a pair's bracket is ~30 ns, so the rate is good to
     * ~15 ppm, as good as a clock crystal */
    uint64_t since = raw_ns() - p->ns;
    if (since < 2000000u) {
      struct timespec d = {0, (long)(2000000u - since)};
      nanosleep(&d, NULL);
    }
    if (tsc_pair(&ns, &tsc) == 0 && ns > p->ns && tsc > p->tsc) {
      uint64_t khz = (tsc - p->tsc) * 1000000u / (ns - p->ns);
      if (khz >= 100000u && khz <= 20000000u) { /* 100 MHz .. 20 GHz */
        g_tsc_khz = (uint32_t)khz;
        return (unsigned)khz;
      }
    }
    return 0; /* measured again next time */
  }
  if (!tsc_invariant()) g_tsc_khz = QEMU_TSC_NONE;
#else
  (void)p;
  g_tsc_khz = QEMU_TSC_NONE;
#endif
  return 0;
}
