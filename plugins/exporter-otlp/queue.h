/*
 * exporter-otlp/queue.h - a bounded FIFO of record pointers (owned copies
 * of spans or log records) between the host's delivery thread and the
 * exporter's sender. It grows by doubling up to its bound.
 *
 * Threads: none of its own; the exporter's mutex guards it.
 */
#ifndef VBX_OTLP_QUEUE_H
#define VBX_OTLP_QUEUE_H

#include <stddef.h>

typedef struct ox_queue {
  void **v;
  size_t head, n, cap, max;
} ox_queue;

/* An empty queue holding at most max items (nothing allocated yet). */
void ox_queue_init(ox_queue *q, size_t max);
/* Append p. 0, VBX_E_LIMIT when full, VBX_E_NOMEM. p stays the caller's
 * on error. */
int ox_queue_push(ox_queue *q, void *p);
/* Move up to max items, oldest first, into out; returns how many. */
size_t ox_queue_take(ox_queue *q, void **out, size_t max);
/* Free every item with free_fn and the queue's storage; returns how many
 * items there were. */
size_t ox_queue_clear(ox_queue *q, void (*free_fn)(void *));

#endif
