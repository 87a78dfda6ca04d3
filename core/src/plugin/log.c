/*
 * plugin/log.c - see log.h.
 */
#include "plugin/log.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/observe.h"
#include "util/clock.h"
#include "util/utf8.h"

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

/* "2026-12-07T12:00:00.123456789Z" into buf[40]. */
static void rfc3339(uint64_t ns, char buf[40]) {
  time_t sec = (time_t)(ns / 1000000000u);
  struct tm tm;
  gmtime_r(&sec, &tm);
  size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, 40 - n, ".%09uZ", (unsigned)(ns % 1000000000u));
}

/* One JSON line on stderr: time, level, origin, box, trace_id, span_id,
 * message. */
static void emit_json(vbx_log_level level, const char *origin, const vbx__obs_scope *sc,
                      const char *msg, uint64_t now) {
  char when[40], trace[33], span_id[17];
  rfc3339(now, when);
  json_t *o = json_object();
  if (o == NULL) return;
  json_object_set_new(o, "time", json_string(when));
  json_object_set_new(o, "level", json_string(vbx__log_level_name(level)));
  json_object_set_new(o, "origin", json_string(origin));
  if (sc->box != NULL) json_object_set_new(o, "box", json_string(sc->box));
  if (sc->span != NULL) {
    uint64_t hi, lo, id;
    vbx__span_ids(sc->span, &hi, &lo, &id);
    vbx__span_trace_id(sc->span, trace);
    snprintf(span_id, sizeof(span_id), "%016" PRIx64, id);
    json_object_set_new(o, "trace_id", json_string(trace));
    json_object_set_new(o, "span_id", json_string(span_id));
  }
  json_object_set_new(o, "message", json_string(msg));
  char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
  json_decref(o);
  if (line == NULL) return;
  fprintf(stderr, "%s\n", line);
  free(line);
}

void vbx__log_vemit(const vbx__logger *log, vbx_log_level level, const char *origin,
                    const char *fmt, va_list ap) {
  vbx_log_level min = log ? log->level : VBX_LOG_WARN;
  if (level < min) return;
  char msg[4096];
  vsnprintf(msg, sizeof(msg), fmt ? fmt : "", ap);
  /* Valid UTF-8 for JSON sinks (a cut may split a sequence). */
  char *clean = vbx__text_sanitize(msg, strlen(msg));
  if (clean != NULL) {
    memcpy(msg, clean, strlen(clean) + 1);
    free(clean);
  }
  if (origin == NULL) origin = "voidbox";
  vbx__obs_scope sc = vbx__obs_current();
  uint64_t now = vbx__wall_ns();
  if (sc.hub != NULL) {
    vbx_log_data rec = {.struct_size = (uint32_t)sizeof(rec),
                        .time_ns = now,
                        .level = level,
                        .origin = origin,
                        .box = sc.box,
                        .body = msg};
    vbx__span_ids(sc.span, &rec.trace_id_hi, &rec.trace_id_lo, &rec.span_id);
    vbx__tel_hub_log(sc.hub, &rec);
  }
  if (log != NULL && log->fn != NULL) {
    log->fn(log->user, level, origin, msg);
    return;
  }
  if (log != NULL && log->format == VBX_LOG_FORMAT_JSON) {
    emit_json(level, origin, &sc, msg, now);
    return;
  }
  /* One fprintf per line: stdio's stream lock keeps lines whole. */
  if (sc.box != NULL)
    fprintf(stderr, "[box:%s] %s: %s: %s\n", sc.box, origin, vbx__log_level_name(level), msg);
  else
    fprintf(stderr, "%s: %s: %s\n", origin, vbx__log_level_name(level), msg);
}

void vbx__log_emit(const vbx__logger *log, vbx_log_level level, const char *origin, const char *fmt,
                   ...) {
  va_list ap;
  va_start(ap, fmt);
  vbx__log_vemit(log, level, origin, fmt, ap);
  va_end(ap);
}
