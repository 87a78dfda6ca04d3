/*
 * vmm/syscall_filter.h - the system calls each kind of VMM thread may make. A
 * thread installs its filter itself, before it handles anything the guest
 * controls (a vCPU before its first KVM_RUN, the event loop before its
 * first epoll_wait); anything else kills the process (SIGSYS). Filters are
 * per thread (no TSYNC), so the main thread keeps the calls it needs for
 * set-up and teardown.
 */
#ifndef VMM_SYSCALL_FILTER_H
#define VMM_SYSCALL_FILTER_H

typedef enum {
  VMM_SECCOMP_VCPU = 0, /* KVM_RUN, the bus's devices (sockets of vsock and console) */
  VMM_SECCOMP_LOOP = 1, /* epoll, accept/connect on Unix sockets, KVM_IRQ_LINE */
} vmm_seccomp_kind;

/* Install the filter of `kind` on the calling thread (and the threads it
 * creates afterwards). Returns 0 or a negative errno. */
int vmm_seccomp_install(vmm_seccomp_kind kind);

#endif
