/*
 * exporter-otlp/exporter_vt.h - the "otlp" exporter's methods, as the
 * vtable in plugin.c calls them (and the unit tests do).
 *
 * Threads: see vbx_exporter_vtable in voidbox/plugin.h; the on_* methods
 * only copy into bounded buffers and never block on the network.
 */
#ifndef VBX_OTLP_EXPORTER_VT_H
#define VBX_OTLP_EXPORTER_VT_H

#include "env.h"
#include "exporter.h"

/* Create an instance: the spec's options, then the OTEL_* variables read
 * with `get` (NULL: getenv), the resolved targets and resource, and the
 * sender thread. *out is the instance (freed by ox_exp_destroy). 0 or a
 * VBX_E_* code set on the call. */
int ox_exp_create(const vbx_host_services *h, const vbx_json *options, ox_getenv_fn get,
                  vbx_call *call, void **out);
/* Stop the sender (waits for a request in flight, at most timeout_ms),
 * count what is still buffered as lost, log one warning line when
 * anything was lost, free everything. */
void ox_exp_destroy(void *exporter);
/* Copy a span / log record / metric point into the instance's buffers or
 * aggregator (a full buffer drops and counts it). The record is borrowed. */
void ox_exp_on_span(void *exporter, const vbx_span_data *span);
void ox_exp_on_log(void *exporter, const vbx_log_data *rec);
void ox_exp_on_metric(void *exporter, const vbx_metric_data *m);
/* Ignored: events reach collectors as spans. */
void ox_exp_on_event(void *exporter, const vbx_event *ev);
/* Export everything buffered and a final metrics snapshot on the calling
 * thread, within min(the call's deadline, flush_timeout_ms). 0, or
 * VBX_E_TIMEOUT when the sender's own request was still running at the
 * deadline. What could not be delivered is reported by destroy. */
int ox_exp_flush(void *exporter, vbx_call *call);
/* Records lost so far plus those still buffered (lost at destroy): the
 * vtable's `dropped`. */
uint64_t ox_exp_dropped(void *exporter);
/* A copy of the loss counters (for tests). */
void ox_exp_stats(void *exporter, ox_loss *out);

#endif
