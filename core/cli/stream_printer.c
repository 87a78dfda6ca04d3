/*
 * stream_printer.c - line-buffered, prefixed, neutralised box output (see
 * stream_printer.h).
 */
#include "stream_printer.h"

#include <stdlib.h>
#include <string.h>

#include "term_text.h"
#include "util/strbuf.h"

/* Partial line of one box and stream kind. */
typedef struct line_buf {
  char *box;
  vbx_output_kind kind;
  vbx__strbuf prefix; /* "[box] MARK", neutralised once */
  vbx__strbuf line;
  int continued; /* the last piece printed was cut at the cap */
} line_buf;

struct vbx__printer {
  vbx__outq *out;
  line_buf *bufs;
  size_t n_bufs;
  vbx__strbuf scratch; /* one formatted line at a time */
};

vbx__printer *vbx__printer_new(vbx__outq *out) {
  vbx__printer *p = calloc(1, sizeof(*p));
  if (p != NULL) p->out = out;
  return p;
}

static const char *kind_mark(vbx_output_kind kind) {
  switch (kind) {
  case VBX_OUT_TOOL_STDOUT: return "| ";
  case VBX_OUT_TOOL_STDERR: return "! ";
  default: return "";
  }
}

/* "[box] MARK" into sb (cleared first). */
static void format_prefix(vbx__strbuf *sb, const char *box, vbx_output_kind kind) {
  vbx__strbuf_clear(sb);
  vbx__strbuf_puts(sb, "[");
  vbx__term_puts(sb, box);
  vbx__strbuf_puts(sb, "] ");
  vbx__strbuf_puts(sb, kind_mark(kind));
}

static line_buf *find_buf(vbx__printer *p, const char *box, vbx_output_kind kind) {
  for (size_t i = 0; i < p->n_bufs; i++)
    if (p->bufs[i].kind == kind && !strcmp(p->bufs[i].box, box)) return &p->bufs[i];
  line_buf *nb = realloc(p->bufs, (p->n_bufs + 1) * sizeof(*nb));
  if (!nb) return NULL;
  p->bufs = nb;
  line_buf *b = &p->bufs[p->n_bufs];
  memset(b, 0, sizeof(*b));
  format_prefix(&b->prefix, box, kind);
  if (b->prefix.failed || !(b->box = strdup(box))) {
    vbx__strbuf_reset(&b->prefix);
    return NULL;
  }
  b->kind = kind;
  p->n_bufs++;
  return b;
}

/* "PREFIX text\n" straight into the output queue, text neutralised;
 * `cont_in`/`cont_out` add the continuation marks. Dropped when the queue
 * is broken or out of memory. */
static void emit_line(vbx__printer *p, const vbx__strbuf *prefix, const char *s, size_t n,
                      int cont_in, int cont_out) {
  const size_t cont = sizeof(VBX_PRINTER_CONT) - 1;
  char *d = vbx__outq_reserve(p->out, prefix->len + 2 * cont + 1 + (size_t)VBX_TERM_GROWTH * n);
  if (d == NULL) return;
  size_t o = prefix->len;
  memcpy(d, prefix->data, o);
  if (cont_in) memcpy(d + o, VBX_PRINTER_CONT, cont), o += cont;
  o += vbx__term_write(d + o, s, n);
  if (cont_out) memcpy(d + o, VBX_PRINTER_CONT, cont), o += cont;
  d[o++] = '\n';
  vbx__outq_commit(p->out, o);
}

/* emit_line for a box without a line buffer (out of memory). */
static void emit(vbx__printer *p, const char *box, vbx_output_kind kind, const char *s, size_t n,
                 int cont_in, int cont_out) {
  format_prefix(&p->scratch, box, kind);
  if (!p->scratch.failed) emit_line(p, &p->scratch, s, n, cont_in, cont_out);
}

static void flush_buf(vbx__printer *p, line_buf *b) {
  if (b->line.len || b->continued)
    emit_line(p, &b->prefix, b->line.data ? b->line.data : "", b->line.len, b->continued, 0);
  vbx__strbuf_clear(&b->line);
  b->continued = 0;
}

/* Add n bytes of one line to b; `ends`: the line ends after them. Pieces
 * of VBX_PRINTER_LINE_MAX bytes are printed as the cap is reached, and a
 * line that ends is printed; bytes are copied into b only while the line
 * goes on past this call's data (what is printed at once comes straight
 * from s). */
static void add_line(vbx__printer *p, line_buf *b, const char *s, size_t n, int ends) {
  while (n > 0) {
    size_t room = VBX_PRINTER_LINE_MAX - b->line.len;
    if (n < room && !(ends && b->line.len == 0)) {
      vbx__strbuf_append(&b->line, s, n);
      break;
    }
    size_t take = n < room ? n : room;
    int cut = take == room; /* the piece reached the cap */
    if (b->line.len == 0) {
      emit_line(p, &b->prefix, s, take, b->continued, cut);
    } else {
      vbx__strbuf_append(&b->line, s, take);
      emit_line(p, &b->prefix, b->line.data, b->line.len, b->continued, cut);
      vbx__strbuf_clear(&b->line);
    }
    b->continued = cut;
    s += take, n -= take;
    if (!cut) return; /* the line ended: printed whole */
  }
  if (ends) flush_buf(p, b);
}

/* Free space reserved in the output queue for lines printed one after
 * the other: d[used, room) is still free. */
typedef struct cursor {
  char *d;
  size_t used, room;
} cursor;

#define RESERVE_MIN (64u * 1024u)

