/*
 * exporter-otlp/work.c - one round of exports: taking what is due out of
 * the buffers (under the exporter's mutex), then encoding and posting it
 * and counting what was lost (without the mutex while posting).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporter.h"

static uint64_t realtime_ns(const vbx_host_services *h) {
  if (h->realtime_ns != NULL) return h->realtime_ns();
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t str_bytes(const char *s) { return s ? strlen(s) + 1 : 0; }

size_t ox_record_bytes(int signal, const void *rec) {
  if (signal == OX_LOGS) {
    const vbx_log_data *r = rec;
    return sizeof(*r) + str_bytes(r->origin) + str_bytes(r->box) + str_bytes(r->body);
  }
  const vbx_span_data *s = rec;
  size_t n = sizeof(*s) + str_bytes(s->name) + str_bytes(s->plugin) + str_bytes(s->status_message) +
             str_bytes(s->box);
  for (size_t i = 0; s->attrs != NULL && s->attrs[i] != NULL; i++)
    n += sizeof(char *) + str_bytes(s->attrs[i]);
  return n;
}

int ox_buffer(ox_exp *e, int signal, void *rec) {
  size_t n = ox_record_bytes(signal, rec);
  if (e->q_bytes[signal] + n > OX_QUEUE_MAX_BYTES) return VBX_E_LIMIT;
  int rc = ox_queue_push(&e->q[signal], rec);
  if (rc == 0) e->q_bytes[signal] += n;
  return rc;
}

int ox_take(ox_exp *e, uint64_t now, int all, int metrics, ox_work *w) {
  *w = (ox_work){0};
  int any = 0;
  for (int s = 0; s < OX_N_SIGNALS; s++) {
    ox_queue *q = &e->q[s];
    if (s == OX_METRICS || q->n == 0) continue;
    if (!all && q->n < e->cfg.max_batch && now < e->next_batch[s]) continue;
    size_t k = q->n < e->cfg.max_batch ? q->n : e->cfg.max_batch;
    if ((w->batch[s] = malloc(k * sizeof(void *))) == NULL) continue; /* next round */
    w->n[s] = ox_queue_take(q, w->batch[s], k);
    for (size_t i = 0; i < w->n[s]; i++)
      e->q_bytes[s] -= ox_record_bytes(s, w->batch[s][i]);
    e->next_batch[s] = now + (uint64_t)e->cfg.schedule_delay_ms * 1000000u;
    any = 1;
  }
  if (metrics && (e->cfg.signals & (1u << OX_METRICS)) && e->metrics != NULL) {
    w->metrics = vbx_otlp_metrics_json(e->metrics, &e->res, realtime_ns(e->h));
    w->metric_points = e->metric_pending;
    if (w->metrics != NULL) any = 1;
  }
  return any;
}

static void free_record(int signal, void *p) {
  if (signal == OX_TRACES)
    vbx_otlp_span_free(p);
  else
    vbx_otlp_log_free(p);
}

void ox_run(ox_exp *e, ox_work *w, uint64_t deadline, vbx_call *call) {
  for (int s = 0; s < OX_N_SIGNALS; s++) {
    if (w->n[s] == 0) {
      free(w->batch[s]);
      continue;
    }
    json_t *doc =
        s == OX_TRACES
            ? vbx_otlp_traces_json(&e->res, (const vbx_span_data *const *)w->batch[s], w->n[s])
            : vbx_otlp_logs_json(&e->res, (const vbx_log_data *const *)w->batch[s], w->n[s]);
    uint64_t rejected = 0;
    int reason = doc ? ox_post(e, s, doc, w->n[s], deadline, call, &rejected) : OX_R_NOMEM;
    json_decref(doc);
    pthread_mutex_lock(&e->mu);
    if (reason != 0)
      ox_loss_add(&e->loss, s, (ox_reason)reason, w->n[s]);
    else
      ox_loss_add(&e->loss, s, OX_R_REJECTED, rejected < w->n[s] ? rejected : w->n[s]);
    pthread_mutex_unlock(&e->mu);
    for (size_t i = 0; i < w->n[s]; i++)
      free_record(s, w->batch[s][i]);
    free(w->batch[s]);
  }
  if (w->metrics != NULL) {
    uint64_t rejected = 0;
    int reason =
        ox_post(e, OX_METRICS, w->metrics, (size_t)w->metric_points, deadline, call, &rejected);
    pthread_mutex_lock(&e->mu);
    if (reason == 0) {
      /* the snapshot held every point counted when it was taken */
      e->metric_pending -=
          w->metric_points < e->metric_pending ? w->metric_points : e->metric_pending;
      e->metric_fail = -1;
      ox_loss_add(&e->loss, OX_METRICS, OX_R_REJECTED, rejected);
    } else {
      e->metric_fail = reason;
    }
    pthread_mutex_unlock(&e->mu);
    json_decref(w->metrics);
  }
  *w = (ox_work){0};
}
