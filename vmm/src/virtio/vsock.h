/*
 * vmm/virtio/vsock.h - virtio-vsock (device id 19, virtio 1.x 5.10) with
 * the host side as Unix sockets ("hybrid vsock"). Created through
 * vmm_virtio_vsock_create (virtio.h). Queues: 0 rx, 1 tx, 2 event.
 *
 * Bounds: at most VMM_VSOCK_MAX_CONNS connections; each advertises
 * VMM_VSOCK_BUF_ALLOC bytes of credit to the guest and never holds more
 * guest->host bytes than that (a guest that overruns its credit gets RST),
 * so all connections together buffer at most MAX_CONNS * BUF_ALLOC bytes;
 * host->guest bytes are read from the host socket straight into guest rx
 * buffers, never more than the guest's credit.
 */
#ifndef VMM_VIRTIO_VSOCK_H
#define VMM_VIRTIO_VSOCK_H

#include <stdint.h>

#define VMM_VSOCK_MAX_CONNS 64u
#define VMM_VSOCK_BUF_ALLOC (64u * 1024u)
#define VMM_VSOCK_HOST_CID 2u

/* The packet header (little-endian, packed, 44 bytes). */
typedef struct __attribute__((packed)) vmm_vsock_hdr {
  uint64_t src_cid, dst_cid;
  uint32_t src_port, dst_port, len;
  uint16_t type, op;
  uint32_t flags, buf_alloc, fwd_cnt;
} vmm_vsock_hdr;

#define VMM_VSOCK_TYPE_STREAM 1
enum {
  VMM_VSOCK_OP_REQUEST = 1,
  VMM_VSOCK_OP_RESPONSE = 2,
  VMM_VSOCK_OP_RST = 3,
  VMM_VSOCK_OP_SHUTDOWN = 4,
  VMM_VSOCK_OP_RW = 5,
  VMM_VSOCK_OP_CREDIT_UPDATE = 6,
  VMM_VSOCK_OP_CREDIT_REQUEST = 7,
};
#define VMM_VSOCK_SHUTDOWN_RCV 1u
#define VMM_VSOCK_SHUTDOWN_SEND 2u

#endif
