/*
 * exporter-otlp/exporter.h - one "otlp" exporter instance: its resolved
 * configuration, the bounded buffers the host's delivery thread fills, the
 * metrics aggregator, and the sender thread that posts batches.
 *
 * Threads: the on_* methods (the host's one delivery thread), flush and
 * destroy (the host's closing thread) and the sender thread share the
 * instance under `mu`. Only the sender and flush do HTTP, never while
 * holding `mu`.
 */
#ifndef VBX_OTLP_EXPORTER_H
#define VBX_OTLP_EXPORTER_H

#include <pthread.h>
#include <stdint.h>

#include "loss.h"
#include "opts.h"
#include "otlp_json.h"
#include "queue.h"
#include "voidbox/plugin.h"

#define OX_PLUGIN_VERSION "0.1.0"
/* Bytes of copied records one signal's buffer may hold, besides max_queue. */
#define OX_QUEUE_MAX_BYTES ((size_t)32 << 20)

/* A signal's destination: its URL and the request's header lines. */
typedef struct ox_target {
  char *url;
  char **headers;  /* "Name: value", ..., NULL */
  char where[256]; /* the URL as printed in messages */
} ox_target;

typedef struct ox_exp {
  const vbx_host_services *h;
  ox_cfg cfg;
  ox_target target[OX_N_SIGNALS];
  char **res_attrs; /* key, value, ..., NULL */
  vbx_otlp_resource res;

  pthread_mutex_t mu;
  pthread_cond_t wake;               /* the sender: work, a flush, stop */
  pthread_cond_t idle;               /* the sender finished an export */
  ox_queue q[OX_N_SIGNALS];          /* spans and log records (metrics unused) */
  size_t q_bytes[OX_N_SIGNALS];      /* what the records in q take */
  uint64_t next_batch[OX_N_SIGNALS]; /* monotonic ns a partial batch is due */
  vbx_otlp_metrics *metrics;
  uint64_t metric_pending; /* points not yet in a delivered snapshot */
  int metric_fail;         /* ox_reason of the last failed snapshot, -1: none */
  uint64_t next_metrics;
  ox_loss loss;
  long warned[OX_N_SIGNALS]; /* last HTTP status warned about */
  int stop, flushing, flushed, busy;
  uint64_t flush_deadline; /* monotonic ns, while flushing */
  pthread_t thread;
  int started;
} ox_exp;

/* Work taken out of the buffers for one round of exports: batches of
 * spans/log records (owned) and a metrics snapshot. */
typedef struct ox_work {
  void **batch[OX_N_SIGNALS];
  size_t n[OX_N_SIGNALS];
  json_t *metrics;        /* ExportMetricsServiceRequest or NULL */
  uint64_t metric_points; /* points the snapshot covers */
} ox_work;

/* CLOCK_MONOTONIC in ns. */
uint64_t ox_now(void);
/* pthread_cond_timedwait on a CLOCK_MONOTONIC condition variable until
 * the monotonic time `until` (ns). */
void ox_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t until);
/* A condition variable that waits on CLOCK_MONOTONIC. 0 or VBX_E_NOMEM. */
int ox_cond_init(pthread_cond_t *cv);

/* About how many bytes a copied span (OX_TRACES) or log record
 * (OX_LOGS) takes. */
size_t ox_record_bytes(int signal, const void *rec);
/* Buffer a copied record of signal (taken on success): 0, or VBX_E_LIMIT
 * when the buffer is full (max_queue records or OX_QUEUE_MAX_BYTES),
 * VBX_E_NOMEM; with e->mu held. */
int ox_buffer(ox_exp *e, int signal, void *rec);

/* Resolve e->cfg into targets and the resource (exporter setup). 0 or a
 * VBX_E_* code set on the call. */
int ox_setup(ox_exp *e, vbx_call *call);
/* Free what ox_setup made. */
void ox_setup_free(ox_exp *e);

/* Take what is due into w (with e->mu held): full batches, partial ones
 * past their delay (or all of them with `all`), and a metrics snapshot
 * when `metrics` is set. Returns non-zero when w holds anything. */
int ox_take(ox_exp *e, uint64_t now, int all, int metrics, ox_work *w);
/* Export w (e->mu not held) and account for it; frees w's contents.
 * deadline: monotonic ns bounding every attempt and retry, 0 for none;
 * call may be NULL. */
void ox_run(ox_exp *e, ox_work *w, uint64_t deadline, vbx_call *call);

/* POST one encoded request (`doc`, not consumed) to a signal's target
 * with the retry policy. Returns 0 when the collector took it (*rejected:
 * the partialSuccess count), or the ox_reason it was lost for. */
int ox_post(ox_exp *e, int signal, json_t *doc, size_t records, uint64_t deadline, vbx_call *call,
            uint64_t *rejected);

/* The sender thread's body (arg: the ox_exp). */
void *ox_sender_main(void *arg);

#endif
