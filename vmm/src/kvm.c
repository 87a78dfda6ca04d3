/*
 * vmm/kvm.c - opening KVM and creating the VM (kvm.h).
 */
#include "kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Where KVM keeps the VMX TSS and identity page table (Intel); outside RAM
 * and below the LAPIC/IOAPIC area. */
#define TSS_ADDR 0xfffbd000ull
#define IDENTITY_MAP_ADDR 0xfffbc000ull

static int fail(char *err, size_t cap, int e, const char *what) {
  snprintf(err, cap, "%s: %s", what, strerror(e));
  return -e;
}

static const struct {
  int cap;
  const char *name;
} needed[] = {
    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
    {KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
};

static int open_system(vmm_kvm *k, char *err, size_t cap) {
  k->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (k->sys_fd < 0) {
    int e = errno;
    snprintf(err, cap,
             "cannot open /dev/kvm: %s (no KVM here: see `voidbox doctor`; "
             "scripts/nested-kvm.sh runs the VMM under emulation)",
             strerror(e));
    return -e;
  }
  int v = ioctl(k->sys_fd, KVM_GET_API_VERSION, 0);
  if (v != KVM_API_VERSION) {
    snprintf(err, cap, "/dev/kvm speaks API version %d, the VMM needs %d", v, KVM_API_VERSION);
    return -EPROTO;
  }
  for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
    if (ioctl(k->sys_fd, KVM_CHECK_EXTENSION, needed[i].cap) <= 0) {
      snprintf(err, cap, "/dev/kvm lacks %s, which the VMM needs", needed[i].name);
      return -ENOTSUP;
    }
  }
  int rs = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (rs < (int)sizeof(struct kvm_run))
    return fail(err, cap, rs < 0 ? errno : EPROTO, "KVM_GET_VCPU_MMAP_SIZE");
  k->run_size = (size_t)rs;
  return 0;
}

static int create_vm(vmm_kvm *k, char *err, size_t cap) {
  k->vm_fd = ioctl(k->sys_fd, KVM_CREATE_VM, 0);
  if (k->vm_fd < 0) return fail(err, cap, errno, "KVM_CREATE_VM");
  if (ioctl(k->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)TSS_ADDR) < 0)
    return fail(err, cap, errno, "KVM_SET_TSS_ADDR");
  uint64_t idmap = IDENTITY_MAP_ADDR;
  if (ioctl(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
    return fail(err, cap, errno, "KVM_SET_IDENTITY_MAP_ADDR");
  if (ioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
    return fail(err, cap, errno, "KVM_CREATE_IRQCHIP");
  return 0;
}

/* The i8254 PIT only where the guest may need one. A KVM guest kernel takes
 * its TSC rate from kvmclock and, given the TSC-deadline timer (which the
 * vCPUs are offered whenever KVM has it, x86/cpu.c), never programs the
 * PIT. The in-kernel PIT would still run a kernel thread per VM with an
 * hrtimer and tick reinjection, and is device code reachable from the
 * guest: left out, its ports 0x40-0x43 and 0x61 float high like every
 * port without a device. */
static int create_pit(vmm_kvm *k, bool wanted, char *err, size_t cap) {
  if (!wanted && ioctl(k->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0) return 0;
  if (ioctl(k->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2) <= 0) {
    snprintf(err, cap,
             "this KVM has neither the TSC-deadline timer nor an in-kernel PIT "
             "(KVM_CAP_PIT2): the guest would have no timer");
    return -ENOTSUP;
  }
  struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
  if (ioctl(k->vm_fd, KVM_CREATE_PIT2, &pit) < 0) return fail(err, cap, errno, "KVM_CREATE_PIT2");
  return 0;
}

static int create_memory(vmm_kvm *k, uint64_t bytes, char *err, size_t cap) {
  k->mem_fd = memfd_create("voidbox-guest-ram", MFD_CLOEXEC);
  if (k->mem_fd < 0) return fail(err, cap, errno, "memfd_create");
  if (ftruncate(k->mem_fd, (off_t)bytes) != 0) return fail(err, cap, errno, "guest RAM: ftruncate");
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, k->mem_fd, 0);
  if (p == MAP_FAILED) return fail(err, cap, errno, "guest RAM: mmap");
  k->mem.base = p;
  k->mem.size = bytes;
  /* Guest RAM never goes into a core dump of the VMM. */
  madvise(p, bytes, MADV_DONTDUMP);
  struct kvm_userspace_memory_region r = {
      .slot = 0, .guest_phys_addr = 0, .memory_size = bytes, .userspace_addr = (uintptr_t)p};
  if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
    return fail(err, cap, errno, "KVM_SET_USER_MEMORY_REGION");
  return 0;
}

int vmm_kvm_open(vmm_kvm *k, uint64_t mem_bytes, bool pit, char *err, size_t errcap) {
  *k = (vmm_kvm){.sys_fd = -1, .vm_fd = -1, .mem_fd = -1};
  if (mem_bytes == 0 || mem_bytes % (2u << 20) != 0 || mem_bytes > VMM_MAX_MEM) {
    snprintf(err, errcap, "guest memory %llu MiB: must be a multiple of 2 MiB, at most %llu MiB",
             (unsigned long long)(mem_bytes >> 20), VMM_MAX_MEM >> 20);
    return -EINVAL;
  }
  int rc = open_system(k, err, errcap);
  if (rc == 0) rc = create_vm(k, err, errcap);
  if (rc == 0) rc = create_pit(k, pit, err, errcap);
  if (rc == 0) rc = create_memory(k, mem_bytes, err, errcap);
  if (rc != 0) vmm_kvm_close(k);
  return rc;
}

int vmm_kvm_vcpu(vmm_kvm *k, unsigned index, void **run, char *err, size_t errcap) {
  int fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
  if (fd < 0) {
    int e = errno;
    snprintf(err, errcap, "KVM_CREATE_VCPU %u: %s", index, strerror(e));
    return -e;
  }
  void *p = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    int e = errno;
    close(fd);
    snprintf(err, errcap, "vCPU %u: mmap kvm_run: %s", index, strerror(e));
    return -e;
  }
  *run = p;
  return fd;
}

int vmm_kvm_irq_line(const vmm_kvm *k, unsigned gsi, int level) {
  struct kvm_irq_level l = {.irq = gsi, .level = (uint32_t)level};
  return ioctl(k->vm_fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

void vmm_kvm_irq_pulse(void *ctx, unsigned gsi) {
  const vmm_kvm *k = ctx;
  vmm_kvm_irq_line(k, gsi, 1);
  vmm_kvm_irq_line(k, gsi, 0);
}

void vmm_kvm_close(vmm_kvm *k) {
  if (k->mem.base != NULL) munmap(k->mem.base, k->mem.size);
  if (k->mem_fd >= 0) close(k->mem_fd);
  if (k->vm_fd >= 0) close(k->vm_fd);
  if (k->sys_fd >= 0) close(k->sys_fd);
  *k = (vmm_kvm){.sys_fd = -1, .vm_fd = -1, .mem_fd = -1};
}
