/*
 * exporter-otlp/queue.c - a bounded ring of pointers (see queue.h).
 */
#include "queue.h"

#include <stdlib.h>

#include "voidbox/errors.h"

void ox_queue_init(ox_queue *q, size_t max) { *q = (ox_queue){.max = max}; }

int ox_queue_push(ox_queue *q, void *p) {
  if (q->n == q->max) return VBX_E_LIMIT;
  if (q->n == q->cap) {
    size_t cap = q->cap ? q->cap * 2 : 64;
    if (cap > q->max) cap = q->max;
    void **v = malloc(cap * sizeof(*v));
    if (v == NULL) return VBX_E_NOMEM;
    for (size_t i = 0; i < q->n; i++) /* unwrap into the new ring */
      v[i] = q->v[(q->head + i) % q->cap];
    free(q->v);
    q->v = v;
    q->cap = cap;
    q->head = 0;
  }
  q->v[(q->head + q->n) % q->cap] = p;
  q->n++;
  return 0;
}

size_t ox_queue_take(ox_queue *q, void **out, size_t max) {
  size_t k = 0;
  for (; k < max && q->n > 0; k++) {
    out[k] = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
  }
  return k;
}

size_t ox_queue_clear(ox_queue *q, void (*free_fn)(void *)) {
  size_t n = q->n;
  void *p;
  while (ox_queue_take(q, &p, 1) == 1)
    free_fn(p);
  free(q->v);
  *q = (ox_queue){.max = q->max};
  return n;
}
