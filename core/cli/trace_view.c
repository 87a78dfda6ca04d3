/*
 * trace_view.c - read, lay out and render a trace file (see trace_view.h).
 */
#include "trace_view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_json.h"
#include "trace_layout.h"
#include "trace_render.h"
#include "voidbox/errors.h"

/* The whole of f into *text (NUL-terminated). 0, or -1 with why. */
static int slurp(FILE *f, char **text, size_t *len, char *why, size_t cap) {
  vbx__strbuf sb = VBX__STRBUF_INIT;
  char buf[64 * 1024];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
    if (sb.len + n > VBX_TRACE_FILE_MAX) {
      snprintf(why, cap, "larger than %u MiB", VBX_TRACE_FILE_MAX >> 20);
      vbx__strbuf_reset(&sb);
      return -1;
    }
    vbx__strbuf_append(&sb, buf, n);
  }
  if (ferror(f) || sb.failed) {
    snprintf(why, cap, "cannot read: %s", sb.failed ? "out of memory" : strerror(errno));
    vbx__strbuf_reset(&sb);
    return -1;
  }
  *len = sb.len;
  *text = vbx__strbuf_take(&sb);
  if (*text == NULL) {
    snprintf(why, cap, "out of memory");
    return -1;
  }
  return 0;
}

static int read_file(const char *path, char **text, size_t *len, char *why, size_t cap) {
  int std = !strcmp(path, "-");
  FILE *f = std ? stdin : fopen(path, "rb");
  if (f == NULL) {
    snprintf(why, cap, "cannot read: %s", strerror(errno));
    return -1;
  }
  errno = 0;
  int rc = slurp(f, text, len, why, cap);
  if (!std) fclose(f);
  return rc;
}

int vbx__trace_view_file(const char *path, const vbx__trace_view *v, vbx__strbuf *out, char *why,
                         size_t cap) {
  char *text = NULL;
  size_t len = 0, n = 0;
  vbx_otlp_span_rec *recs = NULL;
  vbx__trace_layout l = {0};
  int rc = -1;
  if (read_file(path, &text, &len, why, cap) != 0) return -1;
  if (strspn(text, " \t\r\n") == len) {
    snprintf(why, cap, "empty file: no spans");
    goto out;
  }
  if (vbx_otlp_read_traces(text, len, &recs, &n, why, cap) != 0) goto out;
  if (n == 0) {
    snprintf(why, cap, "no spans");
    goto out;
  }
  if (vbx__trace_layout_build(recs, n, v->trace_id, &l) != 0) {
    snprintf(why, cap, "out of memory");
    goto out;
  }
  if (l.n_groups == 0) {
    snprintf(why, cap, "no trace %s", v->trace_id ? v->trace_id : "");
    goto out;
  }
  if (v->json)
    vbx__trace_render_json(out, &l);
  else
    vbx__trace_render_text(out, &l, v->width, v->color);
  if (out->failed) {
    snprintf(why, cap, "out of memory");
    goto out;
  }
  rc = 0;
out:
  vbx__trace_layout_free(&l);
  vbx_otlp_span_recs_free(recs, n);
  free(text);
  return rc;
}
