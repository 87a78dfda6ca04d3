/*
 * plugin/log.h - formatting and emitting one log line through a vbx__logger
 * (the sink of a registry or a runtime).
 */
#ifndef VBX_PLUGIN_LOG_H
#define VBX_PLUGIN_LOG_H

#include <stdarg.h>

#include "plugin/registry.h"

/* Lower-case name of a level ("trace" ... "error"); static. */
const char *vbx__log_level_name(vbx_log_level level);

/* Emit `fmt` at `level` tagged with `origin` when level >= log->level: to
 * log->fn, or to stderr as "origin: level: message" when fn is NULL. A NULL
 * log means stderr at WARN. Messages are cut at 4 KiB. Thread-safe as long
 * as log->fn is. */
void vbx__log_vemit(const vbx__logger *log, vbx_log_level level, const char *origin,
                    const char *fmt, va_list ap);
void vbx__log_emit(const vbx__logger *log, vbx_log_level level, const char *origin, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

#endif
