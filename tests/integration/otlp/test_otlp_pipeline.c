/*
 * test_otlp_pipeline - the `voidbox` CLI runs a two-stage mock-model
 * pipeline (ot_pipeline: a box, then a fan_out of two, with tool calls)
 * with the otlp exporter pointed at the validating receiver, and what
 * arrives is checked against the run's own report:
 *  - no request broke a rule of OTLP/HTTP JSON (otlp_recv.h, otlp_check.h);
 *  - one trace: run root, stages under it, boxes under their stage,
 *    chat / execute_tool / sandbox.create / sandbox.destroy under their box
 *    (as many chat spans as turns, execute_tool spans as tool calls), each
 *    child inside its parent's time, voidbox.box on every span of a box;
 *  - chat spans: CLIENT, the gen_ai attributes, usage as integers (intValue)
 *    adding up to the box's tokens, cost as a doubleValue; execute_tool
 *    spans: the tool and a call id unique in its box;
 *  - a plugin's telemetry on a box's thread (the fixture otlp-fx.so): its
 *    span under the tool call in scope voidbox.plugin.otlp-fx, its warning
 *    as a log record under the tool call's span, its counter;
 *  - metrics: the GenAI and voidbox instruments with values that agree
 *    with the report (tokens, calls, counts, cost), sandbox and host
 *    resource metrics on a backend with telemetry (local);
 *  - log records carry the trace and span ids of spans that exist, of the
 *    box they name;
 *  - OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and
 *    OTEL_EXPORTER_OTLP_HEADERS win over the spec; gzip by default,
 *    identity with compression: none.
 *
 *   test_otlp_pipeline mock|local          the checks above on that backend
 *   test_otlp_pipeline decode-mock|decode-local
 *       the same runs, every body captured then decoded by the real
 *       OpenTelemetry protobuf definitions (otel_decode.mjs)
 *
 * Skips (77): local without root; decode-* without node or the decoder
 * (scripts/otlp-decoder.sh).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ot.h"

static const char *backend = "mock";

/* The run every check reads (made once, by the first test that needs it). */
typedef struct fx {
  int done;
  char dir[64];
  otlp_recv *recv;
  ot_run run;
  json_t *spans, *metrics, *logs, *reqs;
  char trace[33];
} fx;
static fx F;

static const char *const ENV1[] = {
    "OTEL_SERVICE_NAME=otlp-e2e",
    "OTEL_EXPORTER_OTLP_HEADERS=x-tenant=acme,authorization=Bearer%20t0ken",
    "OTEL_RESOURCE_ATTRIBUTES=deployment.environment=test", NULL};

static void run_into(fx *f, const char *opts, const char *const *env, const char *recv_dir) {
  ot_require_exporter();
  ot_tmpdir(f->dir, backend);
  otlp_recv_opts o = {.dir = recv_dir};
  assert_int_equal(otlp_recv_start(&o, &f->recv), 0);
  ot_pipeline(f->dir, backend, otlp_recv_port(f->recv), opts);
  ot_voidbox(f->dir, "spec.yaml", env, NULL, 90, &f->run);
  if (f->run.status != 0 || f->run.report == NULL) ot_dump(&f->run);
  assert_int_equal(f->run.status, 0);
  assert_non_null(f->run.report);
  assert_string_equal(ot_str(f->run.report, "status"), "ok");
  f->spans = ot_spans(f->recv);
  f->metrics = ot_metrics(f->recv);
  f->logs = ot_logs(f->recv);
  f->reqs = otlp_recv_requests(f->recv);
  snprintf(f->trace, sizeof f->trace, "%s", ot_str(f->run.report, "trace_id"));
}

static void fx_free(fx *f) {
  if (f->recv) otlp_recv_stop(f->recv);
  json_decref(f->spans);
  json_decref(f->metrics);
  json_decref(f->logs);
  json_decref(f->reqs);
  ot_run_free(&f->run);
  if (f->dir[0]) ot_rmtree(f->dir);
  memset(f, 0, sizeof *f);
}

