/*
 * vmm/vcpu.h - one thread per vCPU running KVM_RUN and dispatching each
 * exit to the port-I/O or MMIO bus; resets, power-off and failures are
 * handed to the VM through a callback.
 */
#ifndef VMM_VCPU_H
#define VMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "vmm/vmm.h"

#define VMM_SIG_KICK SIGUSR1 /* interrupts KVM_RUN on a vCPU thread */

typedef struct vmm_vcpu vmm_vcpu;

/* What a vCPU reports to its VM: how the guest ended it, with a message
 * for VMM_END_ERROR. Called on the vCPU thread; may be called by several
 * vCPUs (the VM keeps the first). */
typedef void (*vmm_vcpu_end_fn)(void *ctx, vmm_end end, const char *why);

struct vmm_vcpu {
  unsigned index;
  int fd;
  struct kvm_run *run; /* mapped, run_size bytes */
  size_t run_size;
  const vmm_bus *bus;
  atomic_bool *stopping;              /* the VM's flag: leave the loop */
  atomic_uint_fast64_t *first_run_ns; /* set by the first vCPU to enter KVM_RUN */
  int (*before_run)(void *ctx,
                    unsigned index); /* on the thread, before the first KVM_RUN: seccomp */
  vmm_vcpu_end_fn end;
  void *ctx;
  pthread_t thread;
  atomic_bool started, exited;
  bool verbose; /* report accesses no device claimed (the first few) */
  unsigned stray_logged;
};

/* Start the vCPU's thread. Returns 0 or -errno. */
int vmm_vcpu_start(vmm_vcpu *v);
/* Make the vCPU leave KVM_RUN now and see *stopping (race-free: the
 * immediate_exit flag, then a signal to its thread). Thread-safe. */
void vmm_vcpu_kick(vmm_vcpu *v);
/* Join the thread, kicking it every 10 ms, until deadline_ns (CLOCK_MONOTONIC).
 * Returns 0, or -ETIMEDOUT when it did not end in time (left detached). */
int vmm_vcpu_join(vmm_vcpu *v, uint64_t deadline_ns);

#endif
