/*
 * netstack/syscall_filter.h - the helper's system-call filter, installed once the
 * policy is read, the guest link is up and libslirp is set up: from then
 * on it can open IPv4/IPv6 sockets and move bytes, nothing else (no files,
 * no Unix sockets, no exec).
 */
#ifndef NETSTACK_SYSCALL_FILTER_H
#define NETSTACK_SYSCALL_FILTER_H

#include <stddef.h>

/* Install the filter on the calling (only) thread. 0 or -1 with err. */
int ns_seccomp_install(char *err, size_t errcap);

/* 1 once ns_seccomp_install succeeded. */
int ns_seccomp_installed(void);

#endif
