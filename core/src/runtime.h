/*
 * runtime.h - the vbx_runtime object behind the embedding API: a frozen
 * plugin registry, the log sink, and the runtime-wide cancellation token
 * that vbx_runtime_cancel sets.
 */
#ifndef VBX_RUNTIME_H
#define VBX_RUNTIME_H

#include "plugin/call.h"
#include "plugin/registry.h"
#include "tool_api.h"

struct vbx_runtime {
  vbx__registry *reg;
  vbx__logger log;
  vbx__cancel cancel;
};

/* The host-services table of the host itself (logs tagged "voidbox",
 * settings from the VOIDBOX_* environment only, the HTTP client and JSON
 * values plugins get), for the CLI's commands that use plugin-side
 * libraries without a runtime (`voidbox skills`: skill-remote's). Static
 * lifetime; thread-safe. Pass a vbx_call (plugin/call.h, zeroed: no
 * deadline, no cancellation) to read an error's message. */
VBX__TOOL_API const vbx_host_services *vbx__tool_host_services(void);

/* Log through the runtime's sink with origin "voidbox". Thread-safe. */
void vbx__runtime_log(const vbx_runtime *rt, vbx_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
