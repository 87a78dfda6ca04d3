/*
 * exporter-otlp/sender.c - the sender thread: it sleeps until a batch of
 * spans or log records is full, a partial one has waited
 * schedule_delay_ms, or export_interval_ms has passed for metrics, then
 * posts what is due with no deadline of its own. While a flush runs it
 * stays out of the way (flush drains on its caller's thread) but a
 * request it already started then keeps to the flush's deadline.
 */
#include "exporter.h"

#define IDLE_WAIT_NS (3600ull * 1000000000u)

/* When the sender next has something to do. */
static uint64_t next_due(const ox_exp *e, uint64_t now) {
  uint64_t until = now + IDLE_WAIT_NS;
  if ((e->cfg.signals & (1u << OX_METRICS)) && e->next_metrics < until) until = e->next_metrics;
  for (int s = 0; s < OX_N_SIGNALS; s++)
    if (e->q[s].n > 0 && e->next_batch[s] < until) until = e->next_batch[s];
  return until > now ? until : now + 10000000u; /* a batch left behind (OOM): later */
}

void *ox_sender_main(void *arg) {
  ox_exp *e = arg;
  pthread_mutex_lock(&e->mu);
  while (!e->stop) {
    if (e->flushing) {
      pthread_cond_wait(&e->wake, &e->mu);
      continue;
    }
    uint64_t now = ox_now();
    int metrics_due = (e->cfg.signals & (1u << OX_METRICS)) && now >= e->next_metrics;
    if (metrics_due) e->next_metrics = now + (uint64_t)e->cfg.export_interval_ms * 1000000u;
    ox_work w;
    if (ox_take(e, now, 0, metrics_due, &w)) {
      e->busy = 1;
      pthread_mutex_unlock(&e->mu);
      ox_run(e, &w, 0, NULL);
      pthread_mutex_lock(&e->mu);
      e->busy = 0;
      pthread_cond_broadcast(&e->idle);
      continue;
    }
    ox_wait_until(&e->wake, &e->mu, next_due(e, now));
  }
  pthread_mutex_unlock(&e->mu);
  return NULL;
}
