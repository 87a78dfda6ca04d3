/*
 * trace_layout.c - trace waterfall layout (see trace_layout.h).
 *
 * The tree is built without recursion (a file may hold a chain a million
 * spans deep): spans are sorted by (trace, span id) to find parents by
 * binary search, then by (trace, parent, start) so each span's children
 * are one contiguous run, and walked depth first with an explicit stack.
 * Spans a walk from the roots never reaches (a parent cycle) are walked
 * from afterwards, earliest first, each once.
 */
#include "trace_layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/utf8.h"
#include "voidbox/errors.h"

#define NONE SIZE_MAX

typedef struct key {
  const vbx_otlp_span_rec *r;
  size_t i;      /* index in the records */
  size_t parent; /* index of the parent, NONE for a root */
} key;

static int cmp_u64(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

static int cmp_size(size_t a, size_t b) { return a < b ? -1 : a > b; }

static int by_id(const void *pa, const void *pb) {
  const key *a = pa, *b = pb;
  int c = strcmp(a->r->trace_id, b->r->trace_id);
  if (c == 0) c = strcmp(a->r->span_id, b->r->span_id);
  return c ? c : cmp_size(a->i, b->i);
}

/* Roots first (NONE + 1 wraps to 0), then children grouped by parent. */
static int by_parent(const void *pa, const void *pb) {
  const key *a = pa, *b = pb;
  int c = strcmp(a->r->trace_id, b->r->trace_id);
  if (c == 0) c = cmp_size(a->parent + 1, b->parent + 1);
  if (c == 0) c = cmp_u64(a->r->start_ns, b->r->start_ns);
  return c ? c : cmp_size(a->i, b->i);
}

static int by_start(const void *pa, const void *pb) {
  const vbx__trace_group *a = pa, *b = pb;
  int c = cmp_u64(a->start_ns, b->start_ns);
  return c ? c : strcmp(a->trace_id, b->trace_id);
}

/* The index of the first span of `trace` with id `span` in the sorted
 * keys, or NONE. */
static size_t find(const key *k, size_t n, const char *trace, const char *span) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(k[mid].r->trace_id, trace);
    if (c == 0) c = strcmp(k[mid].r->span_id, span);
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < n && !strcmp(k[lo].r->trace_id, trace) && !strcmp(k[lo].r->span_id, span))
    return k[lo].i;
  return NONE;
}

/* The walk's working memory, indexed by record. */
typedef struct tree {
  const vbx_otlp_span_rec *recs;
  const key *order; /* sorted by_parent */
  size_t *first;    /* position in order of a span's first child */
  size_t *count;    /* its number of children */
  unsigned char *seen;
  size_t *stack_node, *stack_next;
  vbx__trace_row *out;
  size_t n_out;
} tree;

/* Append `root` and, depth first, everything below it not seen yet. */
static void walk(tree *t, size_t root) {
  size_t top = 0;
  t->seen[root] = 1;
  t->out[t->n_out++] = (vbx__trace_row){&t->recs[root], 0};
  t->stack_node[top] = root, t->stack_next[top++] = 0;
  while (top > 0) {
    size_t node = t->stack_node[top - 1], k = t->stack_next[top - 1];
    if (k >= t->count[node]) {
      top--;
      continue;
    }
    t->stack_next[top - 1]++;
    const key *c = &t->order[t->first[node] + k];
    if (t->seen[c->i]) continue;
    t->seen[c->i] = 1;
    t->out[t->n_out++] = (vbx__trace_row){c->r, top};
    t->stack_node[top] = c->i, t->stack_next[top++] = 0;
  }
}

static int by_start_key(const void *pa, const void *pb) {
  const key *a = pa, *b = pb;
  int c = cmp_u64(a->r->start_ns, b->r->start_ns);
  return c ? c : cmp_size(a->i, b->i);
}

/* Walk from the spans of order[lo, hi) no root reached (parent cycles),
 * earliest first. 0, or VBX_E_NOMEM. */