/* Queue what c holds; c is then empty (before any other use of q). */
static void cursor_done(vbx__outq *q, cursor *c) {
  if (c->used) vbx__outq_commit(q, c->used);
  c->used = c->room = 0;
}

/* Room for n more bytes at c->d + c->used, reserving anew when short.
 * 0, or -1 when the queue is broken or out of memory. */
static int cursor_room(vbx__outq *q, cursor *c, size_t n) {
  if (c->room - c->used >= n) return 0;
  cursor_done(q, c);
  size_t want = n > RESERVE_MIN ? n : RESERVE_MIN;
  c->d = vbx__outq_reserve(q, want);
  if (c->d == NULL) return -1;
  c->room = want;
  return 0;
}

/* When data[0, len) starts with a whole line shorter than the cap (to
 * print at once): its length (no newline); else len (the line goes on
 * past data or reaches the cap). *plain: the line is printable ASCII. */
static size_t whole_line(const char *data, size_t len, int *plain) {
  size_t lim = len < VBX_PRINTER_LINE_MAX ? len : VBX_PRINTER_LINE_MAX;
  size_t r = vbx__term_plain(data, lim);
  *plain = 1;
  if (r == lim) return len;
  if (data[r] == '\n') return r;
  *plain = 0;
  const char *nl = memchr(data + r, '\n', lim - r);
  return nl != NULL ? (size_t)(nl - data) : len;
}

void vbx__printer_stream(vbx__printer *p, const char *box, vbx_output_kind kind, const char *data,
                         size_t len) {
  line_buf *b = find_buf(p, box, kind);
  if (b == NULL) { /* out of memory: print the bytes as their own line */
    emit(p, box, kind, data, len, 0, 0);
    return;
  }
  cursor c = {NULL, 0, 0};
  const vbx__strbuf *pre = &b->prefix;
  while (len) {
    int plain;
    size_t take = b->line.len == 0 && !b->continued ? whole_line(data, len, &plain) : len;
    if (take < len) { /* the common case: "PREFIX line\n" into c */
      size_t need = pre->len + 1 + (plain ? take : (size_t)VBX_TERM_GROWTH * take);
      if (take > 0 && cursor_room(p->out, &c, need) == 0) { /* an empty line prints nothing */
        char *d = c.d + c.used;
        memcpy(d, pre->data, pre->len);
        size_t o = pre->len;
        if (plain)
          memcpy(d + o, data, take), o += take;
        else
          o += vbx__term_write(d + o, data, take);
        d[o++] = '\n';
        c.used += o;
      }
      data += take + 1;
      len -= take + 1;
      continue;
    }
    cursor_done(p->out, &c); /* a piece, a line started earlier or still open */
    const char *nl = memchr(data, '\n', len);
    take = nl ? (size_t)(nl - data) : len;
    add_line(p, b, data, take, nl != NULL);
    if (!nl) break;
    data += take + 1;
    len -= take + 1;
  }
  cursor_done(p->out, &c);
}

static void flush_box(vbx__printer *p, const char *box) {
  for (size_t i = 0; i < p->n_bufs; i++)
    if (!strcmp(p->bufs[i].box, box)) flush_buf(p, &p->bufs[i]);
}

static void print_tool_call(vbx__printer *p, const vbx_event *ev) {
  const char *in = ev->text ? ev->text : "";
  size_t n = strlen(in);
  const size_t max = 160;
  vbx__strbuf *sb = &p->scratch;
  vbx__strbuf_clear(sb);
  vbx__strbuf_puts(sb, "[");
  vbx__term_puts(sb, ev->box);
  vbx__strbuf_puts(sb, "] -> ");
  vbx__term_puts(sb, ev->tool ? ev->tool : "?");
  vbx__strbuf_puts(sb, " ");
  vbx__term_append(sb, in, n > max ? max : n);
  vbx__strbuf_puts(sb, n > max ? "...\n" : "\n");
  if (!sb->failed) vbx__outq_push(p->out, sb->data, sb->len);
}

static void print_box_end(vbx__printer *p, const vbx_event *ev) {
  vbx__strbuf *sb = &p->scratch;
  vbx__strbuf_clear(sb);
  vbx__strbuf_puts(sb, "[");
  vbx__term_puts(sb, ev->box);
  vbx__strbuf_puts(sb, "] ");
  vbx__strbuf_puts(sb, vbx_status_name(ev->status));
  if (ev->text) {
    vbx__strbuf_puts(sb, ": ");
    vbx__term_puts(sb, ev->text);
  }
  vbx__strbuf_puts(sb, "\n");
  if (!sb->failed) vbx__outq_push(p->out, sb->data, sb->len);
}

void vbx__printer_event(vbx__printer *p, const vbx_event *ev) {
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
    if (ev->box && ev->status != VBX_STATUS_OK) print_box_end(p, ev);
    break;
  default: break;
  }
}

void vbx__printer_flush(vbx__printer *p) {
  for (size_t i = 0; i < p->n_bufs; i++)
    flush_buf(p, &p->bufs[i]);
}

void vbx__printer_free(vbx__printer *p) {
  if (!p) return;
  vbx__printer_flush(p);
  for (size_t i = 0; i < p->n_bufs; i++) {
    free(p->bufs[i].box);
    vbx__strbuf_reset(&p->bufs[i].prefix);
    vbx__strbuf_reset(&p->bufs[i].line);
  }
  free(p->bufs);
  vbx__strbuf_reset(&p->scratch);
  free(p);
}
