/*
 * util/clock.c - monotonic and wall clocks in nanoseconds.
 */
#include "util/clock.h"

#include <time.h>

static uint64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t vbx__now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

uint64_t vbx__wall_ns(void) { return clock_ns(CLOCK_REALTIME); }

struct timespec vbx__timespec_at(uint64_t mono_ns) {
  struct timespec ts = {(time_t)(mono_ns / 1000000000u), (long)(mono_ns % 1000000000u)};
  return ts;
}
