/*
 * exporter-otlp/exporter.c - the "otlp" exporter's vtable methods: create
 * (options, environment, the sender thread), the on_* methods that copy a
 * record into a bounded buffer and return, flush (everything buffered
 * plus a final metrics snapshot, on the caller's thread, within
 * min(call deadline, flush_timeout_ms)) and destroy (the sender stopped,
 * one warning line about what was not delivered).
 */
#include "exporter_vt.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "url.h"

static const char *env_get(const char *name) { return getenv(name); }
static void span_free(void *p) { vbx_otlp_span_free(p); }
static void log_free(void *p) { vbx_otlp_log_free(p); }

static void free_exp(ox_exp *e) {
  ox_queue_clear(&e->q[OX_TRACES], span_free);
  ox_queue_clear(&e->q[OX_LOGS], log_free);
  vbx_otlp_metrics_free(e->metrics);
  ox_setup_free(e);
  ox_cfg_free(&e->cfg);
  free(e);
}

/* The sender thread, started with every signal blocked. */
static int start_sender(ox_exp *e) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int rc = pthread_create(&e->thread, NULL, ox_sender_main, e);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  e->started = rc == 0;
  return rc == 0 ? 0 : VBX_E_NOMEM;
}

int ox_exp_create(const vbx_host_services *h, const vbx_json *options, ox_getenv_fn get,
                  vbx_call *call, void **out) {
  *out = NULL;
  ox_exp *e = calloc(1, sizeof(*e));
  if (e == NULL) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  e->h = h;
  e->metric_fail = -1;
  int rc;
  if ((rc = ox_cfg_parse(h, options, &e->cfg, call)) != 0 ||
      (rc = ox_env_apply(h, get ? get : env_get, &e->cfg, call)) != 0 ||
      (rc = ox_setup(e, call)) != 0)
    goto fail;
  for (int s = 0; s < OX_N_SIGNALS; s++)
    ox_queue_init(&e->q[s], e->cfg.max_queue);
  uint64_t start = h->realtime_ns ? h->realtime_ns() : 0;
  if ((e->metrics = vbx_otlp_metrics_new(start)) == NULL) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
    goto fail;
  }
  uint64_t now = ox_now();
  e->next_metrics = now + (uint64_t)e->cfg.export_interval_ms * 1000000u;
  if (pthread_mutex_init(&e->mu, NULL) != 0) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "otlp exporter: cannot create a mutex");
    goto fail;
  }
  if (ox_cond_init(&e->wake) != 0 || ox_cond_init(&e->idle) != 0 || start_sender(e) != 0) {
    rc = h->set_error(call, VBX_E_NOMEM, NULL, "otlp exporter: cannot start the sender thread");
    pthread_mutex_destroy(&e->mu); /* the condition variables need no cleanup on Linux */
    goto fail;
  }
  *out = e;
  return 0;
fail:
  free_exp(e);
  return rc;
}

/* Buffer an owned copy of a signal's record (NULL: the copy failed). */
static void enqueue(ox_exp *e, int s, void *rec, void (*free_fn)(void *)) {
  pthread_mutex_lock(&e->mu);
  int rc = rec ? ox_buffer(e, s, rec) : VBX_E_NOMEM;
  if (rc != 0) {
    ox_loss_add(&e->loss, s, rc == VBX_E_LIMIT ? OX_R_QUEUE_FULL : OX_R_NOMEM, 1);
  } else if (e->q[s].n == 1) { /* a new batch: due after the delay */
    e->next_batch[s] = ox_now() + (uint64_t)e->cfg.schedule_delay_ms * 1000000u;
    pthread_cond_broadcast(&e->wake);
  } else if (e->q[s].n == e->cfg.max_batch) { /* a full one: due now */
    pthread_cond_broadcast(&e->wake);
  }
  pthread_mutex_unlock(&e->mu);
  if (rc != 0) free_fn(rec);
}

void ox_exp_on_span(void *x, const vbx_span_data *span) {
  ox_exp *e = x;
  if (span == NULL || !(e->cfg.signals & (1u << OX_TRACES))) return;
  enqueue(e, OX_TRACES, vbx_otlp_span_dup(span), span_free);
}

void ox_exp_on_log(void *x, const vbx_log_data *rec) {
  ox_exp *e = x;
  if (rec == NULL || !(e->cfg.signals & (1u << OX_LOGS))) return;
  enqueue(e, OX_LOGS, vbx_otlp_log_dup(rec), log_free);
}

void ox_exp_on_metric(void *x, const vbx_metric_data *m) {
  ox_exp *e = x;
  if (m == NULL || !(e->cfg.signals & (1u << OX_METRICS))) return;
  pthread_mutex_lock(&e->mu);
  int rc = vbx_otlp_metrics_add(e->metrics, m);
  if (rc == 0)
    e->metric_pending++;
  else
    ox_loss_add(&e->loss, OX_METRICS,
                rc == VBX_E_LIMIT   ? OX_R_STREAM_LIMIT
                : rc == VBX_E_INVAL ? OX_R_INVALID
                                    : OX_R_NOMEM,
                1);
  pthread_mutex_unlock(&e->mu);
}

