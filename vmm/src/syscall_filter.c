/*
 * vmm/syscall_filter.c - per-thread system call filters (syscall_filter.h), with
 * libseccomp. The lists are what the code on each thread calls, including
 * the C library's allocator (mmap, brk, madvise) and futexes; ioctl is
 * limited to the two KVM requests those threads issue and socket() to
 * AF_UNIX.
 *
 * In sanitizer builds the lists also allow what the sanitizer runtimes call
 * on our threads (sigaltstack at thread exit, files for reports), and a
 * call outside them fails with ENOSYS instead of killing the process.
 */
#include "syscall_filter.h"

#include <errno.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#if defined(__SANITIZE_ADDRESS__)
#define VMM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VMM_SANITIZED 1
#endif
#endif

/* Calls both kinds make. */
static const int common[] = {
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
    SCMP_SYS(fcntl),
    SCMP_SYS(getsockopt),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(futex),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(brk),
    SCMP_SYS(madvise),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep),
    SCMP_SYS(getrandom),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(kill),
    SCMP_SYS(tgkill),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(sched_yield),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(unlink),
    SCMP_SYS(unlinkat),
};

static const int loop_only[] = {
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(accept4),
    SCMP_SYS(accept),
};

#ifdef VMM_SANITIZED
/* What the sanitizer runtimes call on a thread of ours: at thread exit
 * (its alternate signal stack) and when they write a report. */
static const int sanitizer_only[] = {
    SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction),
    SCMP_SYS(prctl),       SCMP_SYS(sched_getaffinity),
    SCMP_SYS(prlimit64),   SCMP_SYS(openat),
    SCMP_SYS(readlink),    SCMP_SYS(newfstatat),
    SCMP_SYS(pread64),     SCMP_SYS(lseek),
    SCMP_SYS(getdents64),
};
#endif

static int allow_list(scmp_filter_ctx f, const int *sys, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, sys[i], 0);
    if (rc < 0) return rc;
  }
  return 0;
}

int vmm_seccomp_install(vmm_seccomp_kind kind) {
#ifdef VMM_SANITIZED
  uint32_t deny = SCMP_ACT_ERRNO(ENOSYS);
#else
  uint32_t deny = SCMP_ACT_KILL_PROCESS;
#endif
  scmp_filter_ctx f = seccomp_init(deny);
  if (f == NULL) return -ENOMEM;
  int rc = allow_list(f, common, sizeof common / sizeof common[0]);
#ifdef VMM_SANITIZED
  if (rc == 0) rc = allow_list(f, sanitizer_only, sizeof sanitizer_only / sizeof sanitizer_only[0]);
#endif
  if (rc == 0 && kind == VMM_SECCOMP_LOOP)
    rc = allow_list(f, loop_only, sizeof loop_only / sizeof loop_only[0]);
  if (rc == 0)
    rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                          SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)KVM_IRQ_LINE, 0));
  /* A vCPU thread runs its vCPU and, to describe a triple fault, reads
   * (never writes) that vCPU's registers. */
  static const unsigned long vcpu_ioctls[] = {KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS,
                                              KVM_GET_VCPU_EVENTS};
  for (size_t i = 0; rc == 0 && kind == VMM_SECCOMP_VCPU && i < 4; i++)
    rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                          SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)vcpu_ioctls[i], 0));
  if (rc == 0)
    rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                          SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)AF_UNIX, 0));
  if (rc == 0) rc = seccomp_load(f);
  seccomp_release(f);
  return rc;
}
