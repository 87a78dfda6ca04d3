/*
 * vmm/vcpu.c - the vCPU threads (vcpu.h). The exit switch is the whole of
 * the monitor's emulation on the hot path: port I/O and MMIO go to the
 * bus, everything else ends the VM.
 */
#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "util/clock.h"

#define STRAY_LOG_MAX 8 /* unclaimed accesses reported per vCPU */

static void stray(vmm_vcpu *v, const char *space, uint64_t addr, uint32_t len, bool is_write) {
  if (!v->verbose || v->stray_logged >= STRAY_LOG_MAX) return;
  v->stray_logged++;
  fprintf(stderr, "voidbox-vmm: vcpu %u: %s %s of %u bytes at 0x%llx: no device (%s)\n", v->index,
          space, is_write ? "write" : "read", len, (unsigned long long)addr,
          v->stray_logged == STRAY_LOG_MAX ? "further ones not reported" : "ignored");
}

/* Port I/O: `count` accesses of `size` bytes at data_offset in kvm_run,
 * every one bounded by the mapping. */
static int exit_io(vmm_vcpu *v) {
  const struct kvm_run *r = v->run;
  uint64_t size = r->io.size, count = r->io.count, off = r->io.data_offset;
  if ((size != 1 && size != 2 && size != 4) || count == 0 || off > v->run_size ||
      size * count > v->run_size - off)
    return -EPROTO;
  bool out = r->io.direction == KVM_EXIT_IO_OUT;
  for (uint64_t i = 0; i < count; i++) {
    uint8_t *d = (uint8_t *)v->run + off + i * size;
    if (vmm_bus_access(v->bus, VMM_BUS_PIO, r->io.port, d, (uint32_t)size, out)) continue;
    if (!out) memset(d, 0xff, size); /* nothing there: the bus floats high */
    if (r->io.port != 0x80)          /* 0x80: POST code / I/O delay */
      stray(v, "port", r->io.port, (uint32_t)size, out);
  }
  return 0;
}

static int exit_mmio(vmm_vcpu *v) {
  struct kvm_run *r = v->run;
  uint32_t len = r->mmio.len;
  if (len == 0 || len > sizeof r->mmio.data) return -EPROTO;
  if (!vmm_bus_access(v->bus, VMM_BUS_MMIO, r->mmio.phys_addr, r->mmio.data, len, r->mmio.is_write))
    stray(v, "mmio", r->mmio.phys_addr, len, r->mmio.is_write);
  return 0;
}

/* Where the guest was when it triple-faulted: what a kernel developer
 * needs to find the cause (the RIP against System.map, the paging and
 * mode registers, the exception KVM was delivering). Best effort: a
 * failed read is said, not hidden, and so is a state KVM already reset. */
static void describe_shutdown(vmm_vcpu *v, char *why, size_t cap) {
  struct kvm_regs regs;
  struct kvm_sregs sregs;
  struct kvm_vcpu_events ev;
  if (ioctl(v->fd, KVM_GET_REGS, &regs) != 0 || ioctl(v->fd, KVM_GET_SREGS, &sregs) != 0) {
    snprintf(why, cap, "triple fault (vcpu %u; its registers cannot be read: %s)", v->index,
             strerror(errno));
    return;
  }
  if (regs.rip == 0xfff0 && sregs.cs.selector == 0xf000) { /* the reset vector */
    snprintf(why, cap, "triple fault (vcpu %u; KVM had reset its registers already, as on AMD)",
             v->index);
    return;
  }
  int n = snprintf(why, cap,
                   "triple fault (vcpu %u: rip 0x%llx rsp 0x%llx cs 0x%x cr0 0x%llx cr2 0x%llx "
                   "cr3 0x%llx cr4 0x%llx efer 0x%llx",
                   v->index, (unsigned long long)regs.rip, (unsigned long long)regs.rsp,
                   sregs.cs.selector, (unsigned long long)sregs.cr0, (unsigned long long)sregs.cr2,
                   (unsigned long long)sregs.cr3, (unsigned long long)sregs.cr4,
                   (unsigned long long)sregs.efer);
  if (n < 0 || (size_t)n >= cap) return;
  if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) == 0 && ev.exception.injected)
    n += snprintf(why + n, cap - (size_t)n, "; exception %u error code 0x%x", ev.exception.nr,
                  ev.exception.error_code);
  if ((size_t)n < cap) snprintf(why + n, cap - (size_t)n, ")");
}

