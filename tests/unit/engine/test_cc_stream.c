/*
 * tests/unit/engine/test_cc_stream.c - claude-code's stream-json read into
 * a box summary: a tool-using run fed whole and one byte at a time (the
 * same result), failure by is_error whatever the subtype, lines that are not
 * JSON, bounds on a line and on what is kept, unmatched and repeated ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/cc_stream.h"
#include "voidbox/errors.h"

/* What the callbacks saw. */
typedef struct seen {
  int uses, results, turns, errors;
  char log[2048];
  char text[256];
} seen;

static void add(seen *s, const char *fmt, const char *a, const char *b) {
  size_t n = strlen(s->log);
  snprintf(s->log + n, sizeof s->log - n, fmt, a, b);
}

static void ev_use(void *u, const char *id, const char *name, const char *input) {
  seen *s = u;
  s->uses++;
  add(s, "use %s %s|", id, name);
  add(s, "in %s%s|", input, "");
}

static void ev_result(void *u, const char *id, const char *name, const char *input,
                      const char *output, int is_error) {
  (void)input;
  seen *s = u;
  s->results++;
  s->errors += is_error;
  add(s, "res %s %s|", id, name);
  add(s, "out %s%s|", output, "");
}

static void ev_text(void *u, const char *text, size_t len) {
  seen *s = u;
  size_t n = strlen(s->text);
  snprintf(s->text + n, sizeof s->text - n, "%.*s", (int)len, text);
}

static void ev_turn(void *u, uint64_t in, uint64_t out) {
  (void)in, (void)out;
  ((seen *)u)->turns++;
}

static const char RUN[] =
    "{\"type\":\"system\",\"subtype\":\"init\",\"model\":\"claude-sonnet-4-5\","
    "\"session_id\":\"s-1\",\"tools\":[\"Bash\",\"Read\"]}\n"
    "{\"type\":\"assistant\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"content\":["
    "{\"type\":\"text\",\"text\":\"Let me look.\"},"
    "{\"type\":\"tool_use\",\"id\":\"tu_1\",\"name\":\"Bash\",\"input\":{\"command\":\"ls /\"}}],"
    "\"usage\":{\"input_tokens\":100,\"output_tokens\":20,\"cache_read_input_tokens\":5}}}\n"
    "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
    "\"tool_use_id\":\"tu_1\",\"content\":[{\"type\":\"text\",\"text\":\"bin\"},"
    "{\"type\":\"text\",\"text\":\"etc\"}],\"is_error\":false}]}}\n"
    "\r\n"
    "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\",\"id\":\"tu_2\","
    "\"name\":\"Read\",\"input\":{\"file_path\":\"/nope\"}}],\"usage\":{\"input_tokens\":130,"
    "\"output_tokens\":10}}}\n"
    "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":"
    "\"tu_2\",\"content\":\"File does not exist.\",\"is_error\":true}]}}\n"
    "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"Done: bin, "
    "etc.\"}],\"usage\":{\"input_tokens\":150,\"output_tokens\":8}}}\n"
    "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"num_turns\":3,"
    "\"result\":\"Done: bin, etc.\",\"session_id\":\"s-1\",\"total_cost_usd\":0.0123,"
    "\"usage\":{\"input_tokens\":380,\"output_tokens\":38,\"cache_read_input_tokens\":5,"
    "\"cache_creation_input_tokens\":7}}\n";

static void feed_run(size_t step, seen *sn, vbx__cc_stream *s) {
  vbx__cc_events ev = {
      .user = sn, .tool_use = ev_use, .tool_result = ev_result, .text = ev_text, .turn = ev_turn};
  memset(sn, 0, sizeof *sn);
  vbx__cc_stream_init(s, &ev);
  size_t n = strlen(RUN);
  for (size_t i = 0; i < n; i += step)
    assert_int_equal(vbx__cc_stream_feed(s, RUN + i, i + step <= n ? step : n - i), 0);
  assert_int_equal(vbx__cc_stream_finish(s), 0);
}

static void test_tool_run(void **state) {
  (void)state;
  seen a, b;
  vbx__cc_stream s, t;
  feed_run(strlen(RUN), &a, &s);
  feed_run(1, &b, &t); /* byte by byte: the same */
  assert_string_equal(a.log, b.log);
  assert_string_equal(a.log,
                      "use tu_1 Bash|in {\"command\":\"ls /\"}|res tu_1 Bash|out bin\netc|"
                      "use tu_2 Read|in {\"file_path\":\"/nope\"}|res tu_2 Read|"
                      "out File does not exist.|");
  assert_int_equal(a.errors, 1);
  assert_int_equal(a.turns, 3);
  assert_string_equal(a.text, "Let me look.Done: bin, etc.");
  const vbx__cc_summary *m = &s.sum;
  assert_true(m->have_result);
  assert_false(m->is_error);
  assert_string_equal(m->subtype, "success");
  assert_string_equal(m->result, "Done: bin, etc.");
  assert_string_equal(m->model, "claude-sonnet-4-5");
  assert_string_equal(m->session_id, "s-1");
  assert_int_equal(m->turns, 3);
  /* the result's totals, not the sum of the turns */
  assert_int_equal(m->input_tokens, 380);
  assert_int_equal(m->output_tokens, 38);
  assert_int_equal(m->cache_read_tokens, 5);
  assert_int_equal(m->cache_write_tokens, 7);
  assert_true(m->cost_usd > 0.0122 && m->cost_usd < 0.0124);
  assert_int_equal(m->bad_lines, 0);
  assert_int_equal(t.sum.input_tokens, 380);
  vbx__cc_stream_clear(&s);
  vbx__cc_stream_clear(&t);
}