static int walk_cycles(tree *t, size_t lo, size_t hi) {
  size_t n = 0;
  for (size_t p = lo; p < hi; p++)
    n += !t->seen[t->order[p].i];
  if (n == 0) return 0;
  key *left = malloc(n * sizeof(*left));
  if (left == NULL) return VBX_E_NOMEM;
  n = 0;
  for (size_t p = lo; p < hi; p++)
    if (!t->seen[t->order[p].i]) left[n++] = t->order[p];
  qsort(left, n, sizeof(*left), by_start_key);
  for (size_t j = 0; j < n; j++)
    if (!t->seen[left[j].i]) walk(t, left[j].i);
  free(left);
  return 0;
}

/* Lay out the trace at order[lo, hi) into g. 0, or VBX_E_NOMEM. */
static int group(tree *t, size_t lo, size_t hi, vbx__trace_group *g) {
  g->trace_id = t->order[lo].r->trace_id;
  g->start_ns = UINT64_MAX;
  g->end_ns = 0;
  g->n_errors = 0;
  g->rows = t->out + t->n_out;
  for (size_t p = lo; p < hi; p++) {
    const vbx_otlp_span_rec *r = t->order[p].r;
    if (r->start_ns < g->start_ns) g->start_ns = r->start_ns;
    if (r->end_ns > g->end_ns) g->end_ns = r->end_ns;
    if (r->status_code == 2) g->n_errors++;
  }
  if (g->end_ns < g->start_ns) g->end_ns = g->start_ns;
  for (size_t p = lo; p < hi && t->order[p].parent == NONE; p++)
    walk(t, t->order[p].i);
  int rc = walk_cycles(t, lo, hi);
  g->n_rows = (size_t)(t->out + t->n_out - g->rows);
  return rc;
}

int vbx__trace_layout_build(const vbx_otlp_span_rec *recs, size_t n, const char *only,
                            vbx__trace_layout *out) {
  memset(out, 0, sizeof(*out));
  if (n == 0) return 0;
  int rc = VBX_E_NOMEM;
  key *k = malloc(n * sizeof(*k));
  tree t = {0};
  t.recs = recs;
  t.first = calloc(n, sizeof(size_t));
  t.count = calloc(n, sizeof(size_t));
  t.seen = calloc(n, 1);
  t.stack_node = malloc(n * sizeof(size_t));
  t.stack_next = malloc(n * sizeof(size_t));
  out->rows = t.out = malloc(n * sizeof(*t.out));
  out->groups = malloc(n * sizeof(*out->groups));
  if (!k || !t.first || !t.count || !t.seen || !t.stack_node || !t.stack_next || !t.out ||
      !out->groups)
    goto done;
  for (size_t i = 0; i < n; i++)
    k[i] = (key){&recs[i], i, NONE};
  qsort(k, n, sizeof(*k), by_id);
  size_t *parent = t.first; /* borrowed until the children are counted */
  for (size_t i = 0; i < n; i++) {
    const vbx_otlp_span_rec *r = &recs[i];
    int has = r->parent_id[0] != '\0' && strcmp(r->parent_id, r->span_id) != 0;
    parent[i] = has ? find(k, n, r->trace_id, r->parent_id) : NONE;
  }
  for (size_t i = 0; i < n; i++)
    k[i].parent = parent[k[i].i];
  qsort(k, n, sizeof(*k), by_parent);
  memset(t.first, 0, n * sizeof(size_t));
  for (size_t p = 0; p < n; p++) {
    size_t par = k[p].parent;
    if (par == NONE) continue;
    if (t.count[par]++ == 0) t.first[par] = p;
  }
  t.order = k;
  for (size_t lo = 0, hi; lo < n; lo = hi) {
    for (hi = lo + 1; hi < n && !strcmp(k[hi].r->trace_id, k[lo].r->trace_id); hi++) {
    }
    if (only != NULL && strcasecmp(only, k[lo].r->trace_id) != 0) continue;
    if (group(&t, lo, hi, &out->groups[out->n_groups++]) != 0) goto done;
  }
  qsort(out->groups, out->n_groups, sizeof(*out->groups), by_start);
  rc = 0;
done:
  free(k);
  free(t.first);
  free(t.count);
  free(t.seen);
  free(t.stack_node);
  free(t.stack_next);
  if (rc != 0) vbx__trace_layout_free(out);
  return rc;
}

