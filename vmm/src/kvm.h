/*
 * vmm/kvm.h - the KVM system and VM file descriptors: /dev/kvm opened and
 * checked for what the monitor needs, a VM with the in-kernel irqchip
 * (PIC, IOAPIC, LAPICs) and PIT, guest RAM as one memfd-backed slot, and
 * interrupt lines pulsed on the IOAPIC.
 */
#ifndef VMM_KVM_H
#define VMM_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

typedef struct vmm_kvm {
  int sys_fd;        /* /dev/kvm */
  int vm_fd;         /* KVM_CREATE_VM */
  int mem_fd;        /* memfd backing guest RAM */
  size_t run_size;   /* KVM_GET_VCPU_MMAP_SIZE */
  vmm_guest_mem mem; /* guest RAM mapped here, GPA 0 .. mem.size */
} vmm_kvm;

/* Open /dev/kvm, check the API version and the capabilities the monitor
 * uses, create the VM with its irqchip and `mem_bytes` of guest RAM
 * (a multiple of 2 MiB, at most VMM_MAX_MEM), and an in-kernel i8254
 * PIT when `pit` is set or KVM lacks the TSC-deadline timer. On failure
 * returns a negative errno/VBX_E_* code with a message in err naming the
 * step, and k is left closed (vmm_kvm_close is still safe). Not
 * thread-safe. */
int vmm_kvm_open(vmm_kvm *k, uint64_t mem_bytes, bool pit, char *err, size_t errcap);

/* Create vCPU `index` and map its kvm_run area. Returns the vCPU fd, or a
 * negative errno with err set; *run receives the mapping (run_size bytes,
 * unmapped by the caller). Call from the thread creating vCPUs, before
 * any of them runs. */
int vmm_kvm_vcpu(vmm_kvm *k, unsigned index, void **run, char *err, size_t errcap);

/* Set interrupt line `gsi` of the IOAPIC/PIC to `level`. Thread-safe (one
 * ioctl). Returns 0 or -errno. */
int vmm_kvm_irq_line(const vmm_kvm *k, unsigned gsi, int level);

/* A vmm_irq raise() for edge-triggered device interrupts: the line is
 * pulsed high then low. ctx is the vmm_kvm. */
void vmm_kvm_irq_pulse(void *ctx, unsigned gsi);

/* Close the fds and unmap guest RAM. Safe on a zeroed or half-opened k. */
void vmm_kvm_close(vmm_kvm *k);

#define VMM_MAX_MEM (3ull << 30) /* guest RAM ends below the 32-bit MMIO hole */

#endif
