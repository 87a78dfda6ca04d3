/*
 * vmm/x86/boot.h - x86-64 boot of a voidbox VM: load a kernel (ELF vmlinux
 * through PVH, or a bzImage through the 64-bit boot protocol) with its
 * initrd, command line and tables into guest memory, then give each vCPU
 * its starting state. docs/vmm-boot.md describes the layout and both paths.
 */
#ifndef VMM_X86_BOOT_H
#define VMM_X86_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

typedef struct vmm_boot {
  uint64_t entry;      /* guest physical entry point */
  bool pvh;            /* true: 32-bit PVH entry; false: 64-bit boot protocol */
  uint64_t params_gpa; /* zero page (64-bit) or hvm_start_info (PVH) */
} vmm_boot;

/* Load `kernel_path` (ELF64 vmlinux with a PVH note, or a bzImage: told
 * apart by their magic), `initrd_path` (NULL: none) and `cmdline` into
 * `mem`, and write the zero page or PVH start info, the e820 map, the MP
 * table for `vcpus` vCPUs, the GDT and the identity page tables (layout.h).
 * `mem` must be one region at GPA 0 of VMM_X86_MEM_MIN..VMM_X86_MEM_MAX
 * bytes; the files are read whole, every length bounded against the file
 * and guest memory. Fills *out. Returns 0, or a negative errno / VBX_E_*
 * code with a message naming the file and the field in `err` (always NUL
 * terminated when errcap > 0); after a failure guest memory holds whatever
 * was written before it (do not run the VM). Call before any vCPU runs; not
 * thread-safe against other writers of `mem`. */
int vmm_x86_load(const vmm_guest_mem *mem, const char *kernel_path, const char *initrd_path,
                 const char *cmdline, unsigned vcpus, vmm_boot *out, char *err, size_t errcap);

/* Set the starting state of vCPU `index` of `vcpus` (vcpu_fd from
 * KVM_CREATE_VCPU on a VM with the in-kernel irqchip): CPUID filtered from
 * KVM_GET_SUPPORTED_CPUID on `kvm_fd` (APIC ids, topology, hypervisor bit),
 * MSRs, FPU, LAPIC LINT0/LINT1; for index 0 also the registers of `boot`
 * (PVH 32-bit protected mode or 64-bit long mode). APs are left for the
 * guest to start with INIT/SIPI. `mem` must be the memory vmm_x86_load
 * wrote. Returns 0 or -errno with the failing ioctl named in `err`. Call
 * from any one thread per vCPU, before that vCPU's first KVM_RUN. */
int vmm_x86_vcpu_init(int kvm_fd, int vcpu_fd, const vmm_guest_mem *mem, const vmm_boot *boot,
                      unsigned index, unsigned vcpus, char *err, size_t errcap);

#endif