/* Dispatch one exit. Returns 1 to run again, 0 when the VM ended (reported). */
static int dispatch(vmm_vcpu *v) {
  char why[320];
  struct kvm_run *r = v->run;
  switch (r->exit_reason) {
  case KVM_EXIT_IO:
    if (exit_io(v) == 0) return 1;
    snprintf(why, sizeof why, "vcpu %u: malformed port I/O exit", v->index);
    break;
  case KVM_EXIT_MMIO:
    if (exit_mmio(v) == 0) return 1;
    snprintf(why, sizeof why, "vcpu %u: malformed MMIO exit", v->index);
    break;
  case KVM_EXIT_INTR: return 1; /* a kick; the loop checks stopping */
  case KVM_EXIT_SHUTDOWN:
    describe_shutdown(v, why, sizeof why);
    v->end(v->ctx, VMM_END_RESET, why);
    return 0;
  case KVM_EXIT_SYSTEM_EVENT:
    if (r->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
      v->end(v->ctx, VMM_END_POWEROFF, "power-off");
      return 0;
    }
    if (r->system_event.type == KVM_SYSTEM_EVENT_RESET) {
      v->end(v->ctx, VMM_END_RESET, "reset");
      return 0;
    }
    snprintf(why, sizeof why, "vcpu %u: system event %u", v->index, r->system_event.type);
    break;
  case KVM_EXIT_HLT: v->end(v->ctx, VMM_END_POWEROFF, "halted"); return 0;
  case KVM_EXIT_FAIL_ENTRY:
    snprintf(why, sizeof why, "vcpu %u: KVM could not enter the guest (hardware reason 0x%llx)",
             v->index, (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
    break;
  case KVM_EXIT_INTERNAL_ERROR:
    snprintf(why, sizeof why, "vcpu %u: KVM internal error %u", v->index, r->internal.suberror);
    break;
  default:
    snprintf(why, sizeof why, "vcpu %u: unexpected exit reason %u", v->index, r->exit_reason);
    break;
  }
  v->end(v->ctx, VMM_END_ERROR, why);
  return 0;
}

static void *vcpu_main(void *arg) {
  vmm_vcpu *v = arg;
  char why[200];
  sigset_t kick;
  sigemptyset(&kick);
  sigaddset(&kick, VMM_SIG_KICK);
  pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
  if (v->before_run != NULL && v->before_run(v->ctx, v->index) != 0) {
    snprintf(why, sizeof why, "vcpu %u: cannot install its seccomp filter", v->index);
    v->end(v->ctx, VMM_END_ERROR, why);
    atomic_store(&v->exited, true);
    return NULL;
  }
  while (!atomic_load(v->stopping)) {
    uint_fast64_t zero = 0;
    atomic_compare_exchange_strong(v->first_run_ns, &zero, vbx__now_ns());
    if (ioctl(v->fd, KVM_RUN, 0) < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        v->run->immediate_exit = 0;
        continue;
      }
      snprintf(why, sizeof why, "vcpu %u: KVM_RUN: %s", v->index, strerror(errno));
      v->end(v->ctx, VMM_END_ERROR, why);
      break;
    }
    if (!dispatch(v)) break;
  }
  atomic_store(&v->exited, true);
  return NULL;
}

int vmm_vcpu_start(vmm_vcpu *v) {
  int rc = pthread_create(&v->thread, NULL, vcpu_main, v);
  if (rc != 0) return -rc;
  atomic_store(&v->started, true);
  return 0;
}

void vmm_vcpu_kick(vmm_vcpu *v) {
  if (!atomic_load(&v->started) || atomic_load(&v->exited)) return;
  /* immediate_exit covers a vCPU about to enter KVM_RUN; the signal one
   * already inside it. */
  __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
  pthread_kill(v->thread, VMM_SIG_KICK);
}

int vmm_vcpu_join(vmm_vcpu *v, uint64_t deadline_ns) {
  if (!atomic_load(&v->started)) return 0;
  for (;;) {
    vmm_vcpu_kick(v);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10 * 1000000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    if (pthread_timedjoin_np(v->thread, NULL, &ts) == 0) {
      atomic_store(&v->started, false);
      return 0;
    }
    if (vbx__now_ns() >= deadline_ns) {
      pthread_detach(v->thread);
      return -ETIMEDOUT;
    }
  }
}
