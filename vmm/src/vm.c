/*
 * vmm/vm.c - vmm_run(): one VM from KVM open to the last thread joined.
 *
 * Threads: the caller's (main) thread builds the VM, starts one thread per
 * vCPU and the event-loop thread, then waits in sigtimedwait() for the end:
 * a vCPU reporting reset/power-off/failure (it sends SIGUSR2 to the
 * process) or SIGTERM/SIGINT/SIGHUP. Teardown stops the vCPUs (kick and
 * join under a deadline), then the loop, then frees the devices, so no
 * device is freed while a thread can still reach it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bus.h"
#include "i8042.h"
#include "kvm.h"
#include "loop.h"
#include "syscall_filter.h"
#include "serial.h"
#include "util/clock.h"
#include "vcpu.h"
#include "virtio/net.h"
#include "virtio/virtio.h"
#include "vmm/vmm.h"
#include "voidbox/errors.h"
#include "x86/boot.h"

#define VIRTIO_BASE 0xd0000000ull
#define VIRTIO_STRIDE 0x1000ull
#define VIRTIO_GSI0 5
#define MAX_DEVICES 6 /* rng, console, vsock, net; GSIs 5..10 (no ACPI, no mouse) */
#define JOIN_DEADLINE_NS (2ull * 1000000000ull)
#define VMM_SIG_END SIGUSR2

typedef struct vm {
  vmm_kvm kvm;
  vmm_bus bus;
  vmm_loop *loop;
  pthread_t loop_thread;
  bool loop_started;
  atomic_bool loop_exited;
  vmm_serial serial;
  bool serial_ready;
  int console_fd;
  vmm_i8042 i8042;
  vmm_virtio_mmio *dev[MAX_DEVICES];
  unsigned ndev;
  vmm_virtio_mmio *net; /* also in dev[]; NULL without --net */
  vmm_vcpu vcpu[VMM_MAX_VCPUS];
  unsigned nvcpu;
  atomic_bool stopping;
  atomic_uint_fast64_t first_run_ns;
  pthread_mutex_t end_mu;
  bool ended;
  vmm_end end;
  char why[320];
  bool seccomp;
} vm;

static volatile sig_atomic_t stop_requested;

void vmm_request_stop(void) {
  stop_requested = 1;
  kill(getpid(), VMM_SIG_END);
}

static void on_kick(int sig) { (void)sig; /* only interrupts KVM_RUN */ }

/* The first report wins; every vCPU is kicked and main is woken. */
static void vm_end(void *ctx, vmm_end end, const char *why) {
  vm *m = ctx;
  pthread_mutex_lock(&m->end_mu);
  if (!m->ended) {
    m->ended = true;
    m->end = end;
    snprintf(m->why, sizeof m->why, "%s", why ? why : "");
  }
  pthread_mutex_unlock(&m->end_mu);
  atomic_store(&m->stopping, true);
  for (unsigned i = 0; i < m->nvcpu; i++)
    vmm_vcpu_kick(&m->vcpu[i]);
  kill(getpid(), VMM_SIG_END);
}

static void on_reset(void *ctx) { vm_end(ctx, VMM_END_RESET, "reset through the i8042"); }

static void serial_irq(void *ctx, unsigned gsi, int level) { vmm_kvm_irq_line(ctx, gsi, level); }

static int vcpu_filter(void *ctx, unsigned index) {
  vm *m = ctx;
  (void)index;
  return m->seccomp ? vmm_seccomp_install(VMM_SECCOMP_VCPU) : 0;
}

static void *loop_main(void *arg) {
  vm *m = arg;
  if (m->seccomp && vmm_seccomp_install(VMM_SECCOMP_LOOP) != 0) {
    vm_end(m, VMM_END_ERROR, "the event loop cannot install its seccomp filter");
  } else {
    int rc = vmm_loop_run(m->loop);
    if (rc < 0) vm_end(m, VMM_END_ERROR, "the event loop failed");
  }
  atomic_store(&m->loop_exited, true);
  return NULL;
}

/* The kernel command line: the caller's, with one virtio_mmio.device= per
 * device (the kernel finds virtio-mmio devices nowhere else without ACPI
 * or a device tree). They go before a " -- ", if any: what follows it is
 * init's arguments, not the kernel's. */