static fx *the_run(void) {
  if (!F.done) {
    F.done = 1;
    run_into(&F, "      service_name: from-spec\n", ENV1, NULL);
  }
  assert_non_null(F.spans);
  return &F;
}

static json_t *stages(fx *f) { return json_object_get(f->run.report, "stages"); }

static json_t *span_by_id(const json_t *spans, const char *id) {
  size_t i;
  json_t *s;
  json_array_foreach(spans, i, s) if (strcmp(ot_str(s, "spanId"), id) == 0) return s;
  return NULL;
}

/* The span called name that is a child of parent_id (exactly one). */
static json_t *child_named(const json_t *spans, const char *parent_id, const char *name) {
  size_t i, n = 0;
  json_t *s, *found = NULL;
  json_array_foreach(spans, i, s) {
    if (strcmp(ot_str(s, "name"), name) == 0 && strcmp(ot_str(s, "parentSpanId"), parent_id) == 0)
      found = s, n++;
  }
  if (n != 1) fail_msg("%zu spans '%s' under span %s, want 1", n, name, parent_id);
  return found;
}

/* The box a span belongs to: the name of its nearest "box X" ancestor
 * (or itself), else NULL. */
static const char *box_of(const json_t *spans, const json_t *s) {
  for (int depth = 0; s != NULL && depth < 64; depth++) {
    const char *name = ot_str(s, "name");
    if (strncmp(name, "box ", 4) == 0) return name + 4;
    s = span_by_id(spans, ot_str(s, "parentSpanId"));
  }
  return NULL;
}

static void test_no_violations(void **state) {
  (void)state;
  fx *f = the_run();
  char why[4096];
  size_t n = otlp_recv_violations(f->recv, why, sizeof why);
  if (n) print_error("%zu request(s) refused by the receiver:\n%s", n, why);
  assert_int_equal(n, 0);
  json_t *traces = otlp_recv_bodies(f->recv, OTLP_TRACES);
  json_t *metrics = otlp_recv_bodies(f->recv, OTLP_METRICS);
  json_t *logs = otlp_recv_bodies(f->recv, OTLP_LOGS);
  if (!json_array_size(traces) || !json_array_size(metrics) || !json_array_size(logs))
    fail_msg("bodies received: %zu traces, %zu metrics, %zu logs; want each >= 1",
             json_array_size(traces), json_array_size(metrics), json_array_size(logs));
  json_decref(traces);
  json_decref(metrics);
  json_decref(logs);
}

/* One trace for the whole run, unique span ids, one root, no orphan. */
static void test_one_trace(void **state) {
  (void)state;
  fx *f = the_run();
  assert_int_equal(strlen(f->trace), 32);
  size_t i, roots = 0;
  json_t *s;
  json_array_foreach(f->spans, i, s) {
    if (strcmp(ot_str(s, "traceId"), f->trace) != 0)
      fail_msg("span '%s' has trace %s, the run's is %s", ot_str(s, "name"), ot_str(s, "traceId"),
               f->trace);
    const char *id = ot_str(s, "spanId"), *parent = ot_str(s, "parentSpanId");
    for (size_t j = 0; j < i; j++)
      if (strcmp(ot_str(json_array_get(f->spans, j), "spanId"), id) == 0)
        fail_msg("span id %s used twice ('%s')", id, ot_str(s, "name"));
    if (*parent == '\0')
      roots++;
    else if (span_by_id(f->spans, parent) == NULL)
      fail_msg("span '%s' has parent %s, which never arrived", ot_str(s, "name"), parent);
  }
  assert_int_equal(roots, 1);
  json_t *run = ot_span_named(f->spans, "run otlp_pipe");
  assert_non_null(run);
  assert_string_equal(ot_str(run, "parentSpanId"), "");
}

