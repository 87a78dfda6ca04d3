/*
 * voidbox/protocol/tunnel.h - one end of a tunnel (docs/protocol.md 4.5):
 * the rules that join a local stream socket to the peer's TUNNEL_* frames
 * (offsets, credit both ways, half-close, close, reset), as a state
 * machine without I/O. Both ends run it - the guest agent for an in-box
 * connection, the host for its connection to the gateway - so both follow
 * the same rules.
 *
 * The endpoint tells it what arrived (vbx_proto_tunnel_recv) and what its
 * socket did (read EOF, an error, a shutdown or close done), and asks it
 * what to do next (vbx_proto_tunnel_wants): which socket events to wait
 * for, which bytes to write to the socket, how much it may read and send
 * as TUNNEL_DATA, when to shut the socket down or close it, and which
 * control frames are due (vbx_proto_tunnel_next_frame encodes them).
 *
 * Memory: bytes from the peer wait in a ring of caller memory whose size
 * is the receive window, so they never exceed it: a peer that sends more
 * than granted is a protocol error. The endpoint reads from its socket
 * only as much as the peer's credit allows (vbx_proto_tunnel_room), so it
 * never buffers in the other direction.
 *
 * Pure: no allocation, no I/O, no global state; one thread at a time per
 * struct.
 */
#ifndef VOIDBOX_PROTOCOL_TUNNEL_H
#define VOIDBOX_PROTOCOL_TUNNEL_H

#include <stdint.h>

#include "voidbox/protocol/flow.h"
#include "voidbox/protocol/messages.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One end of one tunnel. Fields are the library's; read them only through
 * the functions below. */
struct vbx_proto_tunnel {
  uint32_t id;                /* guest-allocated (VBX_PROTO_GUEST_ID_BIT) */
  uint32_t state;             /* internal state bits */
  struct vbx_proto_credit tx; /* our TUNNEL_DATA towards the peer */
  struct vbx_proto_window rx; /* the peer's TUNNEL_DATA, into ring */
  uint8_t *ring;              /* caller memory of cap bytes */
  uint32_t cap, head, len;
};

/* What vbx_proto_tunnel_wants asks of the endpoint. */
#define VBX_PROTO_TUN_WANT_READ (1u << 0)     /* read the socket (room > 0) */
#define VBX_PROTO_TUN_WANT_WRITE (1u << 1)    /* write pending bytes to it */
#define VBX_PROTO_TUN_WANT_SHUTDOWN (1u << 2) /* shutdown(SHUT_WR) it now */
#define VBX_PROTO_TUN_WANT_CLOSE (1u << 3)    /* close it now (with RST when reset), after */
                                              /* writing what it takes without blocking */
#define VBX_PROTO_TUN_WANT_FRAME (1u << 4)    /* next_frame has a frame to send */
#define VBX_PROTO_TUN_DONE (1u << 5)          /* over at both ends: forget the id */

/* vbx_proto_tunnel_init - a tunnel on guest id `id` whose peer data waits
 * in ring[0..cap); cap is the receive window, VBX_PROTO_INITIAL_WINDOW ..=
 * VBX_PROTO_MAX_WINDOW. Returns 0, or E_INVAL (id without
 * VBX_PROTO_GUEST_ID_BIT, no ring, cap out of range). Data flows only
 * after vbx_proto_tunnel_open. */
int vbx_proto_tunnel_init(struct vbx_proto_tunnel *t, uint32_t id, uint8_t *ring, uint32_t cap);

/* vbx_proto_tunnel_open - TUNNEL_OPENED was sent (host) or received
 * (guest): data may flow both ways. */
void vbx_proto_tunnel_open(struct vbx_proto_tunnel *t);

/* vbx_proto_tunnel_recv - a frame from the peer on t's id: TUNNEL_DATA
 * (copied into the ring), TUNNEL_EOF, TUNNEL_CLOSE (with RESET: the
 * socket is to be reset, see vbx_proto_tunnel_pending) or WINDOW_UPDATE.
 * Returns 0, or E_PROTOCOL when the peer broke the tunnel's rules (data
 * before open, after its EOF or CLOSE, at the wrong offset or beyond its
 * credit; an EOF whose size is not what arrived; a second EOF or CLOSE; a
 * clean CLOSE before both EOFs; a credit overflow; another type) - close
 * the connection. After this end reset or closed, data and credit that
 * were in flight are dropped (0). E_INVAL: m is for another id. */