static int build_cmdline(const vmm_config *c, unsigned ndev, char *out, size_t cap, char *err,
                         size_t errcap) {
  const char *user = c->cmdline ? c->cmdline : "";
  const char *dashes = strncmp(user, "-- ", 3) == 0 ? user : strstr(user, " -- ");
  size_t head = dashes ? (size_t)(dashes - user) : strlen(user);
  size_t n = (size_t)snprintf(out, cap, "%.*s", (int)head, user);
  for (unsigned i = 0; i < ndev && n < cap; i++)
    n += (size_t)snprintf(out + n, cap - n, "%svirtio_mmio.device=4K@0x%llx:%u", n ? " " : "",
                          VIRTIO_BASE + i * VIRTIO_STRIDE, VIRTIO_GSI0 + i);
  if (dashes && n < cap)
    n += (size_t)snprintf(out + n, cap - n, "%s%s", n && head == 0 ? " " : "", dashes);
  if (n >= cap) {
    snprintf(err, errcap, "kernel command line: longer than %zu bytes with the device entries",
             cap - 1);
    return -E2BIG;
  }
  return 0;
}

static int add_device(vm *m, vmm_virtio_mmio *d, char *err, size_t errcap) {
  unsigned i = m->ndev;
  if (i >= MAX_DEVICES) { /* a build with more devices than the table holds */
    snprintf(err, errcap, "virtio device %u: more than the %d the monitor has room for", i,
             MAX_DEVICES);
    return -ENOSPC;
  }
  m->dev[m->ndev++] = d;
  int rc = vmm_bus_add(&m->bus, VMM_BUS_MMIO, VIRTIO_BASE + i * VIRTIO_STRIDE, VIRTIO_STRIDE,
                       vmm_virtio_mmio_access, d);
  if (rc != 0) snprintf(err, errcap, "virtio device %u: cannot map it: %s", i, strerror(-rc));
  return rc;
}

static vmm_irq device_irq(vm *m) {
  return (vmm_irq){.raise = vmm_kvm_irq_pulse, .ctx = &m->kvm, .gsi = VIRTIO_GSI0 + m->ndev};
}