void vbx__trace_layout_free(vbx__trace_layout *l) {
  free(l->groups);
  free(l->rows);
  memset(l, 0, sizeof(*l));
}

void vbx__trace_columns(unsigned width, size_t widest, vbx__trace_cols *c) {
  if (width < VBX_TRACE_MIN_WIDTH) width = VBX_TRACE_MIN_WIDTH;
  if (width > VBX_TRACE_MAX_WIDTH) width = VBX_TRACE_MAX_WIDTH;
  unsigned avail = width - VBX_TRACE_FIXED_COLS;
  unsigned most = avail * 2 / 5, name = widest < most ? (unsigned)widest : most;
  if (name < 8) name = 8;
  c->width = width;
  c->name = name;
  c->bar = avail - name;
}

unsigned vbx__trace_indent(size_t depth, unsigned name_cols) {
  unsigned most = (name_cols / 2) & ~1u; /* even: whole levels */
  return depth < most / 2 ? (unsigned)depth * 2 : most;
}

/* x * cols / span rounded down (up when `up`), x <= span. */
static uint64_t scale(uint64_t x, unsigned cols, uint64_t span, int up) {
  if (x <= (UINT64_MAX - span) / cols) return (x * cols + (up ? span - 1 : 0)) / span;
  long double v = (long double)x * cols / (long double)span;
  uint64_t f = (uint64_t)v;
  return up && (long double)f < v ? f + 1 : f;
}

void vbx__trace_bar(uint64_t t0, uint64_t t1, uint64_t start, uint64_t end, unsigned cols,
                    unsigned *off, unsigned *len) {
  *off = *len = 0;
  if (cols == 0) return;
  if (t1 <= t0) {
    *len = cols;
    return;
  }
  if (start < t0) start = t0;
  if (end > t1) end = t1;
  if (start > t1) start = t1;
  if (end < start) end = start;
  uint64_t a = scale(start - t0, cols, t1 - t0, 0), b = scale(end - t0, cols, t1 - t0, 1);
  if (a >= cols) a = cols - 1;
  if (b <= a) b = a + 1;
  if (b > cols) b = cols;
  *off = (unsigned)a;
  *len = (unsigned)(b - a);
}

void vbx__trace_duration(uint64_t ns, char *buf, size_t cap) {
  double v;
  const char *unit;
  if (ns < 999500u) /* below 999.5 µs, which would print as 1000µs */
    v = (double)ns / 1e3, unit = "\xc2\xb5s";
  else if (ns < 999500000u)
    v = (double)ns / 1e6, unit = "ms";
  else
    v = (double)ns / 1e9, unit = "s";
  const char *fmt = v < 9.995 ? "%.2f%s" : v < 99.95 ? "%.1f%s" : "%.0f%s";
  snprintf(buf, cap, fmt, v, unit);
}

/* The length of the UTF-8 sequence at s (1 for a byte that starts none). */
static size_t seq_len(const char *s, size_t len) {
  uint32_t cp;
  size_t k = vbx__utf8_decode((const unsigned char *)s, len, &cp);
  return k ? k : 1;
}

size_t vbx__trace_text_cols(const char *s, size_t len) {
  size_t cols = 0;
  for (size_t i = 0; i < len; i += seq_len(s + i, len - i))
    cols++;
  return cols;
}

size_t vbx__trace_fit(const char *s, size_t len, unsigned cols, int *cut) {
  *cut = 0;
  if (vbx__trace_text_cols(s, len) <= cols) return len;
  *cut = 1;
  size_t i = 0;
  for (unsigned used = 0; i < len && used + 1 < cols; used++)
    i += seq_len(s + i, len - i);
  return i;
}
