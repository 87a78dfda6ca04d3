/*
 * tests/unit/llm/test_llm_sse.c - the incremental SSE parser: fields,
 * comments, multi-line data, CRLF/LF/CR line ends, every chunk split,
 * bounds, callback errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sse.h"
#include "voidbox/errors.h"

typedef struct rec {
  char log[4096];
  int n;
  int fail_at; /* return an error on this event (1-based), 0: never */
} rec;

static int on_ev(void *user, const char *event, const char *data, size_t len, const char *id) {
  rec *r = user;
  r->n++;
  assert_int_equal(strlen(data), len);
  size_t l = strlen(r->log);
  snprintf(r->log + l, sizeof(r->log) - l, "[%s|%s|%s]", event, data, id);
  return r->n == r->fail_at ? VBX_E_CANCELLED : 0;
}

/* Parse `in` fed in pieces of `step` bytes (0: split at `split` only). */
static void run(const char *in, size_t step, size_t split, rec *r, int *rc) {
  vbx_sse_parser p;
  vbx_sse_init(&p, 1024, 4096, on_ev, r);
  size_t n = strlen(in);
  *rc = 0;
  if (step) {
    for (size_t i = 0; i < n && !*rc; i += step)
      *rc = vbx_sse_feed(&p, in + i, i + step <= n ? step : n - i);
  } else {
    *rc = vbx_sse_feed(&p, in, split);
    if (!*rc) *rc = vbx_sse_feed(&p, in + split, n - split);
  }
  if (!*rc) *rc = vbx_sse_finish(&p);
  vbx_sse_free(&p);
}

static const char *STREAM =
    ": comment line\n"
    "event: message_start\n"
    "data: {\"a\":1}\n"
    "\n"
    "id: 7\r\n"
    "data: line1\r\n"
    "data: line2\r\n"
    "\r\n"
    "event: ping\r"
    "data\r"
    "\r"
    "data:nospace\n"
    "retry: 100\n"
    "unknown: x\n"
    "\n"
    "event: lonely\n"
    "\n"
    "data: trailing-without-blank-line\n";

static const char *EXPECT =
    "[message_start|{\"a\":1}|]"
    "[message|line1\nline2|7]"
    "[ping||7]"
    "[message|nospace|7]";

static void test_all_splits(void **state) {
  (void)state;
  size_t n = strlen(STREAM);
  for (size_t s = 0; s <= n; s++) {
    rec r = {{0}, 0, 0};
    int rc;
    run(STREAM, 0, s, &r, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(r.log, EXPECT);
  }
  for (size_t step = 1; step <= 7; step++) {
    rec r = {{0}, 0, 0};
    int rc;
    run(STREAM, step, 0, &r, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(r.log, EXPECT);
  }
}

static void test_crlf_split_between_chunks(void **state) {
  (void)state;
  vbx_sse_parser p;
  rec r = {{0}, 0, 0};
  vbx_sse_init(&p, 64, 64, on_ev, &r);
  assert_int_equal(vbx_sse_feed(&p, "data: a\r", 8), 0);
  assert_int_equal(vbx_sse_feed(&p, "\n\r", 2), 0);
  assert_int_equal(vbx_sse_feed(&p, "\n", 1), 0);
  assert_int_equal(r.n, 1);
  assert_string_equal(r.log, "[message|a|]");
  vbx_sse_free(&p);
}

static void test_line_bound(void **state) {
  (void)state;
  vbx_sse_parser p;
  rec r = {{0}, 0, 0};
  vbx_sse_init(&p, 16, 1024, on_ev, &r);
  assert_int_equal(vbx_sse_feed(&p, "data: 0123456789", 16), 0);
  assert_int_equal(vbx_sse_feed(&p, "x", 1), VBX_E_TOOBIG);
  assert_int_equal(vbx_sse_feed(&p, "\n\n", 2), VBX_E_TOOBIG); /* sticky */
  assert_int_equal(r.n, 0);
  vbx_sse_free(&p);
}

static void test_event_bound(void **state) {
  (void)state;
  vbx_sse_parser p;
  rec r = {{0}, 0, 0};
  vbx_sse_init(&p, 64, 20, on_ev, &r);
  assert_int_equal(vbx_sse_feed(&p, "data: 0123456789\n", 17), 0);
  assert_int_equal(vbx_sse_feed(&p, "data: 0123456789\n", 17), VBX_E_TOOBIG);
  vbx_sse_free(&p);
}

static void test_callback_error_sticky(void **state) {
  (void)state;
  vbx_sse_parser p;
  rec r = {{0}, 0, 2};
  vbx_sse_init(&p, 64, 64, on_ev, &r);
  const char *in = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
  assert_int_equal(vbx_sse_feed(&p, in, strlen(in)), VBX_E_CANCELLED);
  assert_int_equal(r.n, 2);
  assert_int_equal(vbx_sse_finish(&p), VBX_E_CANCELLED);
  vbx_sse_reset(&p);
  assert_int_equal(vbx_sse_feed(&p, "data: 4\n\n", 9), 0);
  assert_int_equal(r.n, 3);
  vbx_sse_free(&p);
}

static void test_long_event_name_cut(void **state) {
  (void)state;
  char in[400];
  memset(in, 0, sizeof(in));
  strcpy(in, "event: ");
  memset(in + 7, 'e', 200);
  strcat(in, "\ndata: x\n\n");
  vbx_sse_parser p;
  rec r = {{0}, 0, 0};
  vbx_sse_init(&p, 1024, 64, on_ev, &r);
  assert_int_equal(vbx_sse_feed(&p, in, strlen(in)), 0);
  assert_int_equal(r.n, 1);
  assert_int_equal(strlen(r.log), 1 + (VBX_SSE_NAME_MAX - 1) + 4);
  vbx_sse_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_all_splits),
      cmocka_unit_test(test_crlf_split_between_chunks),
      cmocka_unit_test(test_line_bound),
      cmocka_unit_test(test_event_bound),
      cmocka_unit_test(test_callback_error_sticky),
      cmocka_unit_test(test_long_event_name_cut),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
