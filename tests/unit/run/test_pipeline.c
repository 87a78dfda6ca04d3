/*
 * test_pipeline.c - vbx_pipeline_run against in-process fake plugins:
 * stage order and input passing, fan-out concurrency and merge, streaming
 * order, totals, failure, cancellation, events and exporters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"

static vbx_runtime *rt;
static recorder rec;

static int setup(void **state) {
  (void)state;
  fake_reset();
  rec_init(&rec);
  return 0;
}

static vbx_result *run(vbx_runtime *r, vbx_pipeline *p, const char *input) {
  vbx_run_options o;
  memset(&o, 0, sizeof(o));
  o.struct_size = sizeof(o);
  o.input = input;
  o.on_stream = rec_stream;
  o.on_event = rec_event;
  o.user = &rec;
  vbx_result *res = NULL;
  vbx_error err;
  memset(&err, 0, sizeof(err));
  int rc = vbx_pipeline_run(r, p, &o, &res, &err);
  if (rc != 0) fprintf(stderr, "run: %s\n", err.message);
  assert_int_equal(rc, 0);
  assert_non_null(res);
  return res;
}

static void test_order_and_input(void **state) {
  (void)state;
  vbx_pipeline *p = vbx_pipeline_named("seq");
  vbx_pipeline_pipe(p, fake_box("a", "[{\"echo\":\"A\"}]"));
  vbx_pipeline_pipe(p, fake_box("b", "[{\"echo\":\"B\"}]"));
  vbx_pipeline_pipe(p, fake_box("c", "[{\"echo\":\"C\"}]"));
  vbx_result *res = run(rt, p, "in");
  assert_int_equal(vbx_result_status(res), VBX_STATUS_OK);
  assert_null(vbx_result_error(res));
  assert_string_equal(vbx_result_text(res), "C[B[A[in]]]");
  int a = fake_log_find("sandbox.create:a"), b = fake_log_find("sandbox.create:b"),
      c = fake_log_find("sandbox.create:c");
  assert_true(a >= 0 && b > a && c > b);
  /* each box's sandbox is gone before the next starts */
  assert_true(fake_log_find("sandbox.destroy:a") < b);
  assert_int_equal(vbx_result_stage_count(res), 3);
  assert_string_equal(vbx_result_stage_name(res, 1), "b");
  assert_string_equal(vbx_box_result_output(vbx_result_box(res, 1, 0)), "B[A[in]]");
  vbx_result_free(res);
  vbx_pipeline_free(p);
}

static void test_fan_out(void **state) {
  (void)state;
  const char *s1 = "[{\"tool\":\"bash\",\"input\":{\"command\":\"barrier\"}},{\"echo\":\"S\"}]";
  const char *s2 = "[{\"tool\":\"bash\",\"input\":{\"command\":\"barrier\"}},{\"echo\":\"R\"}]";
  vbx_box *fo[2] = {fake_box("sentiment", s1), fake_box("risk", s2)};
  vbx_pipeline *p = vbx_pipeline_named("fan");
  vbx_pipeline_fan_out(p, fo, 2);
  vbx_pipeline_pipe(p, fake_box("sum", "[{\"echo\":\"T\"}]"));
  vbx_result *res = run(rt, p, "x");
  assert_int_equal(vbx_result_status(res), VBX_STATUS_OK);
  /* both boxes were inside exec at the same time, or the barrier failed */
  for (size_t i = 0; i < 2; i++) {
    const char *out = NULL;
    assert_int_equal(vbx_box_result_tool_call(vbx_result_box(res, 0, i), 0, NULL, NULL, &out, NULL),
                     0);
    assert_string_equal(out, "passed");
  }
  assert_string_equal(vbx_result_text(res), "T[### sentiment\nS[x]\n\n### risk\nR[x]]");
  vbx_result_free(res);
  vbx_pipeline_free(p);
}

/* Chunks of one box, in the order they arrived. */
static size_t box_chunks(const char *box, const rec_chunk **out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < rec.n_chunks && n < max; i++)
    if (!strcmp(rec.chunks[i].box, box)) out[n++] = &rec.chunks[i];
  return n;
}

