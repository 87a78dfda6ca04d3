/*
 * sandbox-mock/barrier.c - named, reusable barriers shared by every mock
 * sandbox of the plugin: a sandbox's exec waits until `parties` callers
 * have arrived (then all are released and the barrier resets for the next
 * round), or fails with VBX_E_TIMEOUT. Used to prove that fan-out boxes run
 * at the same time without measuring time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock.h"

#define SLICE_MS 20

static mock_barrier *get_barrier(mock_state *st, const char *name, uint32_t parties) {
  for (mock_barrier *b = st->barriers; b != NULL; b = b->next)
    if (strcmp(b->name, name) == 0) return b;
  mock_barrier *b = calloc(1, sizeof *b);
  if (b == NULL) return NULL;
  b->name = strdup(name);
  if (b->name == NULL) {
    free(b);
    return NULL;
  }
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&b->cond, &ca);
  pthread_condattr_destroy(&ca);
  b->parties = parties;
  b->next = st->barriers;
  st->barriers = b;
  return b;
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int mock_barrier_wait(mock_state *st, const char *name, uint32_t parties, uint32_t timeout_ms,
                      vbx_call *call) {
  const vbx_host_services *h = st->host;
  int rc = 0;
  pthread_mutex_lock(&st->lock);
  mock_barrier *b = get_barrier(st, name, parties);
  if (b == NULL) {
    rc = h->set_error(call, VBX_E_NOMEM, "barrier", "out of memory");
    goto out;
  }
  if (b->parties != parties) {
    rc = h->set_error(call, VBX_E_INVAL, "barrier",
                      "barrier '%s' is used with parties %u here and %u elsewhere", name, parties,
                      b->parties);
    goto out;
  }
  uint64_t gen = b->generation;
  if (++b->arrived >= b->parties) {
    b->arrived = 0;
    b->generation++;
    pthread_cond_broadcast(&b->cond);
    goto out;
  }
  uint64_t end = now_ms() + timeout_ms;
  while (b->generation == gen) {
    if (h->is_cancelled(call)) {
      b->arrived--;
      rc = h->set_error(call, VBX_E_CANCELLED, NULL, "cancelled while waiting at barrier '%s'",
                        name);
      goto out;
    }
    uint64_t now = now_ms();
    if (now >= end) {
      uint32_t have = b->arrived;
      b->arrived--;
      rc = h->set_error(call, VBX_E_TIMEOUT, "barrier",
                        "barrier '%s': %u of %u parties arrived within %u ms", name, have,
                        b->parties, timeout_ms);
      goto out;
    }
    uint64_t wake = now + (end - now < SLICE_MS ? end - now : SLICE_MS);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns = (uint64_t)ts.tv_nsec + (wake - now) * 1000000u;
    ts.tv_sec += (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    int w = pthread_cond_timedwait(&b->cond, &st->lock, &ts);
    (void)w; /* spurious wake-ups and ETIMEDOUT are both re-checked above */
  }
out:
  pthread_mutex_unlock(&st->lock);
  return rc;
}

void mock_barrier_free_all(mock_state *st) {
  mock_barrier *b = st->barriers;
  while (b != NULL) {
    mock_barrier *next = b->next;
    pthread_cond_destroy(&b->cond);
    free(b->name);
    free(b);
    b = next;
  }
  st->barriers = NULL;
}
