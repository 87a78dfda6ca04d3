/*
 * vmm/virtio/mmio.h - the virtio-mmio transport, version 2 (virtio 1.x,
 * 4.2.2), and what a device model plugs into it. The transport owns the
 * registers, the feature negotiation, the status and the virtqueues; a
 * device supplies a vmm_virtio_dev_ops table and a context.
 *
 * Locking: one mutex per device (m->mu). The transport holds it around
 * every register access (vCPU threads) and around every ops call it makes;
 * a device takes it (vmm_virtio_mmio_lock) in its own loop callbacks before
 * touching queues or its state.
 */
#ifndef VMM_VIRTIO_MMIO_H
#define VMM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest_mem.h"
#include "irq.h"
#include "queue.h"
#include "virtio.h"

#define VMM_VIRTIO_MAX_QUEUES 8
#define VMM_VIRTIO_F_VERSION_1 (1ull << 32)

#define VMM_VIRTIO_S_ACKNOWLEDGE 1u
#define VMM_VIRTIO_S_DRIVER 2u
#define VMM_VIRTIO_S_DRIVER_OK 4u
#define VMM_VIRTIO_S_FEATURES_OK 8u
#define VMM_VIRTIO_S_NEEDS_RESET 64u
#define VMM_VIRTIO_S_FAILED 128u

/* A device model. Every callback runs with m->mu held. */
typedef struct vmm_virtio_dev_ops {
  const char *name;
  uint32_t device_id;
  uint64_t features; /* device features; the transport adds VERSION_1 */
  unsigned num_queues;
  uint16_t queue_max;
  /* The driver wrote QueueNotify for queue q (vCPU thread). */
  void (*notify)(void *dev, unsigned q);
  /* The driver set DRIVER_OK (vCPU thread). May be NULL. */
  void (*driver_ok)(void *dev);
  /* The driver reset the device (vCPU thread): drop all guest-facing
   * state. Queues are already reset. May be NULL. */
  void (*reset)(void *dev);
  /* Free the device (from vmm_virtio_mmio_destroy; lock not held). */
  void (*destroy)(void *dev);
} vmm_virtio_dev_ops;

struct vmm_virtio_mmio {
  pthread_mutex_t mu;
  const vmm_virtio_dev_ops *ops;
  void *dev;
  vmm_guest_mem mem;
  vmm_irq irq;
  const uint8_t *config; /* device config space (device-owned), read-only */
  uint32_t config_len;
  uint32_t status, isr, config_gen;
  uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
  uint64_t driver_features;
  vmm_vq vq[VMM_VIRTIO_MAX_QUEUES];
};

/* Allocate a transport for `ops`/`dev` over mem and irq. config (may be
 * NULL) is the device's config space, owned by the device. Returns NULL on
 * allocation failure. The transport owns dev from here: destroy calls
 * ops->destroy. */
vmm_virtio_mmio *vmm_virtio_mmio_new(const vmm_virtio_dev_ops *ops, void *dev,
                                     const vmm_guest_mem *mem, vmm_irq irq, const uint8_t *config,
                                     uint32_t config_len);

/* Take / release the device mutex: a device's loop callbacks hold it while
 * they touch queues or device state. Not recursive: never from inside an
 * ops callback (the transport already holds it there). */
void vmm_virtio_mmio_lock(vmm_virtio_mmio *m);
void vmm_virtio_mmio_unlock(vmm_virtio_mmio *m);

/* Queue q when the driver is running (DRIVER_OK, no NEEDS_RESET) and the
 * queue is ready and not broken, else NULL. Lock held. */
vmm_vq *vmm_virtio_mmio_queue(vmm_virtio_mmio *m, unsigned q);

/* Pop from queue q (vmm_vq_pop); a malformed ring marks the device
 * NEEDS_RESET and interrupts the driver. Returns 1, 0 or -EIO. Lock held. */
int vmm_virtio_mmio_pop(vmm_virtio_mmio *m, unsigned q, vmm_vq_chain *c);

/* Signal used buffers: set InterruptStatus bit 0 and raise the irq.
 * Lock held. */
void vmm_virtio_mmio_signal(vmm_virtio_mmio *m);

/* The device changed its config space: bump ConfigGeneration, set
 * InterruptStatus bit 1 and raise the irq. Lock held. */
void vmm_virtio_mmio_config_changed(vmm_virtio_mmio *m);

/* True when the driver accepted feature bit `bit`. Lock held. */
bool vmm_virtio_mmio_has_feature(const vmm_virtio_mmio *m, unsigned bit);

#endif