static int create_devices(vm *m, const vmm_config *c, char *err, size_t errcap) {
  vmm_virtio_mmio *d = NULL;
  int rc = 0;
  if (c->rng) {
    rc = vmm_virtio_rng_create(&m->kvm.mem, device_irq(m), &d, err, errcap);
    if (rc == 0) rc = add_device(m, d, err, errcap);
  }
  if (rc == 0 && c->port_name != NULL) {
    rc = vmm_virtio_console_create(m->loop, &m->kvm.mem, device_irq(m), c->port_name,
                                   c->port_socket, -1, &d, err, errcap);
    if (rc == 0) rc = add_device(m, d, err, errcap);
  }
  if (rc == 0 && c->vsock != NULL) {
    rc = vmm_virtio_vsock_create(m->loop, &m->kvm.mem, device_irq(m), c->vsock_cid, c->vsock, &d,
                                 err, errcap);
    if (rc == 0) rc = add_device(m, d, err, errcap);
  }
  if (rc == 0 && c->net != NULL) {
    static const uint8_t zero[6], dflt[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    const uint8_t *mac = memcmp(c->net_mac, zero, 6) == 0 ? dflt : c->net_mac;
    rc = vmm_virtio_net_create(m->loop, &m->kvm.mem, device_irq(m), mac, c->net, &d, err, errcap);
    if (rc == 0) rc = add_device(m, d, err, errcap);
    if (rc == 0) m->net = d;
  }
  return rc;
}

static int create_legacy(vm *m, const vmm_config *c, char *err, size_t errcap) {
  m->console_fd = -1;
  if (c->console != NULL) {
    m->console_fd = open(c->console, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (m->console_fd < 0) {
      int e = errno;
      snprintf(err, errcap, "console %s: %s", c->console, strerror(e));
      return -e;
    }
  }
  vmm_serial_init(&m->serial, m->console_fd, serial_irq, &m->kvm);
  m->serial_ready = true;
  m->i8042 = (vmm_i8042){.reset = on_reset, .ctx = m};
  int rc = vmm_bus_add(&m->bus, VMM_BUS_PIO, VMM_SERIAL_BASE, 8, vmm_serial_io, &m->serial);
  if (rc == 0) rc = vmm_bus_add(&m->bus, VMM_BUS_PIO, VMM_I8042_DATA, 5, vmm_i8042_io, &m->i8042);
  if (rc != 0) snprintf(err, errcap, "legacy devices: %s", strerror(-rc));
  return rc;
}

static int create_vcpus(vm *m, const vmm_config *c, const vmm_boot *boot, char *err,
                        size_t errcap) {
  for (unsigned i = 0; i < c->vcpus; i++) {
    vmm_vcpu *v = &m->vcpu[i];
    void *run = NULL;
    int fd = vmm_kvm_vcpu(&m->kvm, i, &run, err, errcap);
    if (fd < 0) return fd;
    *v = (vmm_vcpu){.index = i,
                    .fd = fd,
                    .run = run,
                    .run_size = m->kvm.run_size,
                    .bus = &m->bus,
                    .stopping = &m->stopping,
                    .first_run_ns = &m->first_run_ns,
                    .before_run = vcpu_filter,
                    .end = vm_end,
                    .ctx = m,
                    .verbose = c->verbose};
    m->nvcpu = i + 1;
    int rc = vmm_x86_vcpu_init(m->kvm.sys_fd, fd, &m->kvm.mem, boot, i, c->vcpus, err, errcap);
    if (rc != 0) return rc;
  }
  return 0;
}

static int check_config(const vmm_config *c, char *err, size_t errcap) {
  if (c->kernel == NULL) {
    snprintf(err, errcap, "no kernel given");
    return -EINVAL;
  }
  if (c->vcpus < 1 || c->vcpus > VMM_MAX_VCPUS) {
    snprintf(err, errcap, "vcpus %u: must be 1..%d", c->vcpus, VMM_MAX_VCPUS);
    return -EINVAL;
  }
  if (c->vsock != NULL && c->vsock_cid < 3) {
    snprintf(err, errcap, "vsock CID %llu: must be 3 or more (0-2 are reserved)",
             (unsigned long long)c->vsock_cid);
    return -EINVAL;
  }
  if (c->net != NULL && (c->net_mac[0] & 1)) {
    snprintf(err, errcap, "net MAC: a multicast address cannot be a station's");
    return -EINVAL;
  }
  if ((c->port_name == NULL) != (c->port_socket == NULL)) {
    snprintf(err, errcap, "a console port needs both a name and a socket path");
    return -EINVAL;
  }
  return 0;
}

/* Everything before the first KVM_RUN. */
static int build(vm *m, const vmm_config *c, char *err, size_t errcap) {
  char cmdline[VMM_CMDLINE_MAX];
  vmm_boot boot;
  int rc = check_config(c, err, errcap);
  if (rc == 0) rc = vmm_kvm_open(&m->kvm, c->mem_mib << 20, c->pit, err, errcap);
  if (rc != 0) return rc;
  m->loop = vmm_loop_new();
  if (m->loop == NULL) {
    rc = -errno;
    snprintf(err, errcap, "event loop: %s", strerror(errno));
    return rc;
  }
  rc = create_legacy(m, c, err, errcap);
  if (rc == 0) rc = create_devices(m, c, err, errcap);
  if (rc == 0) rc = build_cmdline(c, m->ndev, cmdline, sizeof cmdline, err, errcap);
  if (rc == 0)
    rc = vmm_x86_load(&m->kvm.mem, c->kernel, c->initrd, cmdline, c->vcpus, &boot, err, errcap);
  if (rc == 0) rc = create_vcpus(m, c, &boot, err, errcap);
  return rc;
}

static void signals_for_run(sigset_t *wait_set) {
  struct sigaction sa = {.sa_handler = on_kick}; /* no SA_RESTART: KVM_RUN returns EINTR */
  sigemptyset(&sa.sa_mask);
  sigaction(VMM_SIG_KICK, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  sigemptyset(wait_set);
  sigaddset(wait_set, VMM_SIG_END);
  sigaddset(wait_set, SIGTERM);
  sigaddset(wait_set, SIGINT);
  sigaddset(wait_set, SIGHUP);
  sigset_t block = *wait_set;
  sigaddset(&block, VMM_SIG_KICK); /* unblocked on the vCPU threads only */
  pthread_sigmask(SIG_BLOCK, &block, NULL);
}

static int start_threads(vm *m, char *err, size_t errcap) {
  int rc = pthread_create(&m->loop_thread, NULL, loop_main, m);
  if (rc != 0) {
    snprintf(err, errcap, "event loop thread: %s", strerror(rc));
    return -rc;
  }
  m->loop_started = true;
  for (unsigned i = 0; i < m->nvcpu; i++) {
    rc = vmm_vcpu_start(&m->vcpu[i]);
    if (rc != 0) {
      snprintf(err, errcap, "vcpu %u thread: %s", i, strerror(-rc));
      return rc;
    }
  }
  return 0;
}

static void wait_end(vm *m, const sigset_t *set) {
  for (;;) {
    struct timespec t = {.tv_sec = 0, .tv_nsec = 200 * 1000000};
    int sig = sigtimedwait(set, NULL, &t);
    if (stop_requested || sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
      char why[64];
      snprintf(why, sizeof why, "stopped by %s",
               sig > 0 && sig != VMM_SIG_END ? strsignal(sig) : "request");
      vm_end(m, VMM_END_SIGNAL, why);
    }
    pthread_mutex_lock(&m->end_mu);
    bool ended = m->ended;
    pthread_mutex_unlock(&m->end_mu);
    if (ended) return;
  }
}

/* Stop and join every thread (under a deadline), then free what they used.
 * Returns -ETIMEDOUT when a thread would not end (the process should exit:
 * its memory may still be in use). */
static int teardown(vm *m) {
  int rc = 0;
  atomic_store(&m->stopping, true);
  uint64_t deadline = vbx__now_ns() + JOIN_DEADLINE_NS;
  for (unsigned i = 0; i < m->nvcpu; i++)
    if (vmm_vcpu_join(&m->vcpu[i], deadline) != 0) rc = -ETIMEDOUT;
  if (m->loop_started) {
    vmm_loop_stop(m->loop);
    while (!atomic_load(&m->loop_exited) && vbx__now_ns() < deadline)
      usleep(1000);
    if (atomic_load(&m->loop_exited))
      pthread_join(m->loop_thread, NULL);
    else
      rc = -ETIMEDOUT, pthread_detach(m->loop_thread);
  }
  if (rc != 0) return rc; /* a thread may still touch devices: leave them */
  for (unsigned i = 0; i < m->nvcpu; i++) {
    if (m->vcpu[i].run != NULL) munmap(m->vcpu[i].run, m->kvm.run_size);
    if (m->vcpu[i].fd >= 0) close(m->vcpu[i].fd);
  }
  for (unsigned i = 0; i < m->ndev; i++)
    vmm_virtio_mmio_destroy(m->dev[i]);
  if (m->serial_ready) vmm_serial_destroy(&m->serial);
  if (m->console_fd >= 0) close(m->console_fd);
  vmm_loop_free(m->loop);
  vmm_kvm_close(&m->kvm);
  return 0;
}

int vmm_run(const vmm_config *c, vmm_result *res, char *err, size_t errcap) {
  uint64_t t0 = vbx__now_ns();
  sigset_t wait_set;
  vm *m = calloc(1, sizeof *m);
  if (m == NULL) {
    snprintf(err, errcap, "out of memory");
    return -ENOMEM;
  }
  *res = (vmm_result){0};
  m->seccomp = c->seccomp;
  m->console_fd = -1;
  pthread_mutex_init(&m->end_mu, NULL);
  signals_for_run(&wait_set);
  int rc = build(m, c, err, errcap);
  if (rc == 0) rc = start_threads(m, err, errcap);
  if (rc == 0)
    wait_end(m, &wait_set);
  else
    vm_end(m, VMM_END_ERROR, err);
  uint64_t t_end = vbx__now_ns();
  uint64_t first = atomic_load(&m->first_run_ns);
  res->end = m->end;
  snprintf(res->why, sizeof res->why, "%s", m->why);
  res->setup_ns = first ? first - t0 : 0;
  res->run_ns = first ? t_end - first : 0;
  if (rc == 0 && m->end == VMM_END_ERROR) {
    snprintf(err, errcap, "%s", m->why);
    rc = VBX_E_SANDBOX;
  }
  if (m->serial_ready) res->console_drop = m->serial.dropped;
  vmm_net_stats ns;
  if (m->net != NULL && vmm_virtio_net_stats(m->net, &ns) == 0) {
    res->net_tx_drop = ns.tx_dropped;
    res->net_tx_bad = ns.tx_malformed;
    res->net_rx_drop = ns.rx_dropped;
  }
  int td = teardown(m);
  if (td != 0) {
    if (rc == 0) snprintf(err, errcap, "a VMM thread did not end within 2 s of the stop");
    return rc != 0 ? rc : td; /* m is not freed: a thread may still use it */
  }
  pthread_mutex_destroy(&m->end_mu);
  free(m);
  return rc;
}