static void test_streaming_order_and_totals(void **state) {
  (void)state;
  const char *s =
      "[{\"tool\":\"bash\",\"input\":{\"command\":\"echo one\"}},"
      "{\"tool\":\"bash\",\"input\":{\"command\":\"fail\"}},"
      "{\"tool\":\"bash\",\"input\":{\"command\":\"echo two\"}},{\"text\":\"fin\"}]";
  vbx_box *fo[2] = {fake_box("l", s), fake_box("r", s)};
  vbx_pipeline *p = vbx_pipeline_named("stream");
  vbx_pipeline_fan_out(p, fo, 2);
  vbx_pipeline_pipe(p, fake_box("z", "[{\"text\":\"end\"}]"));
  vbx_result *res = run(rt, p, NULL);
  assert_int_equal(vbx_result_status(res), VBX_STATUS_OK);
  static const struct {
    vbx_output_kind kind;
    const char *data;
  } want[] = {{VBX_OUT_TOOL_STDOUT, "one\n"},
              {VBX_OUT_TOOL_STDERR, "boom\n"},
              {VBX_OUT_TOOL_STDOUT, "two\n"},
              {VBX_OUT_TEXT, "f"},
              {VBX_OUT_TEXT, "in"}};
  const char *names[] = {"l", "r"};
  for (size_t b = 0; b < 2; b++) {
    const rec_chunk *ch[16];
    assert_int_equal(box_chunks(names[b], ch, 16), 5);
    for (size_t i = 0; i < 5; i++) {
      assert_int_equal(ch[i]->kind, want[i].kind);
      assert_string_equal(ch[i]->data, want[i].data);
    }
  }
  /* totals are the sums of the boxes: 4 + 4 + 1 turns of 10/5/0.25 */
  uint64_t in = 0, out = 0;
  double cost = 0;
  for (size_t s2 = 0; s2 < vbx_result_stage_count(res); s2++)
    for (size_t i = 0; i < vbx_result_box_count(res, s2); i++) {
      const vbx_box_result *b = vbx_result_box(res, s2, i);
      in += vbx_box_result_input_tokens(b);
      out += vbx_box_result_output_tokens(b);
      cost += vbx_box_result_cost_usd(b);
    }
  assert_int_equal(in, 90);
  assert_int_equal(vbx_result_input_tokens(res), in);
  assert_int_equal(vbx_result_output_tokens(res), out);
  assert_true(vbx_result_cost_usd(res) > cost - 1e-9 && vbx_result_cost_usd(res) < cost + 1e-9);
  assert_true(vbx_result_duration_ns(res) >= vbx_box_result_duration_ns(vbx_result_box(res, 1, 0)));
  /* events: one pipeline, two stages, three boxes, six tool calls, nine turns */
  assert_int_equal(rec_count(&rec, VBX_EV_PIPELINE_STARTED), 1);
  assert_int_equal(rec_count(&rec, VBX_EV_PIPELINE_FINISHED), 1);
  assert_int_equal(rec_count(&rec, VBX_EV_STAGE_STARTED), 2);
  assert_int_equal(rec_count(&rec, VBX_EV_STAGE_FINISHED), 2);
  assert_int_equal(rec_count(&rec, VBX_EV_BOX_STARTED), 3);
  assert_int_equal(rec_count(&rec, VBX_EV_BOX_FINISHED), 3);
  /* Each tool call is announced (RUNNING) and then reported. */
  assert_int_equal(rec_count(&rec, VBX_EV_TOOL_CALL), 12);
  assert_int_equal(rec_count_status(&rec, VBX_EV_TOOL_CALL, VBX_STATUS_RUNNING), 6);
  assert_int_equal(rec_count(&rec, VBX_EV_LLM_TURN), 9);
  assert_int_equal(rec.events[0], VBX_EV_PIPELINE_STARTED);
  assert_int_equal(rec.events[rec.n_events - 1], VBX_EV_PIPELINE_FINISHED);
  vbx_result_free(res);
  vbx_pipeline_free(p);
}

static void test_failure_skips_later_stages(void **state) {
  (void)state;
  vbx_box *fo[2] = {fake_box("ok", "[{\"text\":\"fine\"}]"),
                    fake_box("bad", "[{\"error\":\"quota exceeded\"}]")};
  vbx_pipeline *p = vbx_pipeline_named("fail");
  vbx_pipeline_pipe(p, fake_box("first", "[{\"text\":\"one\"}]"));
  vbx_pipeline_fan_out(p, fo, 2);
  vbx_pipeline_fail_fast(p, 0); /* 'ok' ends OK even when 'bad' fails first */
  vbx_pipeline_pipe(p, fake_box("never", "[{\"text\":\"x\"}]"));
  vbx_result *res = run(rt, p, NULL);
  assert_int_equal(vbx_result_status(res), VBX_STATUS_FAILED);
  assert_string_equal(vbx_result_error(res),
                      "stage 'fan_out[ok,bad]': box 'bad' failed: quota exceeded");
  assert_string_equal(vbx_result_text(res), "one");
  assert_int_equal(vbx_box_result_status(vbx_result_box(res, 1, 0)), VBX_STATUS_OK);
  assert_int_equal(vbx_box_result_status(vbx_result_box(res, 1, 1)), VBX_STATUS_FAILED);
  assert_int_equal(vbx_box_result_status(vbx_result_box(res, 2, 0)), VBX_STATUS_SKIPPED);
  assert_int_equal(fake_log_find("sandbox.create:never"), -1);
  vbx_result_free(res);
  vbx_pipeline_free(p);
}

