/*
 * netstack/syscall_filter.c - the helper's filter (syscall_filter.h), with libseccomp.
 * A call outside the list kills the process (in sanitizer builds it fails
 * with ENOSYS, as the runtime's own calls at exit are not listed).
 */
#include "syscall_filter.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#if defined(__SANITIZE_ADDRESS__)
#define NS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NS_SANITIZED 1
#endif
#endif

static const int k_allowed[] = {
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(recvfrom),
    SCMP_SYS(sendto),
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendmsg),
    SCMP_SYS(close),
    SCMP_SYS(shutdown),
    SCMP_SYS(connect),
    SCMP_SYS(bind),
    SCMP_SYS(fcntl),
    SCMP_SYS(getsockopt),
    SCMP_SYS(setsockopt),
    SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(futex),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(brk),
    SCMP_SYS(madvise),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(getrandom),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(tgkill),
    SCMP_SYS(restart_syscall),
#ifdef NS_SANITIZED
    /* the sanitizer runtimes' reports (LeakSanitizer's exit check is off
     * once the filter is on: ns_seccomp_installed) */
    SCMP_SYS(sigaltstack),
    SCMP_SYS(prctl),
    SCMP_SYS(openat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(fstat),
    SCMP_SYS(sched_yield),
    SCMP_SYS(getrlimit),
    SCMP_SYS(prlimit64),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(readlink),
    SCMP_SYS(mprotect),
#endif
};

static int g_installed;

int ns_seccomp_installed(void) { return g_installed; }

#ifdef NS_SANITIZED
/* LeakSanitizer's stop-the-world at exit (a traced clone reading /proc)
 * cannot run under the filter: its check is skipped once the filter is on
 * (the code it would cover is leak-checked by the unit tests and fuzzers,
 * and by this program itself under --no-seccomp). */
__attribute__((visibility("default"))) int __lsan_is_turned_off(void);
__attribute__((visibility("default"))) int __lsan_is_turned_off(void) { return g_installed; }
#endif

int ns_seccomp_install(char *err, size_t errcap) {
#ifdef NS_SANITIZED
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
#else
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
#endif
  int rc = ctx != NULL ? 0 : -ENOMEM;
  for (size_t i = 0; rc == 0 && i < sizeof k_allowed / sizeof k_allowed[0]; i++)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, k_allowed[i], 0);
  /* Sockets: IPv4 and IPv6 only (libslirp's TCP, UDP and ICMP; DNS). */
  if (rc == 0)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                          SCMP_A0(SCMP_CMP_EQ, AF_INET, 0));
  if (rc == 0)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                          SCMP_A0(SCMP_CMP_EQ, AF_INET6, 0));
  /* ioctl: the two libslirp issues (non-blocking mode, bytes waiting). */
  if (rc == 0)
    rc =
        seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONBIO, 0));
  if (rc == 0)
    rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                          SCMP_A1(SCMP_CMP_EQ, FIONREAD, 0));
  if (rc == 0) rc = seccomp_load(ctx);
  if (rc == 0) g_installed = 1;
  if (ctx != NULL) seccomp_release(ctx);
  if (rc != 0) {
    snprintf(err, errcap, "cannot install the system call filter: %s", strerror(-rc));
    return -1;
  }
  return 0;
}
