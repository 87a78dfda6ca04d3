/*
 * run/tel_queue.h - one exporter instance's delivery queue: events,
 * spans, metric points and log records copied in by any thread without
 * ever waiting on the exporter, delivered in order by one thread of the
 * queue's own.
 *
 * Bounded by records and bytes; a record that does not fit is dropped and
 * counted. Stopping drains what is queued until a deadline; what is left
 * then is dropped and counted too.
 */
#ifndef VBX_RUN_TEL_QUEUE_H
#define VBX_RUN_TEL_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "plugin/instance.h"

typedef struct vbx__tel_queue vbx__tel_queue;

/* Default bounds of one queue. */
#define VBX__TEL_QUEUE_RECORDS 8192
#define VBX__TEL_QUEUE_BYTES (16u << 20)

/* Start a queue delivering to `exp` (borrowed until stop returns) with at
 * most max_records records and max_bytes bytes of copies waiting. Returns
 * 0 or VBX_E_NOMEM / VBX_E_GENERIC (no thread). */
int vbx__tel_queue_start(const vbx__inst *exp, size_t max_records, size_t max_bytes,
                         vbx__tel_queue **out);
/* Copy one record in (data borrowed for the call). Never blocks on the
 * exporter; thread-safe. A kind the exporter has no method for is not
 * queued. */
void vbx__tel_queue_event(vbx__tel_queue *q, const vbx_event *ev);
void vbx__tel_queue_span(vbx__tel_queue *q, const vbx_span_data *span);
void vbx__tel_queue_metric(vbx__tel_queue *q, const vbx_metric_data *metric);
void vbx__tel_queue_log(vbx__tel_queue *q, const vbx_log_data *record);
/* Deliver what is queued until `deadline_ns` (CLOCK_MONOTONIC), then stop
 * the thread and free the queue. Returns how many records were dropped
 * over the queue's life (full, or left at the deadline). */
uint64_t vbx__tel_queue_stop(vbx__tel_queue *q, uint64_t deadline_ns);

#endif
