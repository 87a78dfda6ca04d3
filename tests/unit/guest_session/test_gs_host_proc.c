/*
 * tests/unit/guest_session/test_gs_host_proc.c - the figures of a box's
 * host process (plugins/guest-session/host_proc.c): /proc/PID/stat parsed
 * after the LAST ')' (a command name with spaces and parentheses, fields
 * missing or not numbers, tick conversion), the VmRSS line of
 * /proc/PID/status (absent in a zombie, cut before its unit), and both
 * read from this very process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "host_proc.h"
#include "voidbox/errors.h"

/* A /proc/PID/stat line of a QEMU (kernel 6.1): utime 1234, stime 567. */
static const char stat_qemu[] =
    "4242 (qemu-system-x86) S 4100 4242 4242 0 -1 4194560 52000 0 12 0 1234 567 0 0 20 0 3 0 "
    "98765 1234567890 45678 18446744073709551615 1 1 0 0 0 0 0 4096 17475 0 0 0 17 1 0 0 0 0 0 "
    "0 0 0 0 0 0 0 0\n";

static void test_stat_plain(void **s) {
  (void)s;
  uint64_t us = 0;
  assert_int_equal(gs_host_proc_parse_stat(stat_qemu, 100, &us), 0);
  assert_int_equal(us, (1234 + 567) * 10000ull); /* ticks of 10 ms */
  assert_int_equal(gs_host_proc_parse_stat(stat_qemu, 1000, &us), 0);
  assert_int_equal(us, (1234 + 567) * 1000ull);
  /* a tick rate that does not divide a second: exact, not truncated per tick */
  assert_int_equal(gs_host_proc_parse_stat("1 (x) S 0 0 0 0 0 0 0 0 0 0 3 0 0 0\n", 3, &us), 0);
  assert_int_equal(us, 1000000);
  assert_int_equal(gs_host_proc_parse_stat(stat_qemu, 0, &us), VBX_E_INVAL);
}

static void test_stat_hostile_comm(void **s) {
  (void)s;
  /* a command name may hold spaces, parentheses and digits: "a) b (c" and
   * one that imitates the following fields */
  uint64_t us = 0;
  assert_int_equal(
      gs_host_proc_parse_stat("77 (a) b (c) R 1 77 77 0 -1 0 0 0 0 0 5 6 0 0 20 0\n", 100, &us), 0);
  assert_int_equal(us, 110000);
  assert_int_equal(
      gs_host_proc_parse_stat(
          "78 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13) Z 1 78 78 0 -1 0 0 0 0 0 7 8 0\n", 100, &us),
      0);
  assert_int_equal(us, 150000);
  /* the name ")": nothing but parentheses */
  assert_int_equal(gs_host_proc_parse_stat("79 ()) S 1 0 0 0 0 0 0 0 0 0 1 1 0\n", 100, &us), 0);
  assert_int_equal(us, 20000);
}

static void test_stat_malformed(void **s) {
  (void)s;
  uint64_t us = 42;
  static const char *const bad[] = {
      "",                                                            /* empty */
      "4242 qemu S 1 2 3 4 5 6 7 8 9 10 11 12\n",                    /* no ')' */
      "4242 (qemu)",                                                 /* nothing after it */
      "4242 (qemu) S 1 2 3 4 5 6 7 8 9 10\n",                        /* utime missing */
      "4242 (qemu) S 1 2 3 4 5 6 7 8 9 10 11\n",                     /* stime missing */
      "4242 (qemu)S 1 2 3 4 5 6 7 8 9 10 11 12\n",                   /* no space after ')' */
      "4242 (qemu) S 1 2 3 4 5 6 7 8 9 10 -11 12\n",                 /* a negative time */
      "4242 (qemu) S 1 2 3 4 5 6 7 8 9 10 1x 12\n",                  /* not a number */
      "4242 (qemu) S 1 2 3 4 5 6 7 8 9 10 11 12.5\n",                /* not an integer */
      "4242 (qemu) S 1 2 3 4 5 6 7 8 9 10 99999999999999999999 1\n", /* past u64 */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (gs_host_proc_parse_stat(bad[i], 100, &us) != VBX_E_PROTOCOL)
      fail_msg("accepted: %s", bad[i]);
  }
  assert_int_equal(us, 42); /* untouched on failure */
}

/* /proc/PID/status of a running process, the lines around VmRSS. */
static const char status_qemu[] =
    "Name:\tqemu-system-x86\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "VmPeak:\t 1234560 kB\n"
    "VmSize:\t 1200000 kB\n"
    "VmHWM:\t  300000 kB\n"
    "VmRSS:\t  281234 kB\n"
    "RssAnon:\t  200000 kB\n"
    "Threads:\t5\n";

