/*
 * netstack/shaper.c - token bucket and FIFO (shaper.h).
 */
#include "shaper.h"

#include <stdlib.h>
#include <string.h>

struct ns_shaper_frame {
  ns_shaper_frame *next;
  size_t len;
  uint8_t data[];
};

void ns_shaper_init(ns_shaper *s, uint32_t kbps, uint64_t now_ns) {
  memset(s, 0, sizeof *s);
  s->rate = (uint64_t)kbps * 1000 / 8;
  /* 50 ms of traffic, at least four full frames. */
  s->burst = s->rate / 20 > 4 * 1514 ? s->rate / 20 : 4 * 1514;
  s->tokens = (double)s->burst;
  s->last_ns = now_ns;
}

static void refill(ns_shaper *s, uint64_t now_ns) {
  if (now_ns > s->last_ns) {
    s->tokens += (double)(now_ns - s->last_ns) * (double)s->rate / 1e9;
    if (s->tokens > (double)s->burst) s->tokens = (double)s->burst;
  }
  s->last_ns = now_ns;
}

uint64_t ns_shaper_run(ns_shaper *s, uint64_t now_ns, ns_shaper_emit emit, void *user) {
  if (s->head == NULL) return 0;
  refill(s, now_ns);
  while (s->head != NULL && s->tokens >= (double)s->head->len) {
    ns_shaper_frame *f = s->head;
    s->head = f->next;
    if (s->head == NULL) s->tail = NULL;
    s->queued -= f->len;
    s->tokens -= (double)f->len;
    s->passed_bytes += f->len;
    emit(user, f->data, f->len);
    free(f);
  }
  if (s->head == NULL) return 0;
  double need = (double)s->head->len - s->tokens;
  uint64_t wait = (uint64_t)(need * 1e9 / (double)s->rate) + 1;
  return wait;
}

void ns_shaper_push(ns_shaper *s, const uint8_t *frame, size_t len, uint64_t now_ns,
                    ns_shaper_emit emit, void *user) {
  if (s->rate == 0) {
    s->passed_bytes += len;
    emit(user, frame, len);
    return;
  }
  refill(s, now_ns);
  if (s->head == NULL && s->tokens >= (double)len) {
    s->tokens -= (double)len;
    s->passed_bytes += len;
    emit(user, frame, len);
    return;
  }
  ns_shaper_frame *f;
  if (s->queued + len > NS_SHAPER_QUEUE_BYTES || (f = malloc(sizeof *f + len)) == NULL) {
    s->dropped++;
    return;
  }
  f->next = NULL;
  f->len = len;
  memcpy(f->data, frame, len);
  if (s->tail != NULL)
    s->tail->next = f;
  else
    s->head = f;
  s->tail = f;
  s->queued += len;
}

void ns_shaper_clear(ns_shaper *s) {
  while (s->head != NULL) {
    ns_shaper_frame *f = s->head;
    s->head = f->next;
    free(f);
  }
  s->tail = NULL;
  s->queued = 0;
}
