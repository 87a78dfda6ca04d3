/*
 * plugin/observe.c - the telemetry hub of a run and the thread-local
 * observation scope (observe.h).
 */
#include "plugin/observe.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct vbx__tel_hub {
  atomic_int refs;
  pthread_mutex_t mu;
  pthread_cond_t idle;
  int closed;
  int active; /* deliveries in progress */
  vbx__tel_ops ops;
  void *user;
};

vbx__tel_hub *vbx__tel_hub_new(const vbx__tel_ops *ops, void *user) {
  vbx__tel_hub *h = calloc(1, sizeof(*h));
  if (h == NULL) return NULL;
  atomic_init(&h->refs, 1);
  pthread_mutex_init(&h->mu, NULL);
  pthread_cond_init(&h->idle, NULL);
  h->ops = *ops;
  h->user = user;
  return h;
}

void vbx__tel_hub_ref(vbx__tel_hub *hub) {
  if (hub != NULL) atomic_fetch_add(&hub->refs, 1);
}

void vbx__tel_hub_unref(vbx__tel_hub *hub) {
  if (hub == NULL || atomic_fetch_sub(&hub->refs, 1) != 1) return;
  pthread_cond_destroy(&hub->idle);
  pthread_mutex_destroy(&hub->mu);
  free(hub);
}

void vbx__tel_hub_close(vbx__tel_hub *hub) {
  if (hub == NULL) return;
  pthread_mutex_lock(&hub->mu);
  hub->closed = 1;
  while (hub->active > 0)
    pthread_cond_wait(&hub->idle, &hub->mu);
  pthread_mutex_unlock(&hub->mu);
  vbx__tel_hub_unref(hub);
}

/* Claim a delivery: 0 when the hub is closed. */
static int begin(vbx__tel_hub *hub) {
  pthread_mutex_lock(&hub->mu);
  int open = !hub->closed;
  if (open) hub->active++;
  pthread_mutex_unlock(&hub->mu);
  return open;
}

static void end(vbx__tel_hub *hub) {
  pthread_mutex_lock(&hub->mu);
  if (--hub->active == 0 && hub->closed) pthread_cond_broadcast(&hub->idle);
  pthread_mutex_unlock(&hub->mu);
}

void vbx__tel_hub_span(vbx__tel_hub *hub, const vbx_span_data *span) {
  if (hub == NULL || hub->ops.span == NULL || !begin(hub)) return;
  hub->ops.span(hub->user, span);
  end(hub);
}

void vbx__tel_hub_metric(vbx__tel_hub *hub, const vbx_metric_data *metric) {
  if (hub == NULL || hub->ops.metric == NULL || !begin(hub)) return;
  hub->ops.metric(hub->user, metric);
  end(hub);
}

void vbx__tel_hub_log(vbx__tel_hub *hub, const vbx_log_data *record) {
  if (hub == NULL || hub->ops.log == NULL || !begin(hub)) return;
  hub->ops.log(hub->user, record);
  end(hub);
}

static _Thread_local vbx__obs_scope current;

void vbx__obs_enter(vbx__tel_hub *hub, vbx_span *span, const char *box, vbx__obs_scope *saved) {
  *saved = current;
  current.hub = hub ? hub : saved->hub;
  current.span = span;
  current.box = box ? box : saved->box;
}

void vbx__obs_leave(const vbx__obs_scope *saved) { current = *saved; }

vbx__obs_scope vbx__obs_current(void) { return current; }
