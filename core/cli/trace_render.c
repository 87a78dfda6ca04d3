/*
 * trace_render.c - the text waterfall (see trace_render.h).
 */
#include "trace_render.h"

#include <string.h>

#include "term_text.h"

#define FILL "\xe2\x96\x88" /* U+2588 FULL BLOCK */
#define ELLIPSIS "\xe2\x80\xa6"
#define BOLD "\033[1m"
#define CYAN "\033[36m"
#define RED "\033[31m"
#define RESET "\033[0m"

static void pad(vbx__strbuf *sb, size_t n) {
  static const char spaces[] = "                                ";
  while (n > 0) {
    size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
    vbx__strbuf_append(sb, spaces, k);
    n -= k;
  }
}

/* Text right-aligned in `cols` columns. */
static void right(vbx__strbuf *sb, const char *s, unsigned cols) {
  size_t w = vbx__trace_text_cols(s, strlen(s));
  if (w < cols) pad(sb, cols - w);
  vbx__strbuf_puts(sb, s);
}

/* The widest row's name and indent, before neutralising (an escape widens
 * a name that is then cut anyway). */
static size_t widest(const vbx__trace_layout *l) {
  size_t most = 0;
  for (size_t g = 0; g < l->n_groups; g++)
    for (size_t i = 0; i < l->groups[g].n_rows; i++) {
      const vbx__trace_row *r = &l->groups[g].rows[i];
      size_t d = r->depth < VBX_TRACE_MAX_WIDTH ? r->depth * 2 : VBX_TRACE_MAX_WIDTH;
      size_t w = d + vbx__trace_text_cols(r->span->name, strlen(r->span->name));
      if (w > most) most = w;
    }
  return most;
}

/* The name column of a row: indent, neutralised name cut to fit, padding. */
static void name_cell(vbx__strbuf *sb, vbx__strbuf *tmp, const vbx__trace_row *r,
                      const vbx__trace_cols *c) {
  unsigned indent = vbx__trace_indent(r->depth, c->name), room = c->name - indent;
  vbx__strbuf_clear(tmp);
  vbx__term_puts(tmp, r->span->name);
  const char *s = tmp->data ? tmp->data : "";
  int cut;
  size_t n = vbx__trace_fit(s, tmp->len, room, &cut);
  pad(sb, indent);
  vbx__strbuf_append(sb, s, n);
  if (cut) vbx__strbuf_puts(sb, ELLIPSIS);
  pad(sb, room - vbx__trace_text_cols(s, n) - (cut ? 1 : 0));
}

static void bar_cell(vbx__strbuf *sb, const vbx__trace_group *g, const vbx__trace_row *r,
                     const vbx__trace_cols *c, int color) {
  unsigned off, len;
  vbx__trace_bar(g->start_ns, g->end_ns, r->span->start_ns, r->span->end_ns, c->bar, &off, &len);
  vbx__strbuf_puts(sb, " |");
  pad(sb, off);
  if (color) vbx__strbuf_puts(sb, r->span->status_code == 2 ? RED : CYAN);
  for (unsigned i = 0; i < len; i++)
    vbx__strbuf_puts(sb, FILL);
  if (color) vbx__strbuf_puts(sb, RESET);
  pad(sb, c->bar - off - len);
  vbx__strbuf_puts(sb, "| ");
}

static void row(vbx__strbuf *sb, vbx__strbuf *tmp, const vbx__trace_group *g,
                const vbx__trace_row *r, const vbx__trace_cols *c, int color) {
  char dur[32];
  name_cell(sb, tmp, r, c);
  bar_cell(sb, g, r, c, color);
  vbx__trace_duration(r->span->end_ns - r->span->start_ns, dur, sizeof(dur));
  right(sb, dur, VBX_TRACE_DUR_COLS);
  if (r->span->status_code == 2) vbx__strbuf_puts(sb, color ? RED " error" RESET : " error");
  vbx__strbuf_puts(sb, "\n");
}

static void header(vbx__strbuf *sb, const vbx__trace_group *g, const vbx__trace_cols *c,
                   int color) {
  char total[32];
  vbx__trace_duration(g->end_ns - g->start_ns, total, sizeof(total));
  vbx__strbuf_printf(sb, "%strace %s%s  %zu span%s  %s", color ? BOLD : "",
                     g->trace_id[0] ? g->trace_id : "(no id)", color ? RESET : "", g->n_rows,
                     g->n_rows == 1 ? "" : "s", total);
  if (g->n_errors)
    vbx__strbuf_printf(sb, "  %s%zu error%s%s", color ? RED : "", g->n_errors,
                       g->n_errors == 1 ? "" : "s", color ? RESET : "");
  vbx__strbuf_puts(sb, "\n");
  /* The axis: 0 under the bar's first column, the total under its last. */
  vbx__strbuf_puts(sb, "SPAN");
  pad(sb, c->name - 4 + 2);
  size_t w = vbx__trace_text_cols(total, strlen(total));
  vbx__strbuf_puts(sb, "0");
  if (c->bar > w + 1) right(sb, total, c->bar - 1);
  vbx__strbuf_puts(sb, "\n");
}

void vbx__trace_render_text(vbx__strbuf *sb, const vbx__trace_layout *l, unsigned width,
                            int color) {
  vbx__trace_cols c;
  vbx__trace_columns(width, widest(l), &c);
  vbx__strbuf tmp = VBX__STRBUF_INIT;
  for (size_t g = 0; g < l->n_groups; g++) {
    const vbx__trace_group *gr = &l->groups[g];
    if (g > 0) vbx__strbuf_puts(sb, "\n");
    header(sb, gr, &c, color);
    for (size_t i = 0; i < gr->n_rows; i++)
      row(sb, &tmp, gr, &gr->rows[i], &c, color);
  }
  if (tmp.failed) sb->failed = 1;
  vbx__strbuf_reset(&tmp);
}
