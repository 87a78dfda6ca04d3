/*
 * guest-session/client.h - the host side of the guest protocol over one
 * connected stream: handshake, a reader thread that demultiplexes frames by
 * request id into bounded per-request queues, and a write lock. Plain libc
 * + vbx_protocol (no host services), so tests can drive an agent with it.
 *
 * Memory: a request's queue holds at most what its flow-control window
 * allows for data frames (the reader refuses a peer that overruns it), plus
 * a few small control frames.
 *
 * Threads: every function is thread-safe; a request (gc_req) is used by one
 * thread at a time.
 */
#ifndef VBX_GUEST_CLIENT_H
#define VBX_GUEST_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "voidbox/protocol/protocol.h"

typedef struct gc_conn gc_conn;
typedef struct gc_req gc_req;

/* A frame queued for a request: type and a private copy of the payload.
 * Free it with free(), or hand it back with gc_item_release. */
typedef struct gc_item {
  struct gc_item *next;
  uint8_t type;
  uint32_t len;
  uint32_t cap; /* payload bytes allocated (>= len) */
  uint8_t payload[];
} gc_item;

/* gc_connect_fd - take ownership of connected stream fd, run the handshake
 * with secret (timeout_ms bounds it), start the reader. Returns 0 and
 * *out, or a negative VBX_E_* code with a message in err (fd closed). */
int gc_connect_fd(int fd, const void *secret, size_t secret_len, int timeout_ms, gc_conn **out,
                  char *err, size_t errcap);
/* gc_connect_unix - connect to a Unix socket path, then gc_connect_fd. */
int gc_connect_unix(const char *path, const void *secret, size_t secret_len, int timeout_ms,
                    gc_conn **out, char *err, size_t errcap);
/* gc_item_release - done with it (taken from gc_req_next): a large item
 * is kept, up to GC_SPARES of them per connection, for the reader to read
 * the next large frame into instead of new memory (a stream's frames then
 * cost no page faults); others are freed. Thread-safe. */
#define GC_SPARES 2
void gc_item_release(gc_conn *c, gc_item *it);
/* gc_close - shut the stream down, join the reader, free. Requests must
 * have been freed. */
void gc_close(gc_conn *c);
/* gc_dead - non-zero once the connection ended; copies why into msg. */
int gc_dead(gc_conn *c, char *msg, size_t cap);
/* gc_send_buf - write b's bytes as one unit. 0 or VBX_E_IO. */
int gc_send_buf(gc_conn *c, const struct vbx_proto_buf *b);
/* gc_send_data - a data frame via writev (no copy). 0 or VBX_E_IO. */
int gc_send_data(gc_conn *c, unsigned type, uint32_t id, uint64_t off, const void *data,
                 uint32_t len);
/* gc_send_small - encode with `m` (vbx_proto_encode_msg) and send. */
int gc_send_msg(gc_conn *c, const struct vbx_proto_msg *m);
/* Negotiated features. */
uint32_t gc_features(gc_conn *c);

/* Frames on guest-allocated ids (VBX_PROTO_GUEST_ID_BIT: tunnels, docs/
 * protocol.md 4.5) go to one handler, called on the reader thread; it
 * must not block (no write to the connection: hand the work to another
 * thread). It returns 0, or -1 with why[0..cap) set when the guest broke
 * the protocol: the connection then dies with that message. */
typedef int (*gc_guest_fn)(void *ctx, const struct vbx_proto_frame *f, char *why, size_t cap);
/* gc_set_guest_handler - install fn (ctx passed back), or remove it with
 * fn NULL. Once a removal returns, fn is not running and is not called
 * again. Without a handler, TUNNEL_OPEN is answered ERROR(id,
 * VBX_E_UNSUPPORTED) and other frames on guest ids are dropped; on a
 * connection that did not negotiate VBX_PROTO_FEAT_TUNNEL they are a
 * protocol error. */
void gc_set_guest_handler(gc_conn *c, gc_guest_fn fn, void *ctx);

/* gc_req_new - a new request with a fresh id (1..0x7fffffff: the guest's
 * ids have VBX_PROTO_GUEST_ID_BIT); in_window is the receive
 * window for its inbound data stream (0: the protocol's initial window).
 * Returns 0 or VBX_E_NOMEM / VBX_E_STATE (connection dead). */
int gc_req_new(gc_conn *c, uint32_t in_window, gc_req **out);
uint32_t gc_req_id(const gc_req *r);
/* gc_req_next - pop the next frame for r, waiting up to timeout_ms (-1:
 * forever). Returns 0 and *item (free with free()), VBX_E_AGAIN on timeout
 * or when outbound credit arrived (so a sender can continue),
 * or VBX_E_SANDBOX when the connection died (message via gc_dead). */
int gc_req_next(gc_req *r, int timeout_ms, gc_item **item);
/* gc_req_consumed - the caller drained n data bytes of an item: grant
 * credit back to the peer when due. Returns 0 or VBX_E_IO. */
int gc_req_consumed(gc_req *r, uint32_t n);
/* gc_req_credit - outbound credit available now on r (stdin / put). */
uint32_t gc_req_credit(gc_req *r);
/* gc_req_wait_credit - wait up to timeout_ms until credit > 0 or the
 * connection died. Returns available credit (0 on timeout/death). */
uint32_t gc_req_wait_credit(gc_req *r, int timeout_ms);
/* gc_req_consume_credit - record n bytes about to be sent. */
void gc_req_consume_credit(gc_req *r, uint32_t n);
/* gc_req_free - unregister r (later frames for its id are dropped). */
void gc_req_free(gc_req *r);

#endif
