/*
 * run/tel_queue.c - see tel_queue.h.
 *
 * Each record is one allocation: the record, then the pointer arrays of
 * its attributes, then its strings.
 */
#include "run/tel_queue.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/call.h"
#include "run/run.h"

enum rec_kind { REC_EVENT, REC_SPAN, REC_METRIC, REC_LOG };

typedef struct rec {
  struct rec *next;
  size_t bytes;
  enum rec_kind kind;
  union {
    vbx_event ev;
    vbx_span_data span;
    vbx_metric_data metric;
    vbx_log_data log;
  } u;
} rec;

struct vbx__tel_queue {
  const vbx__inst *exp;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t wake;    /* a record arrived, or stop */
  pthread_cond_t drained; /* the queue became empty */
  rec *head, *tail;
  size_t n, bytes, max_n, max_bytes;
  int busy; /* the thread is delivering a record */
  int quit; /* stop now; drop what is queued */
  uint64_t dropped;
  int has[4]; /* the exporter has the method of each kind */
};

/* Sizes of what a record needs: pointer slots and string bytes. */
typedef struct need {
  size_t ptrs, strs;
} need;

static void need_str(need *n, const char *s) {
  if (s != NULL) n->strs += strlen(s) + 1;
}

static void need_attrs(need *n, const char *const *a) {
  if (a == NULL) return;
  size_t i = 0;
  for (; a[i] != NULL; i++)
    need_str(n, a[i]);
  n->ptrs += i + 1;
}

typedef struct packer {
  char **ptrs;
  char *strs;
} packer;

static const char *put_str(packer *p, const char *s) {
  if (s == NULL) return NULL;
  size_t len = strlen(s) + 1;
  memcpy(p->strs, s, len);
  const char *out = p->strs;
  p->strs += len;
  return out;
}

static const char *const *put_attrs(packer *p, const char *const *a) {
  if (a == NULL) return NULL;
  char **out = p->ptrs;
  size_t i = 0;
  for (; a[i] != NULL; i++)
    out[i] = (char *)put_str(p, a[i]);
  out[i] = NULL;
  p->ptrs += i + 1;
  return (const char *const *)out;
}

static rec *rec_new(enum rec_kind kind, const need *n, packer *p) {
  size_t bytes = sizeof(rec) + n->ptrs * sizeof(char *) + n->strs;
  rec *r = malloc(bytes);
  if (r == NULL) return NULL;
  memset(r, 0, sizeof(*r));
  r->bytes = bytes;
  r->kind = kind;
  p->ptrs = (char **)(r + 1);
  p->strs = (char *)(p->ptrs + n->ptrs);
  return r;
}

/* Append r, or drop it (and count) when it does not fit. */
static void push(vbx__tel_queue *q, rec *r) {
  pthread_mutex_lock(&q->mu);
  if (r == NULL || q->quit || q->n >= q->max_n || q->bytes + r->bytes > q->max_bytes) {
    q->dropped++;
    pthread_mutex_unlock(&q->mu);
    free(r);
    return;
  }
  if (q->tail)
    q->tail->next = r;
  else
    q->head = r;
  q->tail = r;
  q->n++;
  q->bytes += r->bytes;
  pthread_cond_signal(&q->wake);
  pthread_mutex_unlock(&q->mu);
}

void vbx__tel_queue_event(vbx__tel_queue *q, const vbx_event *ev) {
  if (q == NULL || !q->has[REC_EVENT]) return;
  need n = {0, 0};
  need_str(&n, ev->pipeline);
  need_str(&n, ev->stage);
  need_str(&n, ev->box);
  need_str(&n, ev->tool);
  need_str(&n, ev->text);
  packer p;
  rec *r = rec_new(REC_EVENT, &n, &p);
  if (r != NULL) {
    r->u.ev = *ev;
    r->u.ev.pipeline = put_str(&p, ev->pipeline);
    r->u.ev.stage = put_str(&p, ev->stage);
    r->u.ev.box = put_str(&p, ev->box);
    r->u.ev.tool = put_str(&p, ev->tool);
    r->u.ev.text = put_str(&p, ev->text);
  }
  push(q, r);
}

void vbx__tel_queue_span(vbx__tel_queue *q, const vbx_span_data *s) {
  if (q == NULL || !q->has[REC_SPAN]) return;
  need n = {0, 0};
  need_str(&n, s->name);
  need_str(&n, s->plugin);
  need_str(&n, s->status_message);
  need_str(&n, s->box);
  need_str(&n, s->attr_types);
  need_attrs(&n, s->attrs);
  packer p;
  rec *r = rec_new(REC_SPAN, &n, &p);
  if (r != NULL) {
    r->u.span = *s;
    r->u.span.name = put_str(&p, s->name);
    r->u.span.plugin = put_str(&p, s->plugin);
    r->u.span.status_message = put_str(&p, s->status_message);
    r->u.span.box = put_str(&p, s->box);
    r->u.span.attr_types = put_str(&p, s->attr_types);
    r->u.span.attrs = put_attrs(&p, s->attrs);
  }
  push(q, r);
}

