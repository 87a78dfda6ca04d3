/*
 * vmm/virtio/virtio.h - the virtio devices as the VMM core uses them: each
 * device sits behind its own virtio-mmio transport (a vmm_virtio_mmio),
 * registered on the MMIO bus with vmm_virtio_mmio_access as its handler.
 * docs/vmm-devices.md describes the devices, their bounds and their threat
 * model.
 *
 * Threads: create and destroy on the VMM's main thread (before the vCPUs
 * start / after vCPUs and the loop have stopped, before vmm_loop_free);
 * vmm_virtio_mmio_access on any vCPU thread; the devices' loop callbacks on
 * the loop thread. `mem`, `loop` and `irq.ctx` must outlive the device.
 * Errors are 0 or a negative errno / VBX_E_* with a message in err.
 */
#ifndef VMM_VIRTIO_VIRTIO_H
#define VMM_VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "irq.h"
#include "loop.h"

typedef struct vmm_virtio_mmio vmm_virtio_mmio; /* one device behind its transport */

/* virtio-vsock (device id 19) for guest `guest_cid` (>= 3). The host side
 * is a Unix socket listening at uds_path (created here, an existing socket
 * file replaced): a client writes "CONNECT <port>\n" to reach guest port
 * <port> and reads "OK <local_port>\n" once the guest accepts. A guest
 * connection to CID 2 port P connects to "<uds_path>_P". */
int vmm_virtio_vsock_create(vmm_loop *loop, const vmm_guest_mem *mem, vmm_irq irq,
                            uint64_t guest_cid, const char *uds_path, vmm_virtio_mmio **out,
                            char *err, size_t errcap);

/* virtio-console (device id 3, MULTIPORT): port 0 is the console, its
 * output appended to console_out_fd (not owned; -1 discards it); port 1 is
 * named port_name and connected as a client to the Unix socket listening at
 * uds_path (connected here: the listener must exist). */
int vmm_virtio_console_create(vmm_loop *loop, const vmm_guest_mem *mem, vmm_irq irq,
                              const char *port_name, const char *uds_path, int console_out_fd,
                              vmm_virtio_mmio **out, char *err, size_t errcap);

/* virtio-net (device id 1) with MAC address mac, its frames carried over
 * the Unix stream socket listening at uds_path (connected here: the
 * listener must exist), in QEMU's `-netdev stream` framing (net.h). */
int vmm_virtio_net_create(vmm_loop *loop, const vmm_guest_mem *mem, vmm_irq irq,
                          const uint8_t mac[6], const char *uds_path, vmm_virtio_mmio **out,
                          char *err, size_t errcap);

/* virtio-rng (device id 4), filled from getrandom(). */
int vmm_virtio_rng_create(const vmm_guest_mem *mem, vmm_irq irq, vmm_virtio_mmio **out, char *err,
                          size_t errcap);

/* The MMIO handler (a vmm_bus_fn); ctx is the vmm_virtio_mmio*. Accesses
 * to the registers must be 4 bytes wide (others read zeros / are ignored);
 * config space takes 1, 2, 4 or 8. vCPU threads. */
void vmm_virtio_mmio_access(void *ctx, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/* Free the device: closes its fds (removing them from the loop), unlinks
 * its listening socket. After the vCPUs and the loop have stopped. NULL is
 * a no-op. */
void vmm_virtio_mmio_destroy(vmm_virtio_mmio *m);

#endif