static void test_status(void **s) {
  (void)s;
  uint64_t kib = 0;
  assert_int_equal(gs_host_proc_parse_status(status_qemu, &kib), 0);
  assert_int_equal(kib, 281234);
  /* the first line; the last line without its newline */
  assert_int_equal(gs_host_proc_parse_status("VmRSS: 7 kB\nX: 1\n", &kib), 0);
  assert_int_equal(kib, 7);
  assert_int_equal(gs_host_proc_parse_status("Name:\tx\nVmRSS:\t9 kB", &kib), 0);
  assert_int_equal(kib, 9);
  /* a zombie or a kernel thread has no Vm* lines; a name that mentions it */
  kib = 42;
  assert_int_equal(gs_host_proc_parse_status("Name:\tx\nState:\tZ (zombie)\nThreads:\t1\n", &kib),
                   VBX_E_NOTFOUND);
  assert_int_equal(gs_host_proc_parse_status("Name:\tVmRSS: 5 kB\n", &kib), VBX_E_NOTFOUND);
  assert_int_equal(gs_host_proc_parse_status("", &kib), VBX_E_NOTFOUND);
  assert_int_equal(kib, 42);
  /* cut before its unit (a bounded read), no number, another unit */
  assert_int_equal(gs_host_proc_parse_status("VmRSS:\t  2812", &kib), VBX_E_PROTOCOL);
  assert_int_equal(gs_host_proc_parse_status("VmRSS:\t kB\n", &kib), VBX_E_PROTOCOL);
  assert_int_equal(gs_host_proc_parse_status("VmRSS:\t 5 MB\n", &kib), VBX_E_PROTOCOL);
  assert_int_equal(gs_host_proc_parse_status("VmRSS:\t -5 kB\n", &kib), VBX_E_PROTOCOL);
  assert_int_equal(kib, 42);
}

/* This process: RSS within a sane range and CPU time that grows. */
static void test_read_self(void **s) {
  (void)s;
  gs_host_proc a, b;
  assert_int_equal(gs_host_proc_read(getpid(), &a), 0);
  assert_true(a.rss_kib > 0 && a.rss_kib < 64ull << 20);
  /* touch 32 MiB: resident memory grows; burn CPU: CPU time grows */
  size_t n = 32u << 20;
  volatile char *p = malloc(n);
  assert_non_null((void *)p);
  for (size_t i = 0; i < n; i += 4096)
    p[i] = 1;
  /* 100 ms of user CPU time, checked every million iterations */
  struct rusage ru0, ru;
  getrusage(RUSAGE_SELF, &ru0);
  volatile uint64_t spin = 0;
  do {
    for (int i = 0; i < 1000000; i++)
      spin = spin + 1;
    getrusage(RUSAGE_SELF, &ru);
  } while ((ru.ru_utime.tv_sec - ru0.ru_utime.tv_sec) * 1000000 + ru.ru_utime.tv_usec -
               ru0.ru_utime.tv_usec <
           100000);
  assert_int_equal(gs_host_proc_read(getpid(), &b), 0);
  assert_true(b.rss_kib >= a.rss_kib + 16 * 1024);
  assert_true(b.cpu_usec >= a.cpu_usec + 50000); /* clock ticks lag a little */
  free((void *)p);
}

/* A process that is gone, a zombie, no process at all. */
static void test_read_gone(void **s) {
  (void)s;
  gs_host_proc hp;
  assert_int_equal(gs_host_proc_read(0, &hp), VBX_E_NOTFOUND);
  assert_int_equal(gs_host_proc_read(-1, &hp), VBX_E_NOTFOUND);
  assert_int_equal(gs_host_proc_read(0x3ffffff0, &hp), VBX_E_NOTFOUND);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) _exit(0);
  /* a zombie until reaped: no memory, not reported */
  for (int i = 0; i < 500; i++) {
    if (gs_host_proc_read(pid, &hp) == VBX_E_NOTFOUND) break;
    usleep(10000);
  }
  assert_int_equal(gs_host_proc_read(pid, &hp), VBX_E_NOTFOUND);
  assert_int_equal(waitpid(pid, NULL, 0), pid);
  assert_int_equal(gs_host_proc_read(pid, &hp), VBX_E_NOTFOUND);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stat_plain),     cmocka_unit_test(test_stat_hostile_comm),
      cmocka_unit_test(test_stat_malformed), cmocka_unit_test(test_status),
      cmocka_unit_test(test_read_self),      cmocka_unit_test(test_read_gone),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
