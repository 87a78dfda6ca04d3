/*
 * util/clock.h - the clocks every part reads: monotonic time for deadlines
 * and durations, wall time for reports.
 */
#ifndef VBX_UTIL_CLOCK_H
#define VBX_UTIL_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in ns. Thread-safe. */
uint64_t vbx__now_ns(void);
/* CLOCK_REALTIME in ns since the epoch. Thread-safe. */
uint64_t vbx__wall_ns(void);

#endif