/* The most boxes between their BOX_STARTED and BOX_FINISHED at once, from
 * the recorded events (recorded under a lock, in emission order). */
static size_t max_running(void) {
  size_t running = 0, most = 0;
  for (size_t i = 0; i < rec.n_events; i++) {
    if (rec.events[i] == VBX_EV_BOX_STARTED && ++running > most) most = running;
    if (rec.events[i] == VBX_EV_BOX_FINISHED) running--;
  }
  return most;
}

static void test_max_parallel_bounds_the_pool(void **state) {
  (void)state;
  enum { N = 7 };
  vbx_box *fo[N];
  char name[8];
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof(name), "b%d", i);
    fo[i] = fake_box(name,
                     "[{\"tool\":\"bash\",\"input\":{\"command\":\"true\"}},"
                     "{\"echo\":\"E\"}]");
  }
  vbx_pipeline *p = vbx_pipeline_named("pool");
  vbx_pipeline_fan_out(p, fo, N);
  vbx_pipeline_max_parallel(p, 2);
  vbx_result *res = run(rt, p, "x");
  assert_int_equal(vbx_result_status(res), VBX_STATUS_OK);
  size_t most = max_running();
  assert_true(most >= 1 && most <= 2);
  /* every box ran once, and the merge keeps declaration order */
  const char *text = vbx_result_text(res);
  const char *at = text;
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof(name), "### b%d", i);
    const char *hit = strstr(at, name);
    assert_non_null(hit);
    at = hit + 1;
    assert_int_equal(vbx_box_result_status(vbx_result_box(res, 0, (size_t)i)), VBX_STATUS_OK);
  }
  vbx_result_free(res);
  vbx_pipeline_free(p);
}

static void test_max_parallel_one_fail_fast(void **state) {
  (void)state;
  /* one thread: 'bad' fails first, the boxes after it never start */
  vbx_box *fo[3] = {fake_box("bad", "[{\"error\":\"quota exceeded\"}]"),
                    fake_box("late1", "[{\"text\":\"x\"}]"),
                    fake_box("late2", "[{\"text\":\"y\"}]")};
  vbx_pipeline *p = vbx_pipeline_named("pool1");
  vbx_pipeline_fan_out(p, fo, 3);
  vbx_pipeline_max_parallel(p, 1);
  vbx_result *res = run(rt, p, NULL);
  assert_int_equal(vbx_result_status(res), VBX_STATUS_FAILED);
  assert_int_equal(max_running(), 1);
  assert_int_equal(vbx_box_result_status(vbx_result_box(res, 0, 0)), VBX_STATUS_FAILED);
  for (size_t i = 1; i < 3; i++) {
    const vbx_box_result *b = vbx_result_box(res, 0, i);
    assert_int_equal(vbx_box_result_status(b), VBX_STATUS_CANCELLED);
    assert_non_null(strstr(vbx_box_result_error(b), "box 'bad' of the same fan_out failed"));
  }
  assert_int_equal(fake_log_find("sandbox.create:late1"), -1);
  assert_int_equal(fake_log_find("sandbox.create:late2"), -1);
  vbx_result_free(res);
  vbx_pipeline_free(p);
}

static void test_max_parallel_refused(void **state) {
  (void)state;
  vbx_box *fo[1] = {fake_box("a", "[{\"text\":\"x\"}]")};
  vbx_pipeline *p = vbx_pipeline_named("wide");
  vbx_pipeline_fan_out(p, fo, 1);
  vbx_pipeline_max_parallel(p, VBX_MAX_PARALLEL_LIMIT + 1);
  vbx_result *res = NULL;
  vbx_error err;
  memset(&err, 0, sizeof(err));
  assert_int_equal(vbx_pipeline_run(rt, p, NULL, &res, &err), VBX_E_INVAL);
  assert_non_null(strstr(err.message, "vbx_pipeline_max_parallel: 4097 is over 4096"));
  vbx_result_free(res);
  vbx_pipeline_free(p);
}

