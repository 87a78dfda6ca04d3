/*
 * outq.h - an output queue for one file descriptor (stdout or stderr) that
 * the supervising parent drains only when poll() says the descriptor can
 * take data, so a reader that stops reading never blocks the parent: it
 * keeps watching the worker, signals and deadlines, and stops reading the
 * worker's pipe while its queue is full (back-pressure reaches the boxes).
 *
 * A write never blocks the parent: a regular file takes writes of up to
 * VBX_OUTQ_CHUNK; a pipe, socket or /dev/null takes as much as it has room
 * for (pwritev2 with RWF_NOWAIT, up to VBX_OUTQ_CHUNK); where the kernel
 * refuses RWF_NOWAIT (a terminal, an old kernel), a write is at most
 * PIPE_BUF bytes per ready descriptor, which Linux takes without blocking.
 * A write that fails (EPIPE: the reader is gone) marks the queue broken;
 * later output is dropped.
 *
 * Threads: one thread uses a queue.
 */
#ifndef VBX_CLI_OUTQ_H
#define VBX_CLI_OUTQ_H

#include <stddef.h>

#define VBX_OUTQ_HIGH (1u << 20)  /* stop reading the worker above this */
#define VBX_OUTQ_CHUNK (1u << 20) /* most bytes per write */

typedef struct vbx__outq {
  int fd;
  char *buf;
  size_t off, len, cap; /* pending bytes are buf[off, len) */
  size_t chunk;         /* bytes per write */
  int nowait;           /* writes use RWF_NOWAIT (chunk is VBX_OUTQ_CHUNK) */
  int broken;           /* errno of the failed write, 0 while healthy */
  int failed_alloc;     /* a push could not grow the buffer */
} vbx__outq;

/* Prepare q for fd (borrowed). */
void vbx__outq_init(vbx__outq *q, int fd);
/* Queue n bytes (dropped when the queue is broken). */
void vbx__outq_push(vbx__outq *q, const char *data, size_t n);
/* vbx__outq_reserve - room for n more bytes at the end of the queue, to
 * be filled and then queued with vbx__outq_commit (which must come before
 * any other call on q). NULL when the queue is broken (the output is
 * dropped) or out of memory (failed_alloc set). */
char *vbx__outq_reserve(vbx__outq *q, size_t n);
/* vbx__outq_commit - queue the first n bytes (at most what was reserved)
 * written at the pointer vbx__outq_reserve returned. */
void vbx__outq_commit(vbx__outq *q, size_t n);
/* Bytes waiting. */
size_t vbx__outq_pending(const vbx__outq *q);
/* One write of pending bytes; call when poll reported POLLOUT. Returns 0,
 * or -1 when the write failed (q->broken says why). */
int vbx__outq_write_some(vbx__outq *q);
/* Write everything, waiting with poll up to timeout_ms in all (-1: no
 * limit) and stopping early when *stop becomes non-zero (a signal).
 * Returns 0 when all was written, -1 otherwise. */
int vbx__outq_drain(vbx__outq *q, int timeout_ms, volatile int *stop);
void vbx__outq_free(vbx__outq *q);

#endif