/* run -> stages -> boxes -> their calls, each inside its parent's time. */
static void test_span_tree(void **state) {
  (void)state;
  fx *f = the_run();
  json_t *run = ot_span_named(f->spans, "run otlp_pipe");
  assert_non_null(run);
  const char *run_id = ot_str(run, "spanId");
  assert_int_equal(ot_count_children(f->spans, run_id, "stage "), 2);
  size_t i, j;
  json_t *st, *box;
  json_array_foreach(stages(f), i, st) {
    char name[256];
    snprintf(name, sizeof name, "stage %s", ot_str(st, "name"));
    json_t *stage = child_named(f->spans, run_id, name);
    const char *stage_id = ot_str(stage, "spanId");
    assert_int_equal(ot_count_children(f->spans, stage_id, "box "),
                     json_array_size(json_object_get(st, "boxes")));
    json_array_foreach(json_object_get(st, "boxes"), j, box) {
      snprintf(name, sizeof name, "box %s", ot_str(box, "name"));
      const char *box_id = ot_str(child_named(f->spans, stage_id, name), "spanId");
      size_t turns = (size_t)json_integer_value(json_object_get(box, "turns"));
      size_t calls = json_array_size(json_object_get(box, "tool_calls"));
      size_t chats = ot_count_children(f->spans, box_id, "chat");
      size_t tools = ot_count_children(f->spans, box_id, "execute_tool ");
      if (chats != turns || tools != calls)
        fail_msg("%s: %zu chat spans for %zu turns, %zu execute_tool spans for %zu tool calls",
                 name, chats, turns, tools, calls);
      assert_true(turns > 0 && calls > 0);
      child_named(f->spans, box_id, "sandbox.create");
      child_named(f->spans, box_id, "sandbox.destroy");
    }
  }
  json_t *s;
  json_array_foreach(f->spans, i, s) {
    const json_t *p = span_by_id(f->spans, ot_str(s, "parentSpanId"));
    if (p == NULL) continue;
    if (ot_u64(s, "startTimeUnixNano") < ot_u64(p, "startTimeUnixNano") ||
        ot_u64(s, "endTimeUnixNano") > ot_u64(p, "endTimeUnixNano"))
      fail_msg("span '%s' [%s, %s] is not inside its parent '%s' [%s, %s]", ot_str(s, "name"),
               ot_str(s, "startTimeUnixNano"), ot_str(s, "endTimeUnixNano"), ot_str(p, "name"),
               ot_str(p, "startTimeUnixNano"), ot_str(p, "endTimeUnixNano"));
  }
}

/* Every span of a box says which (voidbox.box); spans outside boxes
 * (run, stages) do not. */
static void test_box_attribute(void **state) {
  (void)state;
  fx *f = the_run();
  size_t i, in_boxes = 0;
  json_t *s;
  json_array_foreach(f->spans, i, s) {
    const char *box = box_of(f->spans, s), *attr = ot_attr_str(s, "voidbox.box");
    if (box == NULL) continue;
    in_boxes++;
    if (attr == NULL || strcmp(attr, box) != 0)
      fail_msg("span '%s' of box %s has voidbox.box %s", ot_str(s, "name"), box,
               attr ? attr : "(none)");
  }
  assert_true(in_boxes >= 3 * 4);
}

static json_t *report_box(fx *f, const char *name) {
  size_t i, j;
  json_t *st, *b;
  json_array_foreach(stages(f), i, st) json_array_foreach(json_object_get(st, "boxes"), j, b) {
    if (strcmp(ot_str(b, "name"), name) == 0) return b;
  }
  fail_msg("no box %s in the report", name);
  return NULL;
}

/* chat spans: CLIENT, GenAI attributes, integer usage adding up to the
 * box's tokens in the report. */