static void *canceller(void *arg) {
  fake_wait_blocked();
  vbx_runtime_cancel(arg);
  return NULL;
}

static void test_cancel_mid_run(void **state) {
  (void)state;
  vbx_runtime *crt = fake_runtime(); /* cancelling is final for a runtime */
  assert_non_null(crt);
  vbx_pipeline *p = vbx_pipeline_named("cancel");
  vbx_pipeline_pipe(
      p, fake_box("first",
                  "[{\"tool\":\"bash\",\"input\":{\"command\":\"echo a\"}},{\"text\":\"one\"}]"));
  vbx_pipeline_pipe(
      p, fake_box("stuck",
                  "[{\"tool\":\"bash\",\"input\":{\"command\":\"echo b\"}},{\"block\":true}]"));
  vbx_pipeline_pipe(p, fake_box("never", "[{\"text\":\"x\"}]"));
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, canceller, crt), 0);
  vbx_result *res = run(crt, p, NULL);
  pthread_join(t, NULL);
  assert_int_equal(vbx_result_status(res), VBX_STATUS_CANCELLED);
  const vbx_box_result *b0 = vbx_result_box(res, 0, 0), *b1 = vbx_result_box(res, 1, 0);
  assert_int_equal(vbx_box_result_status(b0), VBX_STATUS_OK);
  assert_string_equal(vbx_box_result_output(b0), "one");
  assert_int_equal(vbx_box_result_status(b1), VBX_STATUS_CANCELLED);
  assert_string_equal(vbx_box_result_error(b1), "cancelled");
  /* partial results of the cancelled box are kept */
  assert_int_equal(vbx_box_result_turns(b1), 2);
  assert_int_equal(vbx_box_result_tool_call_count(b1), 1);
  assert_int_equal(vbx_box_result_status(vbx_result_box(res, 2, 0)), VBX_STATUS_SKIPPED);
  assert_string_equal(vbx_result_text(res), "one");
  assert_true(fake_log_find("sandbox.destroy:stuck") >= 0);
  assert_int_equal(fake_log_find("sandbox.create:never"), -1);
  vbx_result_free(res);
  vbx_pipeline_free(p);
  vbx_runtime_free(crt);
}

static void test_exporters(void **state) {
  (void)state;
  vbx_pipeline *p = vbx_pipeline_named("obs");
  vbx_pipeline_pipe(p, fake_box("a", "[{\"text\":\"x\"}]"));
  p->observe = json_loads("{\"exporters\":[{\"type\":\"fake\"},{\"type\":\"fake\"}]}", 0, NULL);
  vbx_result *res = run(rt, p, NULL);
  assert_int_equal(vbx_result_status(res), VBX_STATUS_OK);
  /* pipeline x2, stage x2, box x2, one turn: 7 events to each exporter */
  assert_int_equal(rec.n_events, 7);
  assert_int_equal(fake_exporter_events(), 14);
  assert_int_equal(fake_exporter_flushes(), 2);
  vbx_result_free(res);
  vbx_pipeline_free(p);
}

static vbx_result *run_traced(vbx_pipeline *p, const char *traceparent) {
  vbx_run_options o;
  memset(&o, 0, sizeof(o));
  o.struct_size = sizeof(o);
  o.traceparent = traceparent;
  vbx_result *res = NULL;
  vbx_error err;
  memset(&err, 0, sizeof(err));
  assert_int_equal(vbx_pipeline_run(rt, p, &o, &res, &err), 0);
  return res;
}

/* A span's parent, by name: the parent must exist and be named `want`. */
static void assert_parent(const char *child, const char *want) {
  const fake_span *c = fake_span_named(child);
  if (c == NULL) fail_msg("no span '%s'", child);
  const fake_span *par = fake_span_by_id(c->parent);
  if (par == NULL)
    fail_msg("span '%s': parent %llx not received", child, (unsigned long long)c->parent);
  assert_string_equal(par->name, want);
  assert_true(c->trace_lo == par->trace_lo && c->trace_hi == par->trace_hi);
  assert_true(c->start_ns >= par->start_ns && c->end_ns <= par->end_ns);
}

