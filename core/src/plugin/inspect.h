/*
 * plugin/inspect.h - probing a plugin file in a forked child, so a plugin
 * whose constructor or init() crashes or hangs cannot take the host down.
 */
#ifndef VBX_PLUGIN_INSPECT_H
#define VBX_PLUGIN_INSPECT_H

#include "voidbox/voidbox.h"
#include "tool_api.h"

/* Load `path` into a fresh registry inside a forked child and describe it.
 * On success *json_report is a malloc'd JSON object (free()) with name,
 * version, license, description, abi_major, abi_minor, path and
 * "registers": [{"kind","name"}...]. On failure returns a negative code and
 * err says why: the loader's own message, "plugin crashed while loading:
 * signal 11 (SIGSEGV)", or a timeout after timeout_ms (<= 0: 10 s), after
 * which the child is killed. The report is bounded to 1 MiB. Call it from a
 * process that is not holding locks other threads need in the child (the
 * CLI). Not async-signal-safe. */
VBX__TOOL_API int vbx__plugin_inspect(const char *path, int timeout_ms, char **json_report,
                                      vbx_error *err);

#endif
