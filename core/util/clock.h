/*
 * util/clock.h - the clocks every part reads: monotonic time for deadlines
 * and durations, wall time for reports.
 */
#ifndef VBX_UTIL_CLOCK_H
#define VBX_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns. Thread-safe. */
uint64_t vbx__now_ns(void);
/* CLOCK_REALTIME in ns since the epoch. Thread-safe. */
uint64_t vbx__wall_ns(void);
/* A CLOCK_MONOTONIC instant in ns as the timespec a wait on a condition
 * variable created with CLOCK_MONOTONIC takes as its deadline. */
struct timespec vbx__timespec_at(uint64_t mono_ns);

#endif