static void test_chat_spans(void **state) {
  (void)state;
  fx *f = the_run();
  const char *boxes[] = {"gather", "left", "right"};
  for (size_t b = 0; b < 3; b++) {
    json_t *rb = report_box(f, boxes[b]);
    long long in_sum = 0, out_sum = 0;
    size_t i, n = 0;
    json_t *s;
    json_array_foreach(f->spans, i, s) {
      const char *bx = box_of(f->spans, s);
      if (strncmp(ot_str(s, "name"), "chat", 4) != 0 || bx == NULL || strcmp(bx, boxes[b]) != 0)
        continue;
      n++;
      assert_string_equal(ot_str(s, "name"), "chat mock-model");
      assert_int_equal(json_integer_value(json_object_get(s, "kind")), 3);
      assert_string_equal(ot_attr_str(s, "gen_ai.operation.name"), "chat");
      assert_string_equal(ot_attr_str(s, "gen_ai.system"), "mock");
      assert_string_equal(ot_attr_str(s, "gen_ai.request.model"), "mock-model");
      const char *resp = ot_attr_str(s, "gen_ai.response.model");
      assert_non_null(resp);
      assert_string_equal(resp, ot_str(rb, "model"));
      long long in = 0, out = 0;
      if (ot_attr_int(s, "gen_ai.usage.input_tokens", &in) != 0 ||
          ot_attr_int(s, "gen_ai.usage.output_tokens", &out) != 0)
        fail_msg("chat span of %s: usage is not an intValue: %s", boxes[b],
                 ot_json(json_object_get(s, "_attrs")));
      in_sum += in, out_sum += out;
      json_t *cost = json_object_get(json_object_get(s, "_attrs"), "voidbox.cost_usd");
      if (!json_is_number(json_object_get(cost, "doubleValue")))
        fail_msg("chat span of %s: voidbox.cost_usd is not a doubleValue: %s", boxes[b],
                 ot_json(cost));
      /* semantic conventions: a string array; one string tolerated */
      json_t *fr = json_object_get(json_object_get(s, "_attrs"), "gen_ai.response.finish_reasons");
      json_t *arr = json_object_get(json_object_get(fr, "arrayValue"), "values");
      const char *first = json_string_value(json_object_get(json_array_get(arr, 0), "stringValue"));
      if (first == NULL) first = json_string_value(json_object_get(fr, "stringValue"));
      if (first == NULL || *first == '\0')
        fail_msg("chat span of %s: no gen_ai.response.finish_reasons: %s", boxes[b], ot_json(fr));
    }
    assert_int_equal(n, json_integer_value(json_object_get(rb, "turns")));
    assert_int_equal(in_sum, json_integer_value(json_object_get(rb, "input_tokens")));
    assert_int_equal(out_sum, json_integer_value(json_object_get(rb, "output_tokens")));
  }
}

/* execute_tool spans: the tool's name, a call id unique in the run, as
 * many of each tool as the report's tool_calls. */
static void test_tool_spans(void **state) {
  (void)state;
  fx *f = the_run();
  json_t *ids = json_object();
  size_t i, n = 0;
  json_t *s;
  json_array_foreach(f->spans, i, s) {
    const char *name = ot_str(s, "name");
    if (strncmp(name, "execute_tool ", 13) != 0) continue;
    n++;
    const char *tool = ot_attr_str(s, "gen_ai.tool.name"),
               *id = ot_attr_str(s, "gen_ai.tool.call.id");
    assert_non_null(tool);
    assert_string_equal(name + 13, tool);
    assert_string_equal(ot_attr_str(s, "gen_ai.operation.name"), "execute_tool");
    /* call ids are the model's: unique within a box's conversation */
    char key[512];
    snprintf(key, sizeof key, "%s/%s", box_of(f->spans, s), id ? id : "");
    if (id == NULL || *id == '\0' || json_object_get(ids, key) != NULL)
      fail_msg("execute_tool span '%s': gen_ai.tool.call.id '%s' missing or repeated in its box",
               name, id ? id : "(none)");
    json_object_set_new(ids, key, json_true());
    /* the report's tool calls of its box, by name */
    json_t *rb = report_box(f, box_of(f->spans, s));
    size_t want = 0, have = 0, k;
    json_t *c, *o;
    json_array_foreach(json_object_get(rb, "tool_calls"), k, c) want +=
        strcmp(ot_str(c, "name"), tool) == 0;
    json_array_foreach(f->spans, k, o) {
      const char *ob = box_of(f->spans, o);
      have += strcmp(ot_str(o, "name"), name) == 0 && ob && strcmp(ob, box_of(f->spans, s)) == 0;
    }
    if (want != have)
      fail_msg("box %s: %zu '%s' spans, %zu such calls", box_of(f->spans, s), have, name, want);
  }
  assert_int_equal(n, 7);
  json_decref(ids);
}

