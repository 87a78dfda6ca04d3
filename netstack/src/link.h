/*
 * netstack/link.h - the guest's side of netstack: a connected Unix stream
 * socket carrying Ethernet frames, each behind a 4-byte big-endian length
 * (QEMU's `-netdev stream` framing, which voidbox-vmm's virtio-net speaks
 * too). Bounded both ways: a length over NS_FRAME_MAX or zero ends the
 * link; frames for the guest wait in a 1 MiB buffer and are dropped
 * (counted) when it is full, as on a real wire.
 */
#ifndef NETSTACK_LINK_H
#define NETSTACK_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define NS_LINK_OUT_MAX (1024 * 1024)

typedef void (*ns_link_frame_fn)(void *user, uint8_t *frame, size_t len);

typedef struct ns_link {
  int fd;
  uint8_t in[4 + NS_FRAME_MAX];
  size_t in_len;
  uint8_t *out; /* NS_LINK_OUT_MAX bytes */
  size_t out_off, out_len;
  uint64_t out_dropped;
  char why[160]; /* why the link ended, "" while up */
} ns_link;

/* Take fd (connected, made non-blocking here). 0 or -1 (out of memory). */
int ns_link_init(ns_link *l, int fd);
/* Close and free. */
void ns_link_fini(ns_link *l);
/* Read what is there and pass each whole frame to fn. Returns 0, or -1
 * when the link ended (EOF, an error, a bad length: l->why says). */
int ns_link_read(ns_link *l, ns_link_frame_fn fn, void *user);
/* Queue a frame for the guest (dropped when the buffer is full). */
void ns_link_send(ns_link *l, const uint8_t *frame, size_t len);
/* Write what is queued. 0, or -1 when the link ended. */
int ns_link_flush(ns_link *l);

#endif
