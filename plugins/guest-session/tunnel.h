/*
 * guest-session/tunnel.h - the host end of a box's tunnels
 * (docs/protocol.md 4.5): the guest agent opens a tunnel for each
 * connection to its in-box LLM gateway port; here each one becomes a new
 * TCP connection to 127.0.0.1:PORT - the box's gateway, the only
 * destination there is: the guest names a service, never an address or a
 * port. One poll thread per box moves the bytes both ways by the
 * protocol's tunnel state machine (voidbox/protocol/tunnel.h): it reads
 * the gateway only while the guest's credit lasts and holds at most one
 * window (256 KiB) of the guest's bytes per tunnel, GS_TUNNEL_MAX tunnels
 * at most (beyond: ERROR(VBX_E_LIMIT)). A gateway that refuses the
 * connection, or has not accepted it within 10 s, is ERROR(VBX_E_IO)
 * naming the connect.
 *
 * Plain libc + vbx_protocol + client.h, like the client, so tests can run
 * it against an agent. Threads: start and stop from the box's owner;
 * frames arrive on the connection's reader thread (the handler never
 * blocks: the poll thread writes every frame).
 */
#ifndef VBX_GUEST_TUNNEL_H
#define VBX_GUEST_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"

#define GS_TUNNEL_MAX 64

typedef struct gs_tunnels gs_tunnels;

/* gs_tunnels_start - serve the tunnels the guest opens on c (which must
 * have negotiated VBX_PROTO_FEAT_TUNNEL) by connecting each to
 * 127.0.0.1:port: installs c's guest-id handler and starts the poll
 * thread. Returns 0 and *out, or VBX_E_UNSUPPORTED (no TUNNEL feature: the
 * guest agent is older), VBX_E_INVAL (port 0 or above 65535),
 * VBX_E_NOMEM / VBX_E_LIMIT (no memory, eventfd or thread), with a
 * message in err. */
int gs_tunnels_start(gc_conn *c, uint32_t port, gs_tunnels **out, char *err, size_t errcap);

/* gs_tunnels_count - tunnels live now (opened by the guest, not yet over
 * at both ends). Thread-safe. */
unsigned gs_tunnels_count(gs_tunnels *t);

/* gs_tunnels_stop - remove the handler (later TUNNEL_OPENs are refused by
 * the client), close every gateway connection at once (RST), end the poll
 * thread and free t. Sends nothing to the guest. NULL is a no-op. */
void gs_tunnels_stop(gs_tunnels *t);

#endif