/* A string attribute of a data point (not flattened: its attributes
 * list), else "". */
static const char *pt_attr(const json_t *p, const char *key) {
  size_t i;
  json_t *kv;
  json_array_foreach(json_object_get(p, "attributes"), i, kv) {
    if (strcmp(ot_str(kv, "key"), key) == 0)
      return ot_str(json_object_get(kv, "value"), "stringValue");
  }
  return "";
}

/* The value of a number data point. */
static double point_value(const json_t *p) {
  const json_t *d = json_object_get(p, "asDouble");
  return d ? json_number_value(d) : (double)strtoll(ot_str(p, "asInt"), NULL, 10);
}

static json_t *metric(fx *f, const char *name, const char *kind) {
  json_t *m = json_object_get(f->metrics, name);
  if (m == NULL) {
    char have[4096] = "";
    const char *k;
    json_t *v;
    json_object_foreach(f->metrics, k, v) {
      strncat(have, k, sizeof have - strlen(have) - 3);
      strcat(have, " ");
    }
    fail_msg("no metric %s; received: %s", name, have);
  }
  json_t *data = json_object_get(m, kind);
  if (data == NULL) fail_msg("metric %s is not a %s", name, kind);
  return json_object_get(data, "dataPoints");
}

/* Histogram points of name (with attribute key = value, or all when key
 * is NULL): total count and sum. */
static void hist(fx *f, const char *name, const char *key, const char *value,
                 unsigned long long *count, double *sum) {
  size_t i;
  json_t *p;
  *count = 0, *sum = 0;
  json_array_foreach(metric(f, name, "histogram"), i, p) {
    if (key && strcmp(pt_attr(p, key), value) != 0) continue;
    *count += ot_u64(p, "count");
    *sum += json_number_value(json_object_get(p, "sum"));
    const json_t *mn = json_object_get(p, "min"), *mx = json_object_get(p, "max");
    if (mn && json_number_value(mn) < 0) fail_msg("%s: min %g < 0", name, json_number_value(mn));
    if (mx && strstr(name, "duration") && json_number_value(mx) > f->run.wall_s)
      fail_msg("%s: max %g s is more than the whole run (%.2f s)", name, json_number_value(mx),
               f->run.wall_s);
  }
}

/* Sum data points: the total, each point's values checked sane. */
static double sum_total(fx *f, const char *name) {
  json_t *m = json_object_get(f->metrics, name);
  json_t *pts = metric(f, name, "sum");
  assert_true(json_is_true(json_object_get(json_object_get(m, "sum"), "isMonotonic")));
  double t = 0;
  size_t i;
  json_t *p;
  json_array_foreach(pts, i, p) {
    if (point_value(p) < 0) fail_msg("%s: a negative counter value", name);
    t += point_value(p);
  }
  return t;
}