int vbx_proto_tunnel_recv(struct vbx_proto_tunnel *t, const struct vbx_proto_msg *m);

/* vbx_proto_tunnel_wants - VBX_PROTO_TUN_* bits: what the endpoint should
 * do now. Pure. */
unsigned vbx_proto_tunnel_wants(const struct vbx_proto_tunnel *t);

/* vbx_proto_tunnel_pending - the next contiguous peer bytes to write to
 * the socket (*p points into the ring); 0 when none. After the peer's
 * reset its bytes that arrived before it are still pending (as with TCP):
 * write what the socket takes without blocking, then close it. After this
 * end's reset there are none. */
uint32_t vbx_proto_tunnel_pending(const struct vbx_proto_tunnel *t, const uint8_t **p);

/* vbx_proto_tunnel_written - n of the pending bytes reached the socket
 * (n <= vbx_proto_tunnel_pending; larger values are clamped). Their
 * credit goes back to the peer through next_frame. */
void vbx_proto_tunnel_written(struct vbx_proto_tunnel *t, uint32_t n);

/* vbx_proto_tunnel_room - how many bytes the endpoint may read from its
 * socket now and send as TUNNEL_DATA: the peer's credit, 0 before open,
 * after the socket's EOF, after a reset or close. */
uint32_t vbx_proto_tunnel_room(const struct vbx_proto_tunnel *t);

/* vbx_proto_tunnel_sent - n bytes (1..room) read from the socket are about
 * to be sent as TUNNEL_DATA at *offset (vbx_proto_data_header). Returns 0,
 * or E_INVAL (n is 0 or more than room; nothing recorded). */
int vbx_proto_tunnel_sent(struct vbx_proto_tunnel *t, uint32_t n, uint64_t *offset);

/* vbx_proto_tunnel_read_eof - the socket reached end of file: TUNNEL_EOF
 * becomes due. */
void vbx_proto_tunnel_read_eof(struct vbx_proto_tunnel *t);

/* vbx_proto_tunnel_reset - the socket failed (a read or write error, the
 * endpoint gives up): pending bytes are dropped, the socket is to be
 * closed with RST and TUNNEL_CLOSE(RESET) becomes due. Idempotent. */
void vbx_proto_tunnel_reset(struct vbx_proto_tunnel *t);

/* vbx_proto_tunnel_is_reset - 1 when this end or the peer reset the
 * tunnel (close the socket abortively, send no TUNNEL_OPENED), else 0. */
int vbx_proto_tunnel_is_reset(const struct vbx_proto_tunnel *t);

/* vbx_proto_tunnel_shutdown_done - the endpoint shut the socket's write
 * side down (WANT_SHUTDOWN). */
void vbx_proto_tunnel_shutdown_done(struct vbx_proto_tunnel *t);

/* vbx_proto_tunnel_closed - the endpoint closed its socket (WANT_CLOSE, or
 * on its own). Nothing is read or written any more. */
void vbx_proto_tunnel_closed(struct vbx_proto_tunnel *t);

/* vbx_proto_tunnel_next_frame - append the next due control frame, in the
 * order the rules need: WINDOW_UPDATE (credit for written bytes),
 * TUNNEL_EOF (after the socket's EOF, carrying the bytes sent),
 * TUNNEL_CLOSE (RESET after a reset; clean once both EOFs were exchanged
 * and the peer's bytes are written and shut down). Returns 1 when a frame
 * was appended (and is recorded as sent), 0 when none is due, or the
 * encoder's error (b too small: nothing recorded). */
int vbx_proto_tunnel_next_frame(struct vbx_proto_tunnel *t, struct vbx_proto_buf *b);

#ifdef __cplusplus
}
#endif
#endif /* VOIDBOX_PROTOCOL_TUNNEL_H */
