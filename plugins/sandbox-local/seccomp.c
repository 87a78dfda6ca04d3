/*
 * sandbox-local/seccomp.c - the seccomp filter of a local box, built once
 * with libseccomp and exported as raw BPF, so the clone child installs it
 * with one prctl() (no allocation after clone). Default allow; the calls
 * that reach the kernel's shared state or other processes fail with EPERM.
 */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local.h"

static const char *const denied[] = {
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "bpf",
    "perf_event_open",
    "open_by_handle_at",
    "name_to_handle_at",
    "unshare",
    "setns",
    "keyctl",
    "add_key",
    "request_key",
    "userfaultfd",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "syslog",
    "quotactl",
    "lookup_dcookie",
    "iopl",
    "ioperm",
    "fsopen",
    "fsmount",
    "fsconfig",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "fanotify_init",
    "vhangup",
};

int local_seccomp_build(struct sock_fprog *out, char *err, size_t errcap) {
  int rc = -1, mfd = -1;
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == NULL) {
    snprintf(err, errcap, "seccomp_init failed");
    return -1;
  }
  for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
    int nr = seccomp_syscall_resolve_name(denied[i]);
    if (nr == __NR_SCMP_ERROR) continue; /* not on this architecture */
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) != 0) {
      snprintf(err, errcap, "seccomp rule for %s failed", denied[i]);
      goto out;
    }
  }
  /* No new namespaces from inside the box; clone3 gets ENOSYS so libc
   * falls back to clone, whose flags the filter can see. */
  static const unsigned long ns[] = {CLONE_NEWNS,  CLONE_NEWUSER, CLONE_NEWPID,   CLONE_NEWNET,
                                     CLONE_NEWIPC, CLONE_NEWUTS,  CLONE_NEWCGROUP};
  for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, ns[i], ns[i])) != 0) {
      snprintf(err, errcap, "seccomp clone rule failed");
      goto out;
    }
  int c3 = seccomp_syscall_resolve_name("clone3");
  if (c3 != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), c3, 0) != 0) {
    snprintf(err, errcap, "seccomp clone3 rule failed");
    goto out;
  }
  mfd = memfd_create("vbx-seccomp", MFD_CLOEXEC);
  if (mfd < 0 || seccomp_export_bpf(ctx, mfd) != 0) {
    snprintf(err, errcap, "seccomp_export_bpf failed");
    goto out;
  }
  struct stat st;
  if (fstat(mfd, &st) != 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
      st.st_size > 65536) {
    snprintf(err, errcap, "seccomp program has a bad size");
    goto out;
  }
  struct sock_filter *prog = malloc((size_t)st.st_size);
  if (prog == NULL || pread(mfd, prog, (size_t)st.st_size, 0) != st.st_size) {
    free(prog);
    snprintf(err, errcap, "cannot read the seccomp program");
    goto out;
  }
  out->filter = prog;
  out->len = (unsigned short)((size_t)st.st_size / sizeof(struct sock_filter));
  rc = 0;
out:
  if (mfd >= 0) close(mfd);
  seccomp_release(ctx);
  return rc;
}
