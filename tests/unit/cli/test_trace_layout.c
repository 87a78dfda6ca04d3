/*
 * test_trace_layout.c - the trace waterfall of `voidbox trace` (core/cli
 * trace_layout.c, trace_render.c, trace_json.c): tree order (parents
 * first, siblings by start, missing parents make roots, cycles shown
 * once), traces grouped and selected, bars at the right columns, duration
 * units, width limits, names cut, and the text and JSON output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_layout.h"
#include "trace_render.h"

#define T1 "11111111111111111111111111111111"
#define T2 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define MS 1000000ull

static vbx_otlp_span_rec rec(const char *trace, const char *span, const char *parent,
                             const char *name, uint64_t start, uint64_t end, int status) {
  vbx_otlp_span_rec r;
  memset(&r, 0, sizeof(r));
  snprintf(r.trace_id, sizeof(r.trace_id), "%s", trace);
  snprintf(r.span_id, sizeof(r.span_id), "%s", span);
  snprintf(r.parent_id, sizeof(r.parent_id), "%s", parent ? parent : "");
  r.name = (char *)name;
  r.start_ns = start;
  r.end_ns = end;
  r.status_code = status;
  return r;
}

/* The rows of group g as "name/depth name/depth ...". */
static const char *rows_of(const vbx__trace_group *g) {
  static char buf[1024];
  size_t off = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < g->n_rows && off < sizeof(buf); i++)
    off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s/%zu", i ? " " : "",
                            g->rows[i].span->name, g->rows[i].depth);
  return buf;
}

static void test_tree_order(void **state) {
  (void)state;
  /* Given out of order: children before parents, siblings by end. */
  vbx_otlp_span_rec r[] = {
      rec(T1, "000000000000000c", "000000000000000a", "box late", 60 * MS, 90 * MS, 0),
      rec(T1, "000000000000000d", "000000000000000c", "llm call", 61 * MS, 70 * MS, 0),
      rec(T1, "000000000000000b", "000000000000000a", "box early", 10 * MS, 50 * MS, 0),
      rec(T1, "000000000000000a", NULL, "run p", 0, 100 * MS, 0),
      rec(T1, "000000000000000e", "000000000000000b", "tool bash", 20 * MS, 30 * MS, 2),
  };
  vbx__trace_layout l;
  assert_int_equal(vbx__trace_layout_build(r, 5, NULL, &l), 0);
  assert_int_equal(l.n_groups, 1);
  const vbx__trace_group *g = &l.groups[0];
  assert_string_equal(g->trace_id, T1);
  assert_int_equal(g->start_ns, 0);
  assert_int_equal(g->end_ns, 100 * MS);
  assert_int_equal(g->n_errors, 1);
  assert_string_equal(rows_of(g), "run p/0 box early/1 tool bash/2 box late/1 llm call/2");
  vbx__trace_layout_free(&l);
}

static void test_orphans_and_cycles(void **state) {
  (void)state;
  vbx_otlp_span_rec r[] = {
      /* parent in another process (TRACEPARENT): never arrives */
      rec(T1, "0000000000000002", "00000000000000ff", "run p", 5, 100, 0),
      rec(T1, "0000000000000003", "0000000000000002", "stage s", 6, 90, 0),
      /* a root that starts earlier */
      rec(T1, "0000000000000001", NULL, "early root", 0, 4, 0),
      /* a parent cycle and a span that is its own parent */
      rec(T1, "0000000000000004", "0000000000000005", "x", 50, 60, 0),
      rec(T1, "0000000000000005", "0000000000000004", "y", 51, 59, 0),
      rec(T1, "0000000000000006", "0000000000000006", "self", 70, 71, 0),
  };
  vbx__trace_layout l;
  assert_int_equal(vbx__trace_layout_build(r, 6, NULL, &l), 0);
  assert_int_equal(l.n_groups, 1);
  assert_int_equal(l.groups[0].n_rows, 6);
  assert_string_equal(rows_of(&l.groups[0]), "early root/0 run p/0 stage s/1 self/0 x/0 y/1");
  vbx__trace_layout_free(&l);
}

