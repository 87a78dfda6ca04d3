/*
 * vmm/vmm.h - voidbox's KVM micro-VM monitor as a library: one call runs
 * one VM to its end. The `voidbox-vmm` program (vmm/src/main.c) is a thin
 * command line over it; docs/vmm.md describes the monitor.
 */
#ifndef VMM_VMM_H
#define VMM_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_MAX_VCPUS 32
#define VMM_CMDLINE_MAX 2048 /* the kernel's COMMAND_LINE_SIZE on x86 */

typedef struct vmm_config {
  const char *kernel;      /* ELF vmlinux (PVH entry) or bzImage; required */
  const char *initrd;      /* NULL: none */
  const char *cmdline;     /* NULL: empty; virtio_mmio.device= entries are appended */
  uint64_t mem_mib;        /* guest RAM, 2..3072 MiB, even */
  unsigned vcpus;          /* 1..VMM_MAX_VCPUS */
  const char *console;     /* the 8250's output goes to this file; NULL: discarded */
  const char *vsock;       /* hybrid-vsock Unix socket path (listening); NULL: no vsock */
  uint64_t vsock_cid;      /* the guest's CID (>= 3) */
  const char *port_name;   /* virtio-console port name; NULL: no console device */
  const char *port_socket; /* the listening Unix socket that port connects to */
  const char *net;         /* virtio-net's listening Unix socket (frames in QEMU
                              -netdev stream framing); NULL: no network device */
  uint8_t net_mac[6];      /* the guest's MAC; all zeros: 52:54:00:12:34:56 */
  bool rng;                /* virtio-rng from the host's getrandom() */
  bool seccomp;            /* per-thread seccomp filters (off only for debugging) */
  bool verbose;            /* report device-less guest accesses on stderr */
  bool pit;                /* an in-kernel i8254 PIT even where KVM offers the TSC-deadline
                              timer (kernels without kvmclock need it to calibrate) */
} vmm_config;

typedef enum {
  VMM_END_RESET = 0,    /* the guest reset the machine (reboot, triple fault, panic=-1) */
  VMM_END_POWEROFF = 1, /* the guest powered off */
  VMM_END_SIGNAL = 2,   /* vmm_request_stop() (e.g. SIGTERM) */
  VMM_END_ERROR = 3,    /* the monitor failed; see err */
} vmm_end;

typedef struct vmm_result {
  vmm_end end;
  uint64_t setup_ns;     /* vmm_run() entry to the first KVM_RUN */
  uint64_t run_ns;       /* first KVM_RUN to the end */
  uint64_t console_drop; /* console bytes dropped past the log cap */
  uint64_t net_tx_drop;  /* virtio-net: guest frames dropped with the link down */
  uint64_t net_tx_bad;   /* virtio-net: malformed guest tx chains refused */
  uint64_t net_rx_drop;  /* virtio-net: frames larger than the guest's rx buffer */
  char why[320];         /* how it ended ("triple fault", "reset through the i8042"...) */
} vmm_result;

/* Build the VM described by c and run it until the guest resets or powers
 * off, the monitor fails, or vmm_request_stop() is called. Returns 0 (see
 * res->end) or a negative errno/VBX_E_* code with a message in err (setup
 * failures: no KVM, a bad kernel, a socket path in use...). Every thread it
 * starts is joined (under a deadline) before it returns. One VM per
 * process: the calling thread must be the process's main thread, and
 * SIGUSR1 and SIGUSR2 are the monitor's own. */
int vmm_run(const vmm_config *c, vmm_result *res, char *err, size_t errcap);

/* Ask a running vmm_run() to end (VMM_END_SIGNAL). Async-signal-safe. */
void vmm_request_stop(void);

#endif
