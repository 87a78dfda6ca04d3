/*
 * voidbox/protocol/flow.h - credit-based flow control (docs/protocol.md 5).
 *
 * Every request id carries at most one data stream per direction (exec:
 * stdin host->guest, stdout+stderr guest->host sharing one window; file
 * put/get: FILE_DATA in the transfer's direction). Each direction starts
 * with VBX_PROTO_INITIAL_WINDOW bytes of credit; the receiver grants more
 * with WINDOW_UPDATE(id, increment). Only data bytes count (not headers or
 * the offset prefix). A sender never sends beyond its credit; a receiver
 * that sees more than it granted treats it as a protocol error. So the
 * sender never drops data and the receiver never buffers more than its
 * window per stream.
 *
 * Pure accounting; one struct per stream direction, owned by one thread.
 */
#ifndef VOIDBOX_PROTOCOL_FLOW_H
#define VOIDBOX_PROTOCOL_FLOW_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VBX_PROTO_INITIAL_WINDOW (256u * 1024u) /* implicit at stream start */
#define VBX_PROTO_MAX_WINDOW 0x7fffffffu        /* outstanding credit bound */

/* Sender side: how much may still be sent. */
struct vbx_proto_credit {
  uint64_t sent;    /* data bytes sent */
  uint64_t granted; /* total credit: initial window + all increments */
};

/* vbx_proto_credit_init - a stream that may send VBX_PROTO_INITIAL_WINDOW. */
void vbx_proto_credit_init(struct vbx_proto_credit *c);

/* vbx_proto_credit_available - bytes that may be sent now (0 = wait for a
 * WINDOW_UPDATE; the sender then stops reading its source, e.g. the child's
 * pipe, which back-pressures the producer instead of dropping bytes). */
uint32_t vbx_proto_credit_available(const struct vbx_proto_credit *c);

/* vbx_proto_credit_consume - record n bytes about to be sent. Returns 0, or
 * E_AGAIN if n exceeds the available credit (nothing recorded). */
int vbx_proto_credit_consume(struct vbx_proto_credit *c, uint32_t n);

/* vbx_proto_credit_grant - apply a received WINDOW_UPDATE. Returns 0, or
 * E_PROTOCOL if increment is 0 or the outstanding credit would exceed
 * VBX_PROTO_MAX_WINDOW (nothing applied; the peer is broken: close). */
int vbx_proto_credit_grant(struct vbx_proto_credit *c, uint32_t increment);

/* Receiver side: what was granted, received, and drained by the consumer. */
struct vbx_proto_window {
  uint64_t granted;  /* total credit given to the peer */
  uint64_t received; /* data bytes received */
  uint64_t consumed; /* data bytes the application has drained */
  uint32_t window;   /* most bytes this receiver will ever buffer */
};

/* vbx_proto_window_init - receiver state for one stream direction. window
 * is the buffer bound; values below VBX_PROTO_INITIAL_WINDOW are raised to
 * it (the peer may always send the initial window) and above
 * VBX_PROTO_MAX_WINDOW lowered to it. */
void vbx_proto_window_init(struct vbx_proto_window *w, uint32_t window);

/* vbx_proto_window_on_data - account n received data bytes. Returns 0, or
 * E_PROTOCOL if the peer exceeded its credit (nothing recorded; close). */
int vbx_proto_window_on_data(struct vbx_proto_window *w, uint32_t n);

/* vbx_proto_window_on_consumed - the application drained n buffered bytes
 * (wrote them out, handed them to the user). Returns 0, or E_INVAL if n is
 * more than is buffered (nothing recorded). */
int vbx_proto_window_on_consumed(struct vbx_proto_window *w, uint32_t n);

/* vbx_proto_window_buffered - bytes received but not yet consumed. */
uint32_t vbx_proto_window_buffered(const struct vbx_proto_window *w);

/* vbx_proto_window_grant - grant policy. Returns the increment to send in a
 * WINDOW_UPDATE now and records it as granted, or 0 when none is due. A
 * grant is due once the credit the peer still holds (granted - received)
 * plus the free buffer space allows at least window/2 more bytes; the grant
 * tops the credit up to consumed + window, so buffered bytes never exceed
 * window. */
uint32_t vbx_proto_window_grant(struct vbx_proto_window *w);

#ifdef __cplusplus
}
#endif
#endif /* VOIDBOX_PROTOCOL_FLOW_H */
