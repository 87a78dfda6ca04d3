/*
 * runtime.h - the vbx_runtime object behind the embedding API: a frozen
 * plugin registry, the log sink, and the runtime-wide cancellation token
 * that vbx_runtime_cancel sets.
 */
#ifndef VBX_RUNTIME_H
#define VBX_RUNTIME_H

#include "plugin/call.h"
#include "plugin/registry.h"

struct vbx_runtime {
  vbx__registry *reg;
  vbx__logger log;
  vbx__cancel cancel;
};

/* Log through the runtime's sink with origin "voidbox". Thread-safe. */
void vbx__runtime_log(const vbx_runtime *rt, vbx_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
