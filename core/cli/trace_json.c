/*
 * trace_json.c - the trace tree as JSON for scripts (see trace_render.h).
 * Rows come in tree order with their depth, so each node's "children"
 * array is closed when a row at its depth or above follows: no recursion,
 * whatever the depth.
 */
#include <stdio.h>
#include <string.h>

#include "trace_render.h"
#include "util/utf8.h"

/* s as a JSON string; bytes that are not UTF-8 become U+FFFD. */
static void jstr(vbx__strbuf *sb, const char *s) {
  const unsigned char *u = (const unsigned char *)s;
  size_t n = strlen(s), run = 0, i = 0;
  vbx__strbuf_puts(sb, "\"");
  while (i < n) {
    uint32_t cp;
    size_t k = vbx__utf8_decode(u + i, n - i, &cp);
    if (k > 1 || (k == 1 && cp >= 0x20 && cp != '"' && cp != '\\')) {
      i += k, run += k;
      continue;
    }
    vbx__strbuf_append(sb, s + i - run, run);
    run = 0;
    if (k == 0)
      vbx__strbuf_puts(sb, "\\ufffd");
    else if (cp == '"' || cp == '\\')
      vbx__strbuf_printf(sb, "\\%c", (char)cp);
    else
      vbx__strbuf_printf(sb, "\\u%04x", (unsigned)cp);
    i++;
  }
  vbx__strbuf_append(sb, s + n - run, run);
  vbx__strbuf_puts(sb, "\"");
}

static void ms(vbx__strbuf *sb, const char *key, uint64_t ns) {
  vbx__strbuf_printf(sb, ",\"%s\":%.3f", key, (double)ns / 1e6);
}

static const char *status_name(int code) {
  return code == 2 ? "error" : code == 1 ? "ok" : "unset";
}

/* A node up to its open "children" array. */
static void node(vbx__strbuf *sb, const vbx__trace_group *g, const vbx_otlp_span_rec *r) {
  vbx__strbuf_puts(sb, "{\"name\":");
  jstr(sb, r->name);
  vbx__strbuf_printf(sb, ",\"span_id\":\"%s\",\"parent\":", r->span_id);
  if (r->parent_id[0])
    vbx__strbuf_printf(sb, "\"%s\"", r->parent_id);
  else
    vbx__strbuf_puts(sb, "null");
  ms(sb, "start_ms", r->start_ns >= g->start_ns ? r->start_ns - g->start_ns : 0);
  ms(sb, "duration_ms", r->end_ns >= r->start_ns ? r->end_ns - r->start_ns : 0);
  vbx__strbuf_printf(sb, ",\"status\":\"%s\"", status_name(r->status_code));
  if (r->status_message != NULL && r->status_message[0]) {
    vbx__strbuf_puts(sb, ",\"status_message\":");
    jstr(sb, r->status_message);
  }
  if (r->box != NULL) {
    vbx__strbuf_puts(sb, ",\"box\":");
    jstr(sb, r->box);
  }
  vbx__strbuf_puts(sb, ",\"children\":[");
}

static void group(vbx__strbuf *sb, const vbx__trace_group *g) {
  vbx__strbuf_puts(sb, "{\"trace_id\":");
  jstr(sb, g->trace_id);
  vbx__strbuf_printf(sb, ",\"spans\":%zu,\"errors\":%zu", g->n_rows, g->n_errors);
  ms(sb, "duration_ms", g->end_ns - g->start_ns);
  vbx__strbuf_puts(sb, ",\"roots\":[");
  size_t open = 0; /* nodes whose children array is open */
  for (size_t i = 0; i < g->n_rows; i++) {
    size_t d = g->rows[i].depth;
    if (i > 0) {
      for (; open > d; open--)
        vbx__strbuf_puts(sb, "]}");
      if (d == open && g->rows[i - 1].depth >= d) vbx__strbuf_puts(sb, ",");
    }
    node(sb, g, g->rows[i].span);
    open = d + 1;
  }
  for (; open > 0; open--)
    vbx__strbuf_puts(sb, "]}");
  vbx__strbuf_puts(sb, "]}");
}

void vbx__trace_render_json(vbx__strbuf *sb, const vbx__trace_layout *l) {
  vbx__strbuf_puts(sb, "{\"traces\":[");
  for (size_t g = 0; g < l->n_groups; g++) {
    if (g > 0) vbx__strbuf_puts(sb, ",");
    group(sb, &l->groups[g]);
  }
  vbx__strbuf_puts(sb, "]}\n");
}