static void test_spans(void **state) {
  (void)state;
  const char *tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const char *s1 = "[{\"tool\":\"bash\",\"input\":{\"command\":\"echo hi\"}},{\"echo\":\"S\"}]";
  vbx_box *fo[2] = {fake_box("left", s1), fake_box("right", "[{\"echo\":\"R\"}]")};
  vbx_pipeline *p = vbx_pipeline_named("traced");
  vbx_pipeline_pipe(p, fake_box("first", "[{\"text\":\"x\"}]"));
  vbx_pipeline_fan_out(p, fo, 2);
  p->observe = json_loads("{\"exporters\":[{\"type\":\"fake\"}]}", 0, NULL);
  vbx_result *res = run_traced(p, tp);
  assert_int_equal(vbx_result_status(res), VBX_STATUS_OK);
  assert_string_equal(vbx_result_trace_id(res), "4bf92f3577b34da6a3ce929d0e0e4736");
  assert_int_equal(vbx_result_telemetry_dropped(res), 0);
  const fake_span *root = fake_span_named("run traced");
  assert_non_null(root);
  assert_true(root->parent == 0x00f067aa0ba902b7ull);
  assert_true(root->trace_hi == 0x4bf92f3577b34da6ull && root->trace_lo == 0xa3ce929d0e0e4736ull);
  assert_parent("stage first", "run traced");
  assert_parent("stage fan_out[left,right]", "run traced");
  assert_parent("box first", "stage first");
  assert_parent("box left", "stage fan_out[left,right]");
  assert_parent("box right", "stage fan_out[left,right]");
  assert_parent("sandbox.create", "box first");
  assert_parent("execute_tool bash", "box left");
  assert_parent("exec bash", "execute_tool bash");
  const fake_span *chat = fake_span_named("chat");
  assert_non_null(chat);
  assert_int_equal(chat->kind, VBX_SPAN_CLIENT);
  assert_non_null(strstr(chat->attrs, "gen_ai.operation.name=chat;"));
  assert_non_null(strstr(chat->attrs, "gen_ai.system=fake;"));
  assert_non_null(strstr(chat->attrs, "gen_ai.usage.input_tokens="));
  assert_non_null(strstr(fake_span_named("execute_tool bash")->attrs, "gen_ai.tool.name=bash;"));
  assert_non_null(strstr(fake_span_named("exec bash")->attrs, "process.exit.code=0;"));
  /* every span of a box carries it; every span is in the one trace */
  assert_string_equal(fake_span_named("execute_tool bash")->box, "left");
  for (size_t i = 0; i < fake_span_count(); i++)
    assert_true(fake_span_at(i)->trace_lo == root->trace_lo);
  assert_true(fake_log_find("exp.metric:voidbox.stage.duration") >= 0);
  assert_true(fake_log_find("exp.metric:voidbox.box.duration") >= 0);
  assert_true(fake_log_find("exp.metric:gen_ai.client.token.usage") >= 0);
  assert_true(fake_log_find("exp.metric:gen_ai.client.operation.duration") >= 0);
  assert_true(fake_log_find("exp.metric:voidbox.tool.calls") >= 0);
  vbx_result_free(res);
  /* a malformed traceparent is refused before anything runs */
  fake_reset();
  vbx_run_options o;
  memset(&o, 0, sizeof(o));
  o.struct_size = sizeof(o);
  o.traceparent = "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01";
  vbx_error err;
  memset(&err, 0, sizeof(err));
  res = NULL;
  assert_int_equal(vbx_pipeline_run(rt, p, &o, &res, &err), VBX_E_INVAL);
  assert_null(res);
  assert_non_null(strstr(err.message, "traceparent"));
  assert_int_equal(fake_log_find("sandbox.create:first"), -1);
  vbx_pipeline_free(p);
}

int main(void) {
  rt = fake_runtime();
  if (rt == NULL) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_order_and_input, setup),
      cmocka_unit_test_setup(test_spans, setup),
      cmocka_unit_test_setup(test_fan_out, setup),
      cmocka_unit_test_setup(test_streaming_order_and_totals, setup),
      cmocka_unit_test_setup(test_failure_skips_later_stages, setup),
      cmocka_unit_test_setup(test_cancel_mid_run, setup),
      cmocka_unit_test_setup(test_max_parallel_bounds_the_pool, setup),
      cmocka_unit_test_setup(test_max_parallel_one_fail_fast, setup),
      cmocka_unit_test_setup(test_max_parallel_refused, setup),
      cmocka_unit_test_setup(test_exporters, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vbx_runtime_free(rt);
  fake_reset();
  return rc;
}
