/*
 * plugin/call.h - the per-call object handed to plugin methods (vbx_call):
 * an error slot (code, offending field, message) and a cancellation source
 * with an optional deadline.
 *
 * A vbx_call lives on the caller's stack or in a box run. It is used by one
 * thread at a time, except the cancel flag, which any thread (or a signal
 * handler) may set through the shared token.
 */
#ifndef VBX_PLUGIN_CALL_H
#define VBX_PLUGIN_CALL_H

#include <stdatomic.h>
#include <stdint.h>

#include "util/clock.h"

#include "voidbox/plugin.h"

/* A cancellation token shared by every call of a run: set once, never
 * cleared. */
typedef struct vbx__cancel {
  atomic_int cancelled;
} vbx__cancel;

struct vbx_call {
  int code;        /* last error set, 0 when none */
  char field[128]; /* offending option/key, "" when none */
  char message[1024];
  const vbx__cancel *cancel;  /* may be NULL */
  const vbx__cancel *cancel2; /* a second source (e.g. runtime-wide Ctrl-C) */
  const vbx__cancel *cancel3; /* a third (a fail-fast fan_out stage); set after init */
  uint64_t deadline_ns;       /* CLOCK_MONOTONIC, 0: none */
};

/* Initialise a call with up to two cancellation sources and a deadline. */
void vbx__call_init(vbx_call *call, const vbx__cancel *cancel, const vbx__cancel *cancel2,
                    uint64_t deadline_ns);
/* Clear the error slot (keep cancellation and deadline). */
void vbx__call_clear(vbx_call *call);
/* Non-zero when cancelled or past the deadline. */
int vbx__call_stopped(const vbx_call *call);
/* Non-zero when one of the call's cancellation tokens is set. */
int vbx__call_cancelled(const vbx_call *call);
/* Set the error slot from host code. Returns code. */
int vbx__call_fail(vbx_call *call, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Message of the slot, or vbx_strerror(code) when the plugin set none. */
const char *vbx__call_message(const vbx_call *call, int code);

void vbx__cancel_set(vbx__cancel *c);
int vbx__cancel_is_set(const vbx__cancel *c);

/* vbx__now_ns, vbx__wall_ns: util/clock.h */

#endif
