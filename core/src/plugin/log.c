/*
 * plugin/log.c - see log.h.
 */
#include "plugin/log.h"

#include <stdio.h>

const char *vbx__log_level_name(vbx_log_level level) {
  switch (level) {
  case VBX_LOG_TRACE: return "trace";
  case VBX_LOG_DEBUG: return "debug";
  case VBX_LOG_INFO: return "info";
  case VBX_LOG_WARN: return "warn";
  case VBX_LOG_ERROR: return "error";
  }
  return "log";
}

void vbx__log_vemit(const vbx__logger *log, vbx_log_level level, const char *origin,
                    const char *fmt, va_list ap) {
  vbx_log_level min = log ? log->level : VBX_LOG_WARN;
  if (level < min) return;
  char msg[4096];
  vsnprintf(msg, sizeof(msg), fmt ? fmt : "", ap);
  if (origin == NULL) origin = "voidbox";
  if (log != NULL && log->fn != NULL) {
    log->fn(log->user, level, origin, msg);
    return;
  }
  /* One fprintf per line: stdio's stream lock keeps lines whole. */
  fprintf(stderr, "%s: %s: %s\n", origin, vbx__log_level_name(level), msg);
}

void vbx__log_emit(const vbx__logger *log, vbx_log_level level, const char *origin, const char *fmt,
                   ...) {
  va_list ap;
  va_start(ap, fmt);
  vbx__log_vemit(log, level, origin, fmt, ap);
  va_end(ap);
}