static void test_metrics(void **state) {
  (void)state;
  fx *f = the_run();
  json_t *tot = json_object_get(f->run.report, "totals");
  unsigned long long n;
  double sum;
  /* one token observation of each type per model turn: turns add up */
  long long turns = 0, calls = 0;
  size_t i, j;
  json_t *st, *b;
  json_array_foreach(stages(f), i, st) json_array_foreach(json_object_get(st, "boxes"), j, b) {
    turns += json_integer_value(json_object_get(b, "turns"));
    calls += (long long)json_array_size(json_object_get(b, "tool_calls"));
  }
  hist(f, "gen_ai.client.token.usage", "gen_ai.token.type", "input", &n, &sum);
  assert_int_equal(n, turns);
  assert_true(sum == (double)json_integer_value(json_object_get(tot, "input_tokens")));
  hist(f, "gen_ai.client.token.usage", "gen_ai.token.type", "output", &n, &sum);
  assert_int_equal(n, turns);
  assert_true(sum == (double)json_integer_value(json_object_get(tot, "output_tokens")));
  hist(f, "gen_ai.client.operation.duration", NULL, NULL, &n, &sum);
  assert_int_equal(n, turns);
  hist(f, "voidbox.stage.duration", NULL, NULL, &n, &sum);
  assert_int_equal(n, 2);
  hist(f, "voidbox.box.duration", NULL, NULL, &n, &sum);
  assert_int_equal(n, 3);
  assert_true(sum > 0 && sum < 3 * f->run.wall_s);
  hist(f, "voidbox.tool.duration", NULL, NULL, &n, &sum);
  assert_int_equal(n, calls);
  assert_true(sum_total(f, "voidbox.tool.calls") == (double)calls);
  double cost = sum_total(f, "voidbox.llm.cost"),
         want = json_real_value(json_object_get(tot, "cost_usd"));
  if (fabs(cost - want) > 1e-9 + want * 1e-6)
    fail_msg("voidbox.llm.cost %g, the report's cost %g", cost, want);
  if (strcmp(backend, "local") != 0) return;
  /* a backend with telemetry: each box's sandbox and its host process */
  static const char *const gauges[] = {
      "voidbox.sandbox.memory.usage", "voidbox.sandbox.process.count",
      "voidbox.sandbox.file_descriptor.count", "voidbox.host.memory.usage"};
  for (size_t g = 0; g < sizeof gauges / sizeof *gauges; g++) {
    json_t *pts = metric(f, gauges[g], "gauge");
    json_t *seen = json_object();
    json_t *p;
    json_array_foreach(pts, i, p) {
      const char *box = pt_attr(p, "voidbox.box");
      assert_true(*box);
      json_object_set_new(seen, box, json_true());
      double v = point_value(p);
      int memory = strstr(gauges[g], "memory") != NULL;
      if (v < 0 || (memory && (v < 4096 || v > 64e9)))
        fail_msg("%s of box %s: %g is not sane", gauges[g], box, v);
    }
    if (json_object_size(seen) != 3)
      fail_msg("%s for %zu boxes, want 3", gauges[g], json_object_size(seen));
    json_decref(seen);
  }
  assert_true(sum_total(f, "voidbox.sandbox.cpu.time") >= 0);
  assert_true(sum_total(f, "voidbox.host.cpu.time") >= 0); /* a quiet agent: 0 ticks */
  assert_true(sum_total(f, "voidbox.sandbox.network.io") >= 0);
}

/* Log records under spans that exist, of the run's trace, and of the box
 * they say they concern. */
static void test_logs(void **state) {
  (void)state;
  fx *f = the_run();
  size_t i, with_ids = 0;
  json_t *l;
  assert_true(json_array_size(f->logs) > 0);
  json_array_foreach(f->logs, i, l) {
    const char *t = ot_str(l, "traceId"), *s = ot_str(l, "spanId");
    if (*t == '\0') continue;
    with_ids++;
    if (strcmp(t, f->trace) != 0)
      fail_msg("log record '%s': trace %s, not the run's %s", ot_json(json_object_get(l, "body")),
               t, f->trace);
    json_t *span = span_by_id(f->spans, s);
    if (span == NULL) fail_msg("log record under span %s, which never arrived", s);
    const char *box = ot_attr_str(l, "voidbox.box"), *sb = box_of(f->spans, span);
    if (box && (sb == NULL || strcmp(box, sb) != 0))
      fail_msg("log record of box %s is under span '%s' of box %s", box, ot_str(span, "name"),
               sb ? sb : "(none)");
  }
  if (with_ids == 0)
    fail_msg("none of %zu log records has trace/span ids", json_array_size(f->logs));
}

