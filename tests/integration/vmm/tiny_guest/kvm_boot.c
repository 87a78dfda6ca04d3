/*
 * tests/integration/vmm/tiny_guest/kvm_boot.c - vbx_vmm_x86 under a real
 * KVM, without the rest of the VMM: a VM with the in-kernel irqchip and
 * PIT, one memory slot at GPA 0, vmm_x86_load and vmm_x86_vcpu_init, one
 * thread per vCPU running KVM_RUN with just enough devices for a boot to
 * show: 8250 output at 0x3f8 (LSR always "empty"), two virtio-mmio devices
 * answering magic/version/device id at 0xd0000000 (ids 0x13, 2), and the
 * i8042 reset (0xfe to port 0x64) that ends the run.
 *
 *   vmm_x86_kvm_boot KERNEL INITRD|- CMDLINE VCPUS MEM_MIB TIMEOUT_S EXPECT...
 *
 * Passes (0) when the guest reset itself within TIMEOUT_S and its serial
 * output holds every EXPECT string, in order; prints the output otherwise
 * (1). Exits 77 when this machine has no usable KVM (no /dev/kvm, or no
 * vmx/svm flag: a PVM /dev/kvm cannot boot these guests).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot.h"

#define MAX_VCPUS 8
#define OUT_CAP (1u << 20)
#define MMIO_BASE 0xd0000000ull
#define MMIO_DEVICES 2

static int kvm_fd, vcpu_fd[MAX_VCPUS];
static size_t run_size;
static atomic_int state; /* 0 running, 1 reset by the guest, 2 error */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static char out[OUT_CAP + 1];
static size_t out_len;

static void serial_byte(uint8_t c) {
  pthread_mutex_lock(&out_lock);
  if (out_len < OUT_CAP) out[out_len++] = (char)c;
  pthread_mutex_unlock(&out_lock);
}

static void port_io(struct kvm_run *run) {
  uint8_t *d = (uint8_t *)run + run->io.data_offset;
  for (uint32_t i = 0; i < run->io.count; i++, d += run->io.size) {
    if (run->io.direction == KVM_EXIT_IO_OUT) {
      if (run->io.port == 0x3f8) serial_byte(*d);
      if (run->io.port == 0x64 && *d == 0xfe) atomic_store(&state, 1);
    } else {
      memset(d, 0, run->io.size);
      if (run->io.port == 0x3fd) *d = 0x60; /* LSR: THR and transmitter empty */
    }
  }
}

static void mmio(struct kvm_run *run) {
  uint64_t a = run->mmio.phys_addr;
  uint32_t v = 0;
  if (run->mmio.is_write) return;
  if (a >= MMIO_BASE && a < MMIO_BASE + MMIO_DEVICES * 0x1000) {
    unsigned dev = (unsigned)((a - MMIO_BASE) >> 12), off = (unsigned)(a & 0xfff);
    if (off == 0) v = 0x74726976; /* "virt" */
    if (off == 4) v = 2;          /* version */
    if (off == 8) v = dev == 0 ? 0x13 : 2;
  }
  memcpy(run->mmio.data, &v, run->mmio.len < 4 ? run->mmio.len : 4);
}

static void *vcpu_loop(void *arg) {
  unsigned i = (unsigned)(uintptr_t)arg;
  struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd[i], 0);
  if (run == MAP_FAILED) {
    atomic_store(&state, 2);
    return NULL;
  }
  while (atomic_load(&state) == 0) {
    if (ioctl(vcpu_fd[i], KVM_RUN, 0) < 0) {
      if (errno == EINTR || errno == EAGAIN) continue; /* an AP before its SIPI */
      fprintf(stderr, "vCPU %u: KVM_RUN: %s\n", i, strerror(errno));
      atomic_store(&state, 2);
      break;
    }
    switch (run->exit_reason) {
    case KVM_EXIT_IO: port_io(run); break;
    case KVM_EXIT_MMIO: mmio(run); break;
    case KVM_EXIT_HLT: break; /* only with no in-kernel LAPIC */
    default:
      fprintf(stderr, "vCPU %u: exit reason %u\n", i, run->exit_reason);
      atomic_store(&state, 2);
    }
  }
  munmap(run, run_size);
  return NULL;
}