void vbx__tel_queue_metric(vbx__tel_queue *q, const vbx_metric_data *m) {
  if (q == NULL || !q->has[REC_METRIC]) return;
  need n = {0, 0};
  need_str(&n, m->name);
  need_str(&n, m->unit);
  need_str(&n, m->description);
  need_str(&n, m->plugin);
  need_attrs(&n, m->attrs);
  packer p;
  rec *r = rec_new(REC_METRIC, &n, &p);
  if (r != NULL) {
    r->u.metric = *m;
    r->u.metric.name = put_str(&p, m->name);
    r->u.metric.unit = put_str(&p, m->unit);
    r->u.metric.description = put_str(&p, m->description);
    r->u.metric.plugin = put_str(&p, m->plugin);
    r->u.metric.attrs = put_attrs(&p, m->attrs);
  }
  push(q, r);
}

void vbx__tel_queue_log(vbx__tel_queue *q, const vbx_log_data *l) {
  if (q == NULL || !q->has[REC_LOG]) return;
  need n = {0, 0};
  need_str(&n, l->origin);
  need_str(&n, l->box);
  need_str(&n, l->body);
  packer p;
  rec *r = rec_new(REC_LOG, &n, &p);
  if (r != NULL) {
    r->u.log = *l;
    r->u.log.origin = put_str(&p, l->origin);
    r->u.log.box = put_str(&p, l->box);
    r->u.log.body = put_str(&p, l->body);
  }
  push(q, r);
}

static void deliver(const vbx__inst *exp, const rec *r) {
  uint64_t deadline = vbx__now_ns() + VBX__EXPORTER_CALL_NS;
  switch (r->kind) {
  case REC_EVENT: vbx__inst_on_event(exp, &r->u.ev, deadline); break;
  case REC_SPAN: vbx__inst_on_span(exp, &r->u.span, deadline); break;
  case REC_METRIC: vbx__inst_on_metric(exp, &r->u.metric, deadline); break;
  case REC_LOG: vbx__inst_on_log(exp, &r->u.log, deadline); break;
  }
}

static void *run_queue(void *arg) {
  vbx__tel_queue *q = arg;
  pthread_mutex_lock(&q->mu);
  for (;;) {
    while (q->head == NULL && !q->quit)
      pthread_cond_wait(&q->wake, &q->mu);
    if (q->quit) break;
    rec *r = q->head;
    q->head = r->next;
    if (q->head == NULL) q->tail = NULL;
    q->n--;
    q->bytes -= r->bytes;
    q->busy = 1;
    pthread_mutex_unlock(&q->mu);
    deliver(q->exp, r);
    free(r);
    pthread_mutex_lock(&q->mu);
    q->busy = 0;
    if (q->head == NULL) pthread_cond_broadcast(&q->drained);
  }
  pthread_mutex_unlock(&q->mu);
  return NULL;
}

int vbx__tel_queue_start(const vbx__inst *exp, size_t max_records, size_t max_bytes,
                         vbx__tel_queue **out) {
  *out = NULL;
  vbx__tel_queue *q = calloc(1, sizeof(*q));
  if (q == NULL) return VBX_E_NOMEM;
  q->exp = exp;
  q->max_n = max_records;
  q->max_bytes = max_bytes;
  q->has[REC_EVENT] = vbx__impl_has(exp->impl, VBX_M_ON_EVENT);
  q->has[REC_SPAN] = vbx__impl_has(exp->impl, VBX_M_ON_SPAN);
  q->has[REC_METRIC] = vbx__impl_has(exp->impl, VBX_M_ON_METRIC);
  q->has[REC_LOG] = vbx__impl_has(exp->impl, VBX_M_ON_LOG);
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->wake, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&q->drained, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&q->thread, NULL, run_queue, q) != 0) {
    pthread_cond_destroy(&q->drained);
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->mu);
    free(q);
    return VBX_E_GENERIC;
  }
  *out = q;
  return 0;
}

uint64_t vbx__tel_queue_stop(vbx__tel_queue *q, uint64_t deadline_ns) {
  if (q == NULL) return 0;
  struct timespec until = vbx__timespec_at(deadline_ns);
  pthread_mutex_lock(&q->mu);
  while ((q->head != NULL || q->busy) && vbx__now_ns() < deadline_ns)
    pthread_cond_timedwait(&q->drained, &q->mu, &until);
  q->quit = 1;
  pthread_cond_signal(&q->wake);
  pthread_mutex_unlock(&q->mu);
  pthread_join(q->thread, NULL);
  uint64_t dropped = q->dropped;
  for (rec *r = q->head, *next; r != NULL; r = next) {
    next = r->next;
    free(r);
    dropped++;
  }
  pthread_cond_destroy(&q->drained);
  pthread_cond_destroy(&q->wake);
  pthread_mutex_destroy(&q->mu);
  free(q);
  return dropped;
}