void ox_exp_on_event(void *x, const vbx_event *ev) {
  (void)x; /* events reach collectors as spans */
  (void)ev;
}

int ox_exp_flush(void *x, vbx_call *call) {
  ox_exp *e = x;
  const vbx_host_services *h = e->h;
  uint64_t now = ox_now();
  uint64_t deadline = now + (uint64_t)e->cfg.flush_timeout_ms * 1000000u;
  uint64_t cd = call && h->deadline_ns ? h->deadline_ns(call) : 0;
  if (cd != 0 && cd < deadline) deadline = cd;
  pthread_mutex_lock(&e->mu);
  e->flushing = 1;
  e->flush_deadline = deadline;
  pthread_cond_broadcast(&e->wake);
  int metrics = 1;
  ox_work w;
  while (ox_now() < deadline && ox_take(e, ox_now(), 1, metrics, &w)) {
    metrics = 0; /* one final snapshot, with the first round */
    pthread_mutex_unlock(&e->mu);
    ox_run(e, &w, deadline, call);
    pthread_mutex_lock(&e->mu);
  }
  while (e->busy && ox_now() < deadline) /* the sender's request in flight */
    ox_wait_until(&e->idle, &e->mu, deadline);
  int late = e->busy;
  e->flushing = 0;
  e->flushed = 1;
  pthread_cond_broadcast(&e->wake);
  pthread_mutex_unlock(&e->mu);
  if (late)
    return h->set_error(call, VBX_E_TIMEOUT, NULL,
                        "otlp: a request to the collector was still running when the flush "
                        "timeout (%u ms) passed",
                        e->cfg.flush_timeout_ms);
  return 0;
}

/* Where the lost records were going: the base endpoint, or the signals'
 * own URLs. */
static void lost_where(const ox_exp *e, char *buf, size_t n) {
  int own = 0;
  for (int s = 0; s < OX_N_SIGNALS; s++)
    if (e->loss.by_signal[s] > 0 && e->cfg.signal_url[s] != NULL) own = 1;
  if (!own) {
    ox_url_for_log(e->cfg.endpoint ? e->cfg.endpoint : OX_DEFAULT_ENDPOINT, buf, n);
    return;
  }
  size_t len = 0;
  buf[0] = '\0';
  for (int s = 0; s < OX_N_SIGNALS && len < n; s++)
    if (e->loss.by_signal[s] > 0)
      len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? " and " : "", e->target[s].where);
}

void ox_exp_destroy(void *x) {
  ox_exp *e = x;
  if (e == NULL) return;
  pthread_mutex_lock(&e->mu);
  e->stop = 1;
  pthread_cond_broadcast(&e->wake);
  pthread_mutex_unlock(&e->mu);
  /* bounded: the sender starts nothing once stopping, and a request in
   * flight ends within its connect/idle timeouts (timeout_ms at most) */
  pthread_join(e->thread, NULL);
  ox_reason left = e->flushed ? OX_R_FLUSH_TIMEOUT : OX_R_NOT_FLUSHED;
  ox_loss_add(&e->loss, OX_TRACES, left, ox_queue_clear(&e->q[OX_TRACES], span_free));
  ox_loss_add(&e->loss, OX_LOGS, left, ox_queue_clear(&e->q[OX_LOGS], log_free));
  ox_loss_add(&e->loss, OX_METRICS, e->metric_fail >= 0 ? (ox_reason)e->metric_fail : left,
              e->metric_pending);
  char where[600], line[1024];
  lost_where(e, where, sizeof(where));
  ox_loss_summary(&e->loss, where, line, sizeof(line));
  if (line[0] != '\0') e->h->log(e->h->ctx, VBX_LOG_WARN, "%s", line);
  pthread_mutex_destroy(&e->mu);
  pthread_cond_destroy(&e->wake);
  pthread_cond_destroy(&e->idle);
  free_exp(e);
}

uint64_t ox_exp_dropped(void *x) {
  ox_exp *e = x;
  pthread_mutex_lock(&e->mu);
  /* lost so far, plus what is still buffered: destroy will lose it */
  uint64_t n = ox_loss_total(&e->loss) + e->q[OX_TRACES].n + e->q[OX_LOGS].n;
  n += e->metric_pending;
  pthread_mutex_unlock(&e->mu);
  return n;
}

void ox_exp_stats(void *x, ox_loss *out) {
  ox_exp *e = x;
  pthread_mutex_lock(&e->mu);
  *out = e->loss;
  pthread_mutex_unlock(&e->mu);
}
