/*
 * vmm/virtio/net.h - virtio-net (device id 1, virtio 1.x 5.1) whose wire is
 * a Unix stream socket to a user-space network stack, in QEMU's
 * `-netdev stream` framing: each Ethernet frame is a 4-byte big-endian
 * length (1..VMM_NET_MAX_FRAME) and that many bytes, with no virtio
 * header. Created through vmm_virtio_net_create (virtio.h).
 *
 * Queues: 0 rx, 1 tx (no control queue). Features: VIRTIO_F_VERSION_1,
 * VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS; no offloads, no MRG_RXBUF, so
 * each rx chain takes one whole frame after its 12-byte header.
 *
 * Bounds: guest->host frames are written to the socket from guest memory
 * and the tx chain is held (not returned) until the socket took all of
 * it; host->guest bytes are read into one VMM_NET_RX_CAP buffer, only
 * while the guest has rx buffers posted. A bad length from the socket
 * closes it; the link is then down (tx frames dropped and counted).
 */
#ifndef VMM_VIRTIO_NET_H
#define VMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio.h"

#define VMM_NET_F_MAC 5u
#define VMM_NET_F_STATUS 16u
#define VMM_NET_S_LINK_UP 1u
#define VMM_NET_MAX_FRAME 65550u                /* a larger length on the wire is an error */
#define VMM_NET_RX_CAP (4u + VMM_NET_MAX_FRAME) /* host->guest buffering */

/* struct virtio_net_hdr_v1 (little-endian, 12 bytes), before every frame
 * in a guest buffer. */
typedef struct __attribute__((packed)) vmm_net_hdr {
  uint8_t flags, gso_type;
  uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
} vmm_net_hdr;

/* What the device did, for tests and the monitor's report. */
typedef struct vmm_net_stats {
  uint64_t tx_frames;    /* frames the socket took whole */
  uint64_t tx_dropped;   /* well-formed frames dropped: no connection */
  uint64_t tx_malformed; /* tx chains refused (short, writable, flags, size) */
  uint64_t rx_frames;    /* frames written into guest rx buffers */
  uint64_t rx_dropped;   /* frames larger than the rx chain they met */
  uint64_t rx_read;      /* bytes read from the socket */
  bool connected;        /* false once the socket closed (link down) */
} vmm_net_stats;

/* As vmm_virtio_net_create, over fd, an already connected stream socket
 * (owned from here, also on failure; made non-blocking). For tests. */
int vmm_virtio_net_create_fd(vmm_loop *loop, const vmm_guest_mem *mem, vmm_irq irq,
                             const uint8_t mac[6], int fd, vmm_virtio_mmio **out, char *err,
                             size_t errcap);

/* Copy the counters of net device m into *out. Returns 0, or -EINVAL when
 * m is not a virtio-net device. Takes the device lock: not from inside an
 * ops callback. */
int vmm_virtio_net_stats(vmm_virtio_mmio *m, vmm_net_stats *out);

#endif
