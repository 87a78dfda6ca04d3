/*
 * netstack/shaper.h - one direction's rate limit: a token bucket in front
 * of a bounded FIFO of frames. Frames wait while the bucket is empty and
 * are dropped (counted) when the FIFO is full; TCP then slows down.
 */
#ifndef NETSTACK_SHAPER_H
#define NETSTACK_SHAPER_H

#include <stddef.h>
#include <stdint.h>

#define NS_SHAPER_QUEUE_BYTES (256 * 1024)

typedef void (*ns_shaper_emit)(void *user, const uint8_t *frame, size_t len);

typedef struct ns_shaper_frame ns_shaper_frame;

typedef struct ns_shaper {
  uint64_t rate;  /* bytes per second; 0: no limit (frames pass at once) */
  uint64_t burst; /* bucket depth, bytes */
  double tokens;
  uint64_t last_ns;
  ns_shaper_frame *head, *tail;
  size_t queued;    /* bytes waiting */
  uint64_t dropped; /* frames dropped because the queue was full */
  uint64_t passed_bytes;
} ns_shaper;

/* Set up for kbps kilobits per second (0: unlimited) at time now_ns. */
void ns_shaper_init(ns_shaper *s, uint32_t kbps, uint64_t now_ns);
/* Send frame through: emitted now if the bucket allows and nothing waits,
 * else copied into the queue (or dropped when it is full). */
void ns_shaper_push(ns_shaper *s, const uint8_t *frame, size_t len, uint64_t now_ns,
                    ns_shaper_emit emit, void *user);
/* Emit what the bucket allows now. Returns the ns until the next frame may
 * go (0: none waits). */
uint64_t ns_shaper_run(ns_shaper *s, uint64_t now_ns, ns_shaper_emit emit, void *user);
/* Free what waits. */
void ns_shaper_clear(ns_shaper *s);

#endif