/* A plugin's telemetry on a box's thread (the fixture's otlpfx_note
 * tool): its span under the tool call, in the plugin's scope; its warning
 * as a log record under the tool call's span, of the box; its counter. */
static void test_plugin_telemetry(void **state) {
  (void)state;
  fx *f = the_run();
  json_t *tool = ot_span_named(f->spans, "execute_tool otlpfx_note");
  assert_non_null(tool);
  json_t *note = ot_span_named(f->spans, "otlpfx.note");
  if (note == NULL) fail_msg("the plugin's span otlpfx.note never arrived");
  assert_string_equal(ot_str(note, "parentSpanId"), ot_str(tool, "spanId"));
  assert_string_equal(ot_str(note, "_scope"), "voidbox.plugin.otlp-fx");
  assert_string_equal(ot_attr_str(note, "otlpfx.text"), "from-gather");
  assert_string_equal(ot_attr_str(note, "voidbox.box"), "gather");
  size_t i, found = 0;
  json_t *l;
  json_array_foreach(f->logs, i, l) {
    const char *body =
        json_string_value(json_object_get(json_object_get(l, "body"), "stringValue"));
    if (body == NULL || strstr(body, "otlpfx note: from-gather") == NULL) continue;
    found++;
    assert_int_equal(json_integer_value(json_object_get(l, "severityNumber")), 13);
    assert_string_equal(ot_str(l, "traceId"), f->trace);
    assert_string_equal(ot_str(l, "spanId"), ot_str(tool, "spanId"));
    assert_string_equal(ot_attr_str(l, "voidbox.box"), "gather");
  }
  if (found != 1)
    fail_msg("%zu log records 'otlpfx note: from-gather' of %zu, want 1", found,
             json_array_size(f->logs));
  json_t *m = json_object_get(f->metrics, "otlpfx.notes");
  if (m == NULL) fail_msg("the plugin's counter otlpfx.notes never arrived");
  assert_string_equal(ot_str(m, "_scope"), "voidbox.plugin.otlp-fx");
  json_t *p = json_array_get(json_object_get(json_object_get(m, "sum"), "dataPoints"), 0);
  assert_true(point_value(p) == 1.0);
}

/* The environment over the spec: service.name, resource attributes,
 * headers; gzip by default. */
static void test_resource_and_headers(void **state) {
  (void)state;
  fx *f = the_run();
  json_t *sets[] = {f->spans, f->logs};
  for (size_t k = 0; k < 2; k++) {
    size_t i;
    json_t *r;
    json_array_foreach(sets[k], i, r) {
      assert_string_equal(ot_res_str(r, "service.name"), "otlp-e2e");
      assert_string_equal(ot_res_str(r, "telemetry.sdk.name"), "voidbox");
      assert_string_equal(ot_res_str(r, "telemetry.sdk.language"), "c");
      assert_string_equal(ot_res_str(r, "deployment.environment"), "test");
    }
  }
  const char *k;
  json_t *m;
  json_object_foreach(f->metrics, k, m)
      assert_string_equal(ot_res_str(m, "service.name"), "otlp-e2e");
  size_t i;
  json_t *q;
  assert_true(json_array_size(f->reqs) >= 3);
  json_array_foreach(f->reqs, i, q) {
    json_t *h = json_object_get(q, "headers");
    assert_string_equal(ot_str(h, "x-tenant"), "acme");
    assert_string_equal(ot_str(h, "authorization"), "Bearer t0ken");
    if (strcmp(ot_str(q, "encoding"), "gzip") != 0)
      fail_msg("request %s to %s has Content-Encoding '%s', want gzip (the default)",
               ot_json(json_object_get(q, "seq")), ot_str(q, "path"), ot_str(q, "encoding"));
  }
}

