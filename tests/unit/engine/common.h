/*
 * common.h - helpers shared by the engine and run tests: building fake
 * boxes with the builder API and collecting streams and events.
 */
#ifndef TEST_ENGINE_COMMON_H
#define TEST_ENGINE_COMMON_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_plugins.h"
#include "model/model.h"

/* A box on the fake sandbox and provider with `script` (JSON text). */
static inline vbx_box *fake_box(const char *name, const char *script) {
  vbx_box *b = vbx_box_new(name);
  vbx_box_prompt(b, "Do the task.");
  vbx_box_sandbox(b, "fake");
  vbx_box_llm(b, "fake", NULL);
  vbx_box_llm_option(b, "script", script);
  return b;
}

/* Recorded stream chunks and events. */
typedef struct rec_chunk {
  char box[32];
  vbx_output_kind kind;
  char data[128];
} rec_chunk;

typedef struct recorder {
  pthread_mutex_t mu;
  rec_chunk chunks[512];
  size_t n_chunks;
  vbx_event_type events[512];
  vbx_status event_status[512];
  char event_box[512][32];
  size_t n_events;
} recorder;

static inline void rec_init(recorder *r) {
  memset(r, 0, sizeof(*r));
  pthread_mutex_init(&r->mu, NULL);
}

static inline void rec_stream(void *user, const char *box, vbx_output_kind kind, const char *data,
                              size_t len) {
  recorder *r = user;
  pthread_mutex_lock(&r->mu);
  if (r->n_chunks < 512) {
    rec_chunk *c = &r->chunks[r->n_chunks++];
    snprintf(c->box, sizeof(c->box), "%s", box);
    c->kind = kind;
    snprintf(c->data, sizeof(c->data), "%.*s", (int)(len < 127 ? len : 127), data);
  }
  pthread_mutex_unlock(&r->mu);
}

static inline void rec_event(void *user, const vbx_event *ev) {
  recorder *r = user;
  pthread_mutex_lock(&r->mu);
  if (r->n_events < 512) {
    snprintf(r->event_box[r->n_events], 32, "%s", ev->box ? ev->box : "");
    r->event_status[r->n_events] = ev->status;
    r->events[r->n_events++] = ev->type;
  }
  pthread_mutex_unlock(&r->mu);
}

static inline size_t rec_count(const recorder *r, vbx_event_type t) {
  size_t n = 0;
  for (size_t i = 0; i < r->n_events; i++)
    n += r->events[i] == t;
  return n;
}

/* Events of type t with status st. */
static inline size_t rec_count_status(const recorder *r, vbx_event_type t, vbx_status st) {
  size_t n = 0;
  for (size_t i = 0; i < r->n_events; i++)
    n += r->events[i] == t && r->event_status[i] == st;
  return n;
}

#endif
