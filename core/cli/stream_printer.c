#include "stream_printer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"

/* Partial line of one box and stream kind. */
typedef struct line_buf {
  char *box;
  vbx_output_kind kind;
  vbx__strbuf line;
} line_buf;

struct vbx__printer {
  FILE *out;
  pthread_mutex_t mu;
  line_buf *bufs;
  size_t n_bufs;
};

vbx__printer *vbx__printer_new(FILE *out) {
  vbx__printer *p = calloc(1, sizeof(*p));
  if (!p) return NULL;
  p->out = out;
  pthread_mutex_init(&p->mu, NULL);
  return p;
}

static const char *kind_mark(vbx_output_kind kind) {
  switch (kind) {
  case VBX_OUT_TOOL_STDOUT: return "| ";
  case VBX_OUT_TOOL_STDERR: return "! ";
  default: return "";
  }
}

static line_buf *find_buf(vbx__printer *p, const char *box, vbx_output_kind kind) {
  for (size_t i = 0; i < p->n_bufs; i++)
    if (p->bufs[i].kind == kind && !strcmp(p->bufs[i].box, box)) return &p->bufs[i];
  line_buf *nb = realloc(p->bufs, (p->n_bufs + 1) * sizeof(*nb));
  if (!nb) return NULL;
  p->bufs = nb;
  line_buf *b = &p->bufs[p->n_bufs];
  memset(b, 0, sizeof(*b));
  if (!(b->box = strdup(box))) return NULL;
  b->kind = kind;
  p->n_bufs++;
  return b;
}

static void emit(vbx__printer *p, const char *box, vbx_output_kind kind, const char *s,
                 size_t n) {
  fprintf(p->out, "[%s] %s%.*s\n", box, kind_mark(kind), (int)n, s);
}

static void flush_buf(vbx__printer *p, line_buf *b) {
  if (b->line.len) emit(p, b->box, b->kind, b->line.data, b->line.len);
  vbx__strbuf_reset(&b->line);
}

void vbx__printer_stream(void *printer, const char *box, vbx_output_kind kind, const char *data,
                         size_t len) {
  vbx__printer *p = printer;
  pthread_mutex_lock(&p->mu);
  line_buf *b = find_buf(p, box, kind);
  if (!b) {
    fwrite(data, 1, len, p->out);
    goto out;
  }
  while (len) {
    const char *nl = memchr(data, '\n', len);
    size_t take = nl ? (size_t)(nl - data) : len;
    vbx__strbuf_append(&b->line, data, take);
    if (!nl) break;
    emit(p, box, kind, b->line.data ? b->line.data : "", b->line.len);
    vbx__strbuf_reset(&b->line);
    data += take + 1;
    len -= take + 1;
  }
out:
  fflush(p->out);
  pthread_mutex_unlock(&p->mu);
}

static void flush_box(vbx__printer *p, const char *box) {
  for (size_t i = 0; i < p->n_bufs; i++)
    if (!strcmp(p->bufs[i].box, box)) flush_buf(p, &p->bufs[i]);
}

static void print_tool_call(vbx__printer *p, const vbx_event *ev) {
  const char *in = ev->text ? ev->text : "";
  size_t n = strlen(in);
  const size_t max = 160;
  fprintf(p->out, "[%s] -> %s %.*s%s\n", ev->box, ev->tool ? ev->tool : "?",
          (int)(n > max ? max : n), in, n > max ? "..." : "");
}

void vbx__printer_event(void *printer, const vbx_event *ev) {
  vbx__printer *p = printer;
  pthread_mutex_lock(&p->mu);
  switch (ev->type) {
  case VBX_EV_TOOL_CALL:
    /* Printed when the call starts; the box's pending text comes first. */
    if (ev->box && ev->status == VBX_STATUS_RUNNING) {
      flush_box(p, ev->box);
      print_tool_call(p, ev);
    }
    break;
  case VBX_EV_LLM_TURN:
    if (ev->box) flush_box(p, ev->box); /* one turn's text never runs into the next */
    break;
  case VBX_EV_BOX_FINISHED:
    if (ev->box) flush_box(p, ev->box);
    if (ev->box && ev->status != VBX_STATUS_OK)
      fprintf(p->out, "[%s] %s%s%s\n", ev->box, vbx_status_name(ev->status),
              ev->text ? ": " : "", ev->text ? ev->text : "");
    break;
  default:
    break;
  }
  fflush(p->out);
  pthread_mutex_unlock(&p->mu);
}

void vbx__printer_free(vbx__printer *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n_bufs; i++) {
    flush_buf(p, &p->bufs[i]);
    free(p->bufs[i].box);
  }
  fflush(p->out);
  free(p->bufs);
  pthread_mutex_destroy(&p->mu);
  free(p);
}