static int usable_kvm(void) {
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[4096];
  int virt = 0;
  while (f && !virt && fgets(line, sizeof line, f))
    if (!strncmp(line, "flags", 5) && (strstr(line, " vmx") || strstr(line, " svm"))) virt = 1;
  if (f) fclose(f);
  if (access("/dev/kvm", R_OK | W_OK) != 0) return printf("SKIP: no usable /dev/kvm\n"), 0;
  if (!virt) return printf("SKIP: /dev/kvm without vmx/svm (PVM?): cannot boot a guest\n"), 0;
  return 1;
}

static int create_vm(uint64_t mib, vmm_guest_mem *mem) {
  int vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
  uint64_t ident = 0xfffbc000;
  struct kvm_pit_config pit = {0};
  if (vm < 0 || ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000) < 0 ||
      ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0 ||
      ioctl(vm, KVM_CREATE_PIT2, &pit) < 0)
    return fprintf(stderr, "VM setup: %s\n", strerror(errno)), -1;
  mem->size = mib << 20;
  mem->base = mmap(NULL, mem->size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  struct kvm_userspace_memory_region r = {
      .slot = 0, .memory_size = mem->size, .userspace_addr = (uintptr_t)mem->base};
  if (mem->base == MAP_FAILED || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
    return fprintf(stderr, "guest memory: %s\n", strerror(errno)), -1;
  return vm;
}

static int check_output(int argc, char **argv) {
  const char *at = out;
  for (int i = 7; i < argc; i++) {
    const char *hit = strstr(at, argv[i]);
    if (!hit) return fprintf(stderr, "FAIL: \"%s\" not in the serial output (in order)\n", argv[i]);
    at = hit + strlen(argv[i]);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: %s KERNEL INITRD|- CMDLINE VCPUS MEM_MIB TIMEOUT_S EXPECT...\n",
            argv[0]);
    return 2;
  }
  unsigned vcpus = (unsigned)atoi(argv[4]);
  int timeout_s = atoi(argv[6]);
  if (vcpus == 0 || vcpus > MAX_VCPUS) return 2;
  if (!usable_kvm()) return 77;
  kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  vmm_guest_mem mem;
  int vm = kvm_fd < 0 ? -1 : create_vm((uint64_t)atoi(argv[5]), &mem);
  if (vm < 0) return 1;
  run_size = (size_t)ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  char err[512];
  vmm_boot boot;
  const char *initrd = strcmp(argv[2], "-") ? argv[2] : NULL;
  if (vmm_x86_load(&mem, argv[1], initrd, argv[3], vcpus, &boot, err, sizeof err) != 0)
    return fprintf(stderr, "FAIL: vmm_x86_load: %s\n", err), 1;
  for (unsigned i = 0; i < vcpus; i++) {
    vcpu_fd[i] = ioctl(vm, KVM_CREATE_VCPU, i);
    if (vcpu_fd[i] < 0) return fprintf(stderr, "KVM_CREATE_VCPU: %s\n", strerror(errno)), 1;
    if (vmm_x86_vcpu_init(kvm_fd, vcpu_fd[i], &mem, &boot, i, vcpus, err, sizeof err) != 0)
      return fprintf(stderr, "FAIL: vmm_x86_vcpu_init: %s\n", err), 1;
  }
  pthread_t t[MAX_VCPUS];
  for (unsigned i = 0; i < vcpus; i++)
    pthread_create(&t[i], NULL, vcpu_loop, (void *)(uintptr_t)i);
  for (int ms = 0; ms < timeout_s * 1000 && atomic_load(&state) == 0; ms += 20)
    usleep(20000);
  int end = atomic_load(&state);
  pthread_mutex_lock(&out_lock);
  out[out_len] = 0;
  int bad = end != 1 || check_output(argc, argv) != 0;
  if (end != 1)
    fprintf(stderr, "FAIL: %s\n", end == 0 ? "no reset before the timeout" : "KVM error");
  if (bad) fprintf(stderr, "---- serial output ----\n%s\n----\n", out);
  printf("%s: %s, %u vCPUs: %s\n", bad ? "FAIL" : "PASS", argv[1], vcpus,
         bad ? "see above" : "reset by the guest, every expected line seen");
  fflush(NULL);
  _exit(bad); /* vCPU threads may sit in KVM_RUN: leave without joining */
}
