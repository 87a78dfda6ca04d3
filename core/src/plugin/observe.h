/*
 * plugin/observe.h - where telemetry goes: a run's hub and each thread's
 * observation scope.
 *
 * A hub (vbx__tel_hub) is the sink of one run: finished spans, metric
 * points and log records handed to it reach its ops (the run's queues to
 * exporters and the embedder's on_span) until it is closed; after that
 * they are dropped. Spans hold a reference, so a span a plugin ends after
 * its run finished is safe (and dropped).
 *
 * A scope says what the calling thread is working on: the hub, the span
 * that is current (run, stage, box, LLM call, tool call) and the box. The
 * runner and the engine enter a scope around each piece of work; host
 * services read it so a plugin's span_begin(ctx, name, NULL) becomes a
 * child of the current span, and its log lines carry the box and the trace
 * ids. Scopes are thread-local: a plugin's own threads have none (their
 * spans are roots delivered to the registry's sink, their logs plain).
 */
#ifndef VBX_PLUGIN_OBSERVE_H
#define VBX_PLUGIN_OBSERVE_H

#include <stdint.h>

#include "voidbox/plugin.h"

typedef struct vbx__tel_ops {
  void (*span)(void *user, const vbx_span_data *span);
  void (*metric)(void *user, const vbx_metric_data *metric);
  void (*log)(void *user, const vbx_log_data *record);
} vbx__tel_ops;

typedef struct vbx__tel_hub vbx__tel_hub;

/* A hub delivering to ops with user (both borrowed until close returns),
 * holding one reference (the creator's). NULL on OOM. */
vbx__tel_hub *vbx__tel_hub_new(const vbx__tel_ops *ops, void *user);
/* Stop delivering: waits for deliveries in progress, then drops the
 * creator's reference. Records arriving later are dropped silently. */
void vbx__tel_hub_close(vbx__tel_hub *hub);
void vbx__tel_hub_ref(vbx__tel_hub *hub);
void vbx__tel_hub_unref(vbx__tel_hub *hub);
/* Deliver one record (borrowed) to the hub's ops unless it is closed.
 * Thread-safe; ops run on the calling thread without a hub lock held. */
void vbx__tel_hub_span(vbx__tel_hub *hub, const vbx_span_data *span);
void vbx__tel_hub_metric(vbx__tel_hub *hub, const vbx_metric_data *metric);
void vbx__tel_hub_log(vbx__tel_hub *hub, const vbx_log_data *record);

/* The calling thread's scope. All members borrowed from whoever entered
 * it, valid until the matching leave. */
typedef struct vbx__obs_scope {
  vbx__tel_hub *hub;
  vbx_span *span;
  const char *box;
} vbx__obs_scope;

/* Make (hub, span, box) the calling thread's scope, saving the previous
 * one in *saved; a NULL hub/box is inherited from the previous scope
 * (a NULL span is not). Pair with vbx__obs_leave(saved) on the same
 * thread. */
void vbx__obs_enter(vbx__tel_hub *hub, vbx_span *span, const char *box, vbx__obs_scope *saved);
void vbx__obs_leave(const vbx__obs_scope *saved);
/* The calling thread's scope (all NULL outside any). */
vbx__obs_scope vbx__obs_current(void);

/* ---- spans (telemetry.c) ---- */

/* A span child of `parent`, or of the current scope's span when parent is
 * NULL, delivered to the parent's hub when ended. `box` NULL: the
 * parent's box. Returns NULL when there is no parent and no scope (nothing
 * would receive it) or on OOM; every function below accepts NULL. */
vbx_span *vbx__span_start(const char *name, vbx_span *parent, int kind, const char *box);
/* A root span in `hub`: a new trace, or the continuation of a W3C
 * `traceparent` (may be NULL). Returns 0, VBX_E_INVAL when traceparent is
 * malformed, VBX_E_NOMEM. */
int vbx__span_root(vbx__tel_hub *hub, const char *name, const char *traceparent, vbx_span **out);
/* Attributes (copied; values cut at 4 KiB; at most 64 per span). */
void vbx__span_attr(vbx_span *span, const char *key, const char *value);
void vbx__span_attr_int(vbx_span *span, const char *key, int64_t value);
void vbx__span_attr_double(vbx_span *span, const char *key, double value);
/* End and deliver: status 0 ok, a negative VBX_E_* code failed with
 * `message` (may be NULL). Frees the span. */
void vbx__span_end(vbx_span *span, int status, const char *message);
/* The span's W3C traceparent into buf[56]; "" and VBX_E_NOTFOUND for NULL. */
int vbx__span_traceparent(const vbx_span *span, char buf[56]);
/* The span's trace id as 32 hex digits into buf[33]; "" for NULL. */
void vbx__span_trace_id(const vbx_span *span, char buf[33]);
/* The span's ids (zero for NULL). */
void vbx__span_ids(const vbx_span *span, uint64_t *trace_hi, uint64_t *trace_lo, uint64_t *id);

/* Record a metric point (borrowed; plugin "voidbox" and time filled when
 * unset) in the current scope's hub; dropped outside a scope. */
void vbx__obs_metric(const vbx_metric_data *metric);
/* The same from its parts (attrs: key, value, ..., NULL; may be NULL). */
void vbx__obs_point(const char *name, const char *unit, const char *description, int kind,
                    double value, const char *const *attrs);

#endif