/* compression: none sends identity bodies; the spec's service_name holds
 * without OTEL_SERVICE_NAME. */
static void test_compression_none(void **state) {
  (void)state;
  fx g = {0};
  run_into(&g, "      service_name: from-spec\n      compression: none\n", NULL, NULL);
  assert_int_equal(otlp_recv_violations(g.recv, NULL, 0), 0);
  assert_true(json_array_size(g.spans) > 0);
  size_t i;
  json_t *q;
  json_array_foreach(g.reqs, i, q) {
    const char *enc = ot_str(q, "encoding");
    if (*enc && strcmp(enc, "identity") != 0)
      fail_msg("Content-Encoding '%s' with compression: none", enc);
  }
  assert_string_equal(ot_res_str(json_array_get(g.spans, 0), "service.name"), "from-spec");
  fx_free(&g);
}

/* (decode-*) Both runs' bodies, captured to files, through the real
 * OpenTelemetry protobuf definitions. */
static void test_decoder_accepts_bodies(void **state) {
  const char *mods = *state;
  char dirs[2][64];
  const char *opts[2] = {NULL, "      compression: none\n"};
  for (int k = 0; k < 2; k++) {
    ot_tmpdir(dirs[k], "bodies");
    fx g = {0};
    run_into(&g, opts[k], ENV1, dirs[k]);
    assert_int_equal(otlp_recv_violations(g.recv, NULL, 0), 0);
    fx_free(&g);
  }
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "node '%s/tests/integration/otlp/otel_decode.mjs' --modules '%s' '%s' '%s' 2>&1",
           VBX_TEST_SOURCE_DIR, mods, dirs[0], dirs[1]);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char line[2048];
  int ok = 0, bad = 0;
  while (fgets(line, sizeof line, p)) {
    fputs(line, stdout);
    ok += strncmp(line, "ok ", 3) == 0;
    bad += strncmp(line, "FAIL ", 5) == 0;
  }
  int st = pclose(p);
  assert_int_equal(bad, 0);
  assert_true(ok >= 6);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  ot_rmtree(dirs[0]);
  ot_rmtree(dirs[1]);
}

static int teardown(void **state) {
  (void)state;
  fx_free(&F);
  return 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "mock";
  int decode = strncmp(mode, "decode-", 7) == 0;
  backend = decode ? mode + 7 : mode;
  if (strcmp(backend, "mock") != 0 && strcmp(backend, "local") != 0) {
    fprintf(stderr, "usage: test_otlp_pipeline mock|local|decode-mock|decode-local\n");
    return 2;
  }
  if (strcmp(backend, "local") == 0 && geteuid() != 0)
    ot_skip("sandbox-local needs root (namespaces, pivot_root); uid %u", geteuid());
  if (decode) {
    char why[512];
    const char *mods = ot_decoder_dir(why, sizeof why);
    if (mods == NULL) ot_skip("the OTLP decoder cannot run: %s", why);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_decoder_accepts_bodies, (void *)mods)};
    return cmocka_run_group_tests(tests, NULL, NULL);
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_violations),    cmocka_unit_test(test_one_trace),
      cmocka_unit_test(test_span_tree),        cmocka_unit_test(test_box_attribute),
      cmocka_unit_test(test_chat_spans),       cmocka_unit_test(test_tool_spans),
      cmocka_unit_test(test_metrics),          cmocka_unit_test(test_logs),
      cmocka_unit_test(test_plugin_telemetry), cmocka_unit_test(test_resource_and_headers),
      cmocka_unit_test(test_compression_none),
  };
  return cmocka_run_group_tests(tests, NULL, teardown);
}