static void summary_of(const char *text, vbx__cc_stream *s) {
  vbx__cc_stream_init(s, NULL);
  assert_int_equal(vbx__cc_stream_feed(s, text, strlen(text)), 0);
  assert_int_equal(vbx__cc_stream_finish(s), 0);
}

static void test_failure_is_is_error(void **state) {
  (void)state;
  vbx__cc_stream s;
  /* an API error after retries: subtype success, is_error true */
  summary_of(
      "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":true,"
      "\"result\":\"API Error: 401 invalid x-api-key\",\"num_turns\":1}",
      &s); /* and no final newline */
  assert_true(s.sum.have_result);
  assert_true(s.sum.is_error);
  assert_string_equal(s.sum.result, "API Error: 401 invalid x-api-key");
  vbx__cc_stream_clear(&s);
  summary_of("{\"type\":\"result\",\"subtype\":\"error_max_turns\",\"is_error\":false}\n", &s);
  assert_false(s.sum.is_error); /* the subtype alone does not decide */
  assert_string_equal(s.sum.subtype, "error_max_turns");
  vbx__cc_stream_clear(&s);
  /* no result at all: the caller sees have_result 0 */
  summary_of("{\"type\":\"system\",\"subtype\":\"init\"}\n", &s);
  assert_false(s.sum.have_result);
  vbx__cc_stream_clear(&s);
}

static void test_not_json(void **state) {
  (void)state;
  vbx__cc_stream s;
  summary_of(
      "Warning: something on stdout\n[1,2]\n{\"no_type\":1}\n{broken\n"
      "{\"type\":\"assistant\",\"message\":\"not an object\"}\n"
      "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\","
      "\"tool_use_id\":\"never-asked\",\"content\":\"x\"}]}}\n"
      "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\"}],"
      "\"usage\":{\"input_tokens\":-5,\"output_tokens\":1e300}}}\n",
      &s);
  assert_int_equal(s.sum.bad_lines, 4);
  assert_string_equal(s.sum.bad_head, "Warning: something on stdout");
  assert_int_equal(s.sum.input_tokens, 0); /* negative and absurd counts are 0 */
  assert_int_equal(s.sum.output_tokens, 0);
  assert_int_equal(s.n_pending, 1); /* the nameless tool_use, waiting */
  vbx__cc_stream_clear(&s);
}

static void test_bounds(void **state) {
  (void)state;
  vbx__cc_stream s;
  vbx__cc_stream_init(&s, NULL);
  char *big = malloc(VBX__CC_LINE_MAX + 2);
  assert_non_null(big);
  memset(big, ' ', VBX__CC_LINE_MAX + 1);
  big[VBX__CC_LINE_MAX + 1] = '\0';
  assert_int_equal(vbx__cc_stream_feed(&s, big, VBX__CC_LINE_MAX), 0); /* exactly the bound */
  assert_int_equal(vbx__cc_stream_feed(&s, "x", 1), VBX_E_TOOBIG);
  assert_int_equal(vbx__cc_stream_feed(&s, "\n", 1), VBX_E_TOOBIG); /* sticky */
  assert_int_equal(vbx__cc_stream_finish(&s), VBX_E_TOOBIG);
  vbx__cc_stream_clear(&s);
  free(big);
  /* a long result text and a long tool output are kept bounded */
  size_t n = VBX__CC_TEXT_MAX + 1000;
  char *line = malloc(n + 100);
  assert_non_null(line);
  int k = snprintf(line, 100, "{\"type\":\"result\",\"is_error\":false,\"result\":\"");
  memset(line + k, 'r', n);
  snprintf(line + k + n, 100, "\"}\n");
  summary_of(line, &s);
  assert_int_equal(strlen(s.sum.result), VBX__CC_TEXT_MAX);
  vbx__cc_stream_clear(&s);
  free(line);
}

/* The output of the real claude-code 2.1.195 (`-p --output-format stream-json
 * --verbose`, one Bash tool call) against a scripted Anthropic server. */
static void test_real_transcript(void **state) {
  (void)state;
  FILE *f = fopen(VBX_TEST_DATA_DIR "/claude-code/stream-tool-use-2.1.195.jsonl", "rb");
  assert_non_null(f);
  seen sn = {0};
  vbx__cc_events ev = {
      .user = &sn, .tool_use = ev_use, .tool_result = ev_result, .text = ev_text, .turn = ev_turn};
  vbx__cc_stream s;
  vbx__cc_stream_init(&s, &ev);
  char buf[333]; /* an odd size: lines split across reads */
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    assert_int_equal(vbx__cc_stream_feed(&s, buf, n), 0);
  fclose(f);
  assert_int_equal(vbx__cc_stream_finish(&s), 0);
  assert_string_equal(sn.log,
                      "use toolu_1 Bash|in {\"command\":\"echo hello-from-box\","
                      "\"description\":\"say hi\"}|res toolu_1 Bash|out hello-from-box|");
  assert_int_equal(sn.errors, 0);
  assert_true(s.sum.have_result);
  assert_false(s.sum.is_error);
  assert_string_equal(s.sum.result, "All done.");
  assert_int_equal(s.sum.turns, 2);
  assert_int_equal(s.sum.input_tokens, 20);
  assert_int_equal(s.sum.output_tokens, 10);
  assert_true(s.sum.cost_usd > 0);
  assert_int_equal(s.sum.bad_lines, 0);
  vbx__cc_stream_clear(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tool_run),        cmocka_unit_test(test_failure_is_is_error),
      cmocka_unit_test(test_not_json),        cmocka_unit_test(test_bounds),
      cmocka_unit_test(test_real_transcript),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
