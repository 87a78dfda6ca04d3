/*
 * sup_telemetry.c - the supervising parent's telemetry notes after a run
 * (see sup_state.h): how writing the `--trace` file went (the worker
 * writes it and reports in a VBX_CH_TRACE frame), the waterfall of that
 * file once everything else is out, and the records the run's exporters
 * did not receive.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sup_state.h"
#include "term_caps.h"
#include "trace_file.h"
#include "trace_view.h"

#define WATERFALL_WIDTH 100 /* when stderr is not a terminal */

static void say(vbx__sup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(vbx__sup *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vbx__sup_vsay(s, fmt, ap);
  va_end(ap);
}

static uint64_t u64_of(const json_t *o, const char *k) {
  json_int_t v = json_integer_value(json_object_get(o, k));
  return v > 0 ? (uint64_t)v : 0;
}

int vbx__sup_trace_frame(vbx__sup *s, const uint8_t *p, size_t len) {
  if (s->trace_done || s->o->trace_path == NULL) return -1;
  json_t *o = json_loadb((const char *)p, len, 0, NULL);
  json_t *err = json_object_get(o, "error");
  if (!json_is_object(o) || !(json_is_null(err) || json_is_string(err))) {
    json_decref(o);
    return -1;
  }
  s->trace_done = 1;
  s->trace_spans = u64_of(o, "spans");
  s->trace_dropped = u64_of(o, "dropped");
  if (json_is_string(err)) s->trace_error = strdup(json_string_value(err));
  json_decref(o);
  return 0;
}

int vbx__sup_telemetry_conclude(vbx__sup *s, const vbx_result *r, int rc) {
  const char *path = s->o->trace_path;
  if (path != NULL && s->trace_done && s->trace_error != NULL) {
    say(s, "%s: cannot write the trace: %s", path, s->trace_error);
    if (rc == VBX_EXIT_OK) rc = VBX_EXIT_FAILED;
  } else if (path != NULL && s->trace_done) {
    if (s->trace_dropped > 0)
      say(s, "warning: %s: %" PRIu64 " spans past the first %u were not written", path,
          s->trace_dropped, VBX_TRACE_SPANS_MAX);
    if (s->trace_spans == 0) say(s, "%s: the run recorded no spans", path);
  } else if (path != NULL && s->loaded && s->run_error == NULL) {
    say(s, "%s: no trace was written: the worker ended before the run did", path);
  }
  uint64_t lost = r != NULL ? vbx_result_telemetry_dropped(r) : 0;
  if (lost > 0) say(s, "telemetry: %" PRIu64 " records were not delivered to exporters", lost);
  return rc;
}

void vbx__sup_trace_show(const vbx__sup *s) {
  if (s->o->trace_path == NULL || !s->trace_done || s->trace_error != NULL || s->trace_spans == 0)
    return;
  vbx__trace_view v = {.width = vbx__term_width(STDERR_FILENO, WATERFALL_WIDTH),
                       .color = vbx__term_color(STDERR_FILENO)};
  vbx__strbuf out = VBX__STRBUF_INIT;
  char why[1024];
  if (vbx__trace_view_file(s->o->trace_path, &v, &out, why, sizeof(why)) == 0) {
    fputs("\n", stderr);
    fwrite(out.data, 1, out.len, stderr);
  } else {
    fprintf(stderr, "voidbox: %s: %s\n", s->o->trace_path, why);
  }
  vbx__strbuf_reset(&out);
}
