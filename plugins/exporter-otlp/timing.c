/*
 * exporter-otlp/timing.c - the monotonic clock every deadline of the
 * exporter is on (the host's call deadlines are too), and waiting on it.
 */
#include <time.h>

#include "exporter.h"

uint64_t ox_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ox_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t until) {
  struct timespec ts = {.tv_sec = (time_t)(until / 1000000000u),
                        .tv_nsec = (long)(until % 1000000000u)};
  pthread_cond_timedwait(cv, mu, &ts);
}

int ox_cond_init(pthread_cond_t *cv) {
  pthread_condattr_t a;
  if (pthread_condattr_init(&a) != 0) return VBX_E_NOMEM;
  int rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC) == 0 && pthread_cond_init(cv, &a) == 0
               ? 0
               : VBX_E_NOMEM;
  pthread_condattr_destroy(&a);
  return rc;
}