static void test_groups_and_selection(void **state) {
  (void)state;
  vbx_otlp_span_rec r[] = {
      rec(T2, "0000000000000001", NULL, "second", 100, 200, 0),
      rec(T1, "0000000000000001", NULL, "first", 10, 20, 0),
      rec(T1, "0000000000000002", "0000000000000001", "first child", 11, 19, 0),
  };
  vbx__trace_layout l;
  assert_int_equal(vbx__trace_layout_build(r, 3, NULL, &l), 0);
  assert_int_equal(l.n_groups, 2);
  assert_string_equal(l.groups[0].trace_id, T1); /* the earlier trace first */
  assert_string_equal(rows_of(&l.groups[0]), "first/0 first child/1");
  assert_string_equal(rows_of(&l.groups[1]), "second/0");
  vbx__trace_layout_free(&l);
  /* The same span id in two traces are two spans; ids match in any case. */
  assert_int_equal(vbx__trace_layout_build(r, 3, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &l), 0);
  assert_int_equal(l.n_groups, 1);
  assert_string_equal(rows_of(&l.groups[0]), "second/0");
  vbx__trace_layout_free(&l);
  assert_int_equal(vbx__trace_layout_build(r, 3, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", &l), 0);
  assert_int_equal(l.n_groups, 0);
  vbx__trace_layout_free(&l);
  assert_int_equal(vbx__trace_layout_build(r, 0, NULL, &l), 0);
  assert_int_equal(l.n_groups, 0);
}

/* A chain deeper than any recursion could go. */
static void test_deep_chain(void **state) {
  (void)state;
  enum { N = 200000 };
  vbx_otlp_span_rec *r = calloc(N, sizeof(*r));
  assert_non_null(r);
  for (size_t i = 0; i < N; i++) {
    char id[17], parent[17];
    snprintf(id, sizeof(id), "%016zx", i + 1);
    snprintf(parent, sizeof(parent), "%016zx", i);
    r[i] = rec(T1, id, i ? parent : NULL, "s", i, 2 * N - i, 0);
  }
  vbx__trace_layout l;
  assert_int_equal(vbx__trace_layout_build(r, N, NULL, &l), 0);
  assert_int_equal(l.groups[0].n_rows, N);
  assert_int_equal(l.groups[0].rows[N - 1].depth, N - 1);
  vbx__strbuf sb = VBX__STRBUF_INIT;
  vbx__trace_render_json(&sb, &l);
  assert_false(sb.failed);
  json_error_t je;
  json_t *doc = json_loads(sb.data, JSON_DECODE_ANY, &je);
  /* jansson refuses nesting this deep; the text must still be balanced. */
  long open = 0;
  for (size_t i = 0; i < sb.len; i++)
    open += sb.data[i] == '[' ? 1 : sb.data[i] == ']' ? -1 : 0;
  assert_int_equal(open, 0);
  json_decref(doc);
  vbx__strbuf_reset(&sb);
  vbx__trace_layout_free(&l);
  free(r);
}

static void bar(uint64_t t0, uint64_t t1, uint64_t s, uint64_t e, unsigned cols, unsigned off,
                unsigned len) {
  unsigned o, n;
  vbx__trace_bar(t0, t1, s, e, cols, &o, &n);
  if (o != off || n != len)
    fail_msg("bar [%llu,%llu] on [%llu,%llu] over %u: %u+%u, expected %u+%u", (unsigned long long)s,
             (unsigned long long)e, (unsigned long long)t0, (unsigned long long)t1, cols, o, n, off,
             len);
}

static void test_bars(void **state) {
  (void)state;
  bar(0, 1000, 0, 1000, 10, 0, 10);     /* the whole axis */
  bar(0, 1000, 100, 200, 10, 1, 1);     /* exactly one column */
  bar(0, 1000, 150, 260, 10, 1, 2);     /* start rounds down, end up */
  bar(0, 1000, 500, 500, 10, 5, 1);     /* zero length still shows */
  bar(0, 1000, 999, 1000, 10, 9, 1);    /* last column */
  bar(0, 1000, 1000, 1000, 10, 9, 1);   /* at the end: never past it */
  bar(1000, 2000, 500, 1500, 10, 0, 5); /* clamped to the axis */
  bar(1000, 2000, 1900, 2500, 10, 9, 1);
  bar(7, 7, 7, 7, 12, 0, 12); /* an empty axis */
  bar(0, 1000, 0, 10, 0, 0, 0);
  bar(0, 60 * 1000 * MS, 30 * 1000 * MS, 45 * 1000 * MS, 80, 40, 20);
  /* times near 2^64: no overflow */
  bar(0, 10000000000000000000u, 5000000000000000000u, 10000000000000000000u, 100, 50, 50);
  bar(UINT64_MAX - 1000, UINT64_MAX, UINT64_MAX - 500, UINT64_MAX, 10, 5, 5);
}

static void dur(uint64_t ns, const char *want) {
  char buf[32];
  vbx__trace_duration(ns, buf, sizeof(buf));
  if (strcmp(buf, want) != 0)
    fail_msg("%llu ns: '%s', expected '%s'", (unsigned long long)ns, buf, want);
  assert_true(vbx__trace_text_cols(buf, strlen(buf)) <= VBX_TRACE_DUR_COLS);
}

static void test_durations(void **state) {
  (void)state;
  dur(0, "0.00\xc2\xb5s");
  dur(250, "0.25\xc2\xb5s");
  dur(9994, "9.99\xc2\xb5s");
  dur(9996, "10.0\xc2\xb5s");
  dur(850000, "850\xc2\xb5s");
  dur(999499, "999\xc2\xb5s");
  dur(999500, "1.00ms"); /* not "1000µs" */
  dur(12345678, "12.3ms");
  dur(250 * MS, "250ms");
  dur(999499999, "999ms");
  dur(999500000, "1.00s");
  dur(1520 * MS, "1.52s");
  dur(320000 * MS, "320s");
  dur(86400000 * MS, "86400s");
}

static void test_columns(void **state) {
  (void)state;
  vbx__trace_cols c;
  vbx__trace_columns(100, 20, &c);
  assert_int_equal(c.width, 100);
  assert_int_equal(c.name, 20);
  assert_int_equal(c.name + c.bar + VBX_TRACE_FIXED_COLS, 100);
  vbx__trace_columns(100, 300, &c); /* long names: at most 40% */
  assert_int_equal(c.name, (100 - VBX_TRACE_FIXED_COLS) * 2 / 5);
  assert_int_equal(c.name + c.bar + VBX_TRACE_FIXED_COLS, 100);
  vbx__trace_columns(100, 2, &c); /* short names: at least 8 */
  assert_int_equal(c.name, 8);
  vbx__trace_columns(10, 20, &c); /* too narrow: the minimum */
  assert_int_equal(c.width, VBX_TRACE_MIN_WIDTH);
  assert_int_equal(c.name + c.bar + VBX_TRACE_FIXED_COLS, VBX_TRACE_MIN_WIDTH);
  assert_true(c.bar >= 10);
  vbx__trace_columns(100000, 20, &c);
  assert_int_equal(c.width, VBX_TRACE_MAX_WIDTH);
  assert_int_equal(c.name + c.bar + VBX_TRACE_FIXED_COLS, VBX_TRACE_MAX_WIDTH);
  /* indent: two a level, at most half the name column */
  assert_int_equal(vbx__trace_indent(0, 20), 0);
  assert_int_equal(vbx__trace_indent(3, 20), 6);
  assert_int_equal(vbx__trace_indent(5, 20), 10);
  assert_int_equal(vbx__trace_indent(1000000, 20), 10);
  assert_int_equal(vbx__trace_indent(1000000, 9), 4);
}

static void test_fit(void **state) {
  (void)state;
  int cut;
  assert_int_equal(vbx__trace_fit("hello", 5, 10, &cut), 5);
  assert_false(cut);
  assert_int_equal(vbx__trace_fit("hello", 5, 5, &cut), 5);
  assert_false(cut);
  assert_int_equal(vbx__trace_fit("hello world", 11, 5, &cut), 4); /* "hell…" */
  assert_true(cut);
  /* UTF-8: cut between characters, counted in columns */
  const char *e = "\xc3\xa9\xc3\xa9\xc3\xa9"; /* "ééé" */
  assert_int_equal(vbx__trace_text_cols(e, 6), 3);
  assert_int_equal(vbx__trace_fit(e, 6, 3, &cut), 6);
  assert_int_equal(vbx__trace_fit(e, 6, 2, &cut), 2);
  assert_true(cut);
}

/* Columns of UTF-8 text up to the first newline. */
static size_t line_cols(const char *s) {
  const char *nl = strchr(s, '\n');
  return vbx__trace_text_cols(s, nl ? (size_t)(nl - s) : strlen(s));
}

/* The line of `text` starting with `prefix`. */
static const char *line_at(const char *text, const char *prefix) {
  for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (!strncmp(p, prefix, strlen(prefix))) return p;
  fail_msg("no line starting '%s' in:\n%s", prefix, text);
  return NULL;
}

static void test_render_text(void **state) {
  (void)state;
  vbx_otlp_span_rec r[] = {
      rec(T1, "000000000000000a", NULL, "run p", 0, 1000 * MS, 0),
      rec(T1, "000000000000000b", "000000000000000a", "stage first", 0, 500 * MS, 0),
      rec(T1, "000000000000000c", "000000000000000b", "box a\x1b[2J", 250 * MS, 500 * MS, 2),
      rec(T1, "000000000000000d", "000000000000000a",
          "a span name far too long to fit in any name column at all", 500 * MS, 1000 * MS, 1),
  };
  vbx__trace_layout l;
  assert_int_equal(vbx__trace_layout_build(r, 4, NULL, &l), 0);
  vbx__strbuf sb = VBX__STRBUF_INIT;
  vbx__trace_render_text(&sb, &l, 80, 0);
  assert_false(sb.failed);
  const char *t = sb.data;
  assert_non_null(strstr(t, "trace " T1 "  4 spans  1.00s  1 error\n"));
  /* name column: 40% of 80 - fixed, bars: 80 - fixed - name */
  vbx__trace_cols c;
  vbx__trace_columns(80, 99, &c);
  for (const char *p = t; *p; p = strchr(p, '\n') + 1)
    assert_true(line_cols(p) <= 80);
  const char *run = line_at(t, "run p ");
  assert_int_equal(run[c.name], ' ');
  assert_int_equal(run[c.name + 1], '|');
  assert_memory_equal(run + c.name + 2, "\xe2\x96\x88", 3); /* the bar starts at once */
  assert_non_null(strstr(run, "|   1.00s\n"));
  /* box a: a quarter of the axis from 25%, neutralised, marked */
  const char *box = line_at(t, "    box a^[[2J");
  const char *b = box + c.name + 2;
  for (unsigned i = 0; i < c.bar / 4; i++, b++)
    assert_int_equal(*b, ' ');
  assert_memory_equal(b, "\xe2\x96\x88", 3);
  assert_non_null(strstr(box, "250ms error\n"));
  /* a long name is cut with an ellipsis to the name column */
  const char *longer = line_at(t, "  a span name");
  assert_non_null(strstr(longer, "\xe2\x80\xa6 |"));
  assert_int_equal(vbx__trace_text_cols(longer, (size_t)(strstr(longer, " |") - longer)), c.name);
  assert_null(strstr(t, "\x1b"));
  vbx__strbuf_reset(&sb);
  /* colour: escapes only when asked */
  vbx__trace_render_text(&sb, &l, 80, 1);
  assert_non_null(strstr(sb.data, "\x1b[31m"));
  vbx__strbuf_reset(&sb);
  vbx__trace_layout_free(&l);
}

static void test_render_json(void **state) {
  (void)state;
  vbx_otlp_span_rec r[] = {
      rec(T1, "000000000000000a", "00000000000000ff", "run \"p\"", 2 * MS, 12 * MS, 0),
      rec(T1, "000000000000000b", "000000000000000a", "stage s", 3 * MS, 5 * MS, 2),
      rec(T1, "000000000000000c", "000000000000000b", "box b", 3 * MS, 4 * MS, 1),
      rec(T1, "000000000000000d", "000000000000000a", "stage t", 6 * MS, 12 * MS, 0),
      rec(T2, "0000000000000001", NULL, "other", 100 * MS, 101 * MS, 0),
  };
  r[1].status_message = "boom";
  r[2].box = "b";
  vbx__trace_layout l;
  assert_int_equal(vbx__trace_layout_build(r, 5, NULL, &l), 0);
  vbx__strbuf sb = VBX__STRBUF_INIT;
  vbx__trace_render_json(&sb, &l);
  json_error_t je;
  json_t *doc = json_loads(sb.data, 0, &je);
  if (doc == NULL) fail_msg("%s: %s", je.text, sb.data);
  json_t *traces = json_object_get(doc, "traces");
  assert_int_equal(json_array_size(traces), 2);
  json_t *t1 = json_array_get(traces, 0);
  assert_string_equal(json_string_value(json_object_get(t1, "trace_id")), T1);
  assert_int_equal(json_integer_value(json_object_get(t1, "spans")), 4);
  assert_int_equal(json_integer_value(json_object_get(t1, "errors")), 1);
  json_t *roots = json_object_get(t1, "roots");
  assert_int_equal(json_array_size(roots), 1);
  json_t *run = json_array_get(roots, 0);
  assert_string_equal(json_string_value(json_object_get(run, "name")), "run \"p\"");
  assert_string_equal(json_string_value(json_object_get(run, "parent")), "00000000000000ff");
  assert_true(json_real_value(json_object_get(run, "start_ms")) == 0.0);
  assert_true(json_real_value(json_object_get(run, "duration_ms")) == 10.0);
  json_t *kids = json_object_get(run, "children");
  assert_int_equal(json_array_size(kids), 2);
  json_t *s = json_array_get(kids, 0);
  assert_string_equal(json_string_value(json_object_get(s, "name")), "stage s");
  assert_string_equal(json_string_value(json_object_get(s, "status")), "error");
  assert_string_equal(json_string_value(json_object_get(s, "status_message")), "boom");
  assert_true(json_real_value(json_object_get(s, "start_ms")) == 1.0);
  json_t *b = json_array_get(json_object_get(s, "children"), 0);
  assert_string_equal(json_string_value(json_object_get(b, "status")), "ok");
  assert_string_equal(json_string_value(json_object_get(b, "box")), "b");
  assert_int_equal(json_array_size(json_object_get(b, "children")), 0);
  json_t *t = json_array_get(kids, 1);
  assert_string_equal(json_string_value(json_object_get(t, "name")), "stage t");
  assert_string_equal(json_string_value(json_object_get(t, "status")), "unset");
  json_t *other = json_array_get(json_object_get(json_array_get(traces, 1), "roots"), 0);
  assert_true(json_is_null(json_object_get(other, "parent")));
  json_decref(doc);
  vbx__strbuf_reset(&sb);
  vbx__trace_layout_free(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tree_order),
      cmocka_unit_test(test_orphans_and_cycles),
      cmocka_unit_test(test_groups_and_selection),
      cmocka_unit_test(test_deep_chain),
      cmocka_unit_test(test_bars),
      cmocka_unit_test(test_durations),
      cmocka_unit_test(test_columns),
      cmocka_unit_test(test_fit),
      cmocka_unit_test(test_render_text),
      cmocka_unit_test(test_render_json),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
