/*
 * test_otlp_outage - a collector that is down (a closed port) or that
 * stalls (reads requests, never answers) costs a run at most the
 * exporter's flush bound in wall time and a bounded amount of memory, and
 * what could not be delivered is reported at the end of the run: a
 * warning on stderr and telemetry_dropped in the JSON report.
 *
 * Pipelines producing many spans (a fan_out of 4 boxes calling tools in a
 * loop, on the mock backend), each measured against a baseline run of the
 * same pipeline without an exporter:
 *  - time and loss: 10,000 tool calls (some 20,000 spans and as many
 *    metric points, more than the exporter's and the host's queues hold)
 *    against a closed port and against a stalling receiver: the wall time
 *    may grow by flush_timeout_ms + 2 s (and a tenth of the baseline: the
 *    noise of a shared machine);
 *  - memory: 100,000 tool calls against a stalling receiver: peak RSS (the
 *    CLI and its worker, from wait4) may grow by OT_RSS_SLACK_MIB (the
 *    queues' bounds); some 200,000 spans held without bound would take
 *    several times that.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ot.h"

#define BOXES 4
#define CALLS 100     /* tool calls per turn */
#define FLUSH_MS 2000 /* the exporter's flush_timeout_ms */
#ifdef VBX_TEST_SANITIZED
#define OT_RSS_SLACK_MIB 160 /* ASan's quarantine and redzones on top */
#else
#define OT_RSS_SLACK_MIB 48
#endif

/* The many-spans pipeline: BOXES boxes in a fan_out, each `turns` turns
 * of CALLS tool calls; with port, an otlp exporter to 127.0.0.1:port. */
static void many(const char *dir, int turns, unsigned port) {
  size_t cap = 64 + (size_t)turns * (64 + CALLS * 64), n = 0;
  char *script = malloc(cap);
  assert_non_null(script);
  n += (size_t)snprintf(script + n, cap - n, "model: mock-many\nturns:\n");
  for (int t = 0; t < turns; t++) {
    n += (size_t)snprintf(script + n, cap - n, "  - tool_calls:\n");
    for (int c = 0; c < CALLS; c++)
      n += (size_t)snprintf(script + n, cap - n,
                            "      - {name: bash, input: {command: \"echo t%dc%d\"}}\n", t, c);
    n += (size_t)snprintf(script + n, cap - n, "    usage: {input_tokens: 10, output_tokens: 1}\n");
  }
  snprintf(script + n, cap - n, "  - text: done\n");
  ot_put(dir, "many.yaml", "%s", script);
  free(script);
  char boxes[1024] = "", names[256] = "", observe[512] = "";
  for (int b = 0; b < BOXES; b++) {
    size_t k = strlen(boxes);
    snprintf(boxes + k, sizeof boxes - k,
             "    - {name: b%d, prompt: Loop., max_turns: %d, llm: {script: many.yaml}}\n", b,
             turns + 1);
    k = strlen(names);
    snprintf(names + k, sizeof names - k, "%sb%d", b ? ", " : "", b);
  }
  if (port)
    snprintf(observe, sizeof observe,
             "observe:\n  exporters:\n    - type: otlp\n      endpoint: http://127.0.0.1:%u\n"
             "      timeout_ms: 1000\n      flush_timeout_ms: %d\n",
             port, FLUSH_MS);
  ot_put(dir, "spec.yaml",
         "api_version: v1\nkind: pipeline\nname: many\nsandbox: {backend: mock}\n"
         "llm: {provider: mock}\npipeline:\n  boxes:\n%s  stages:\n    - fan_out: [%s]\n%s",
         boxes, names, observe);
}

/* A port nothing listens on (bound, then closed). */
static unsigned closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
  close(fd);
  return ntohs(a.sin_port);
}

/* The runs live here, not on a test's stack, so a failed assertion
 * leaves nothing behind (teardown frees them). */
typedef struct fx {
  char dir[64];
  ot_run base, run;
  int turns; /* of the baseline in `base` (0: none yet) */
  otlp_recv *recv;
} fx;
static fx F;

static int teardown(void **state) {
  (void)state;
  ot_run_free(&F.base);
  ot_run_free(&F.run);
  otlp_recv_stop(F.recv);
  if (F.dir[0]) ot_rmtree(F.dir);
  memset(&F, 0, sizeof F);
  return 0;
}

/* Run the pipeline of `turns` turns against port (0: the baseline). */
static ot_run *run(int turns, unsigned port, const char *what) {
  if (F.dir[0] == '\0') ot_tmpdir(F.dir, "outage");
  if (F.turns != turns) {
    ot_run_free(&F.base);
    many(F.dir, turns, 0);
    ot_voidbox(F.dir, "spec.yaml", NULL, NULL, 300, &F.base);
    if (F.base.status != 0) ot_dump(&F.base);
    assert_int_equal(F.base.status, 0);
    F.turns = turns;
    print_message("baseline, %d tool calls: %.2f s, maxrss %ld KiB\n", BOXES * turns * CALLS,
                  F.base.wall_s, F.base.maxrss_kib);
  }
  ot_require_exporter();
  ot_run_free(&F.run);
  many(F.dir, turns, port);
  ot_voidbox(F.dir, "spec.yaml", NULL, NULL, 300, &F.run);
  print_message("%s: %.2f s, maxrss %ld KiB\n", what, F.run.wall_s, F.run.maxrss_kib);
  if (F.run.status != 0 || F.run.report == NULL) ot_dump(&F.run);
  assert_int_equal(F.run.status, 0);
  assert_non_null(F.run.report);
  return &F.run;
}

/* The wall time bound, and the loss reported: a warning with a count on
 * stderr, and the JSON report's telemetry_dropped. */
static void bounded_and_reported(const ot_run *r, const char *what) {
  double bound = F.base.wall_s * 1.1 + FLUSH_MS / 1000.0 + 2.0;
  if (r->wall_s > bound) {
    ot_dump(r);
    fail_msg("%s: the run took %.2f s, more than the baseline %.2f s (+10%%) + flush %.1f s + 2 s",
             what, r->wall_s, F.base.wall_s, FLUSH_MS / 1000.0);
  }
  regex_t re;
  assert_int_equal(regcomp(&re, "[1-9][0-9]* [a-z ,0-9]*(not delivered|dropped)", REG_EXTENDED), 0);
  int warned = regexec(&re, r->err, 0, NULL, 0) == 0;
  regfree(&re);
  if (!warned) {
    ot_dump(r);
    fail_msg("%s: no warning on stderr says how much telemetry was not delivered", what);
  }
  json_t *dropped = json_object_get(r->report, "telemetry_dropped");
  if (!json_is_integer(dropped) || json_integer_value(dropped) <= 0) {
    const char *line = strstr(r->err, "not delivered");
    while (line && line > r->err && line[-1] != '\n')
      line--;
    fail_msg(
        "%s: the JSON report's telemetry_dropped is %lld%s, want the records not delivered "
        "(> 0); stderr said: %.300s",
        what, (long long)json_integer_value(dropped), dropped ? "" : " (absent)",
        line ? line : "(nothing)");
  }
}

static void test_collector_down(void **state) {
  (void)state;
  bounded_and_reported(run(25, closed_port(), "collector down"), "collector down");
}

static void test_collector_stalls(void **state) {
  (void)state;
  otlp_recv_opts o = {.stall = 1};
  otlp_recv_stop(F.recv); /* one a failed test left */
  assert_int_equal(otlp_recv_start(&o, &F.recv), 0);
  ot_run *r = run(25, otlp_recv_port(F.recv), "collector stalls");
  assert_true(otlp_recv_pending(F.recv) > 0); /* it did reach the collector */
  otlp_recv_stop(F.recv);
  F.recv = NULL;
  bounded_and_reported(r, "collector stalls");
}

/* Ten times the records against a stalling collector: the memory the
 * exporter and the host's queues hold stays bounded. */
static void test_memory_bounded(void **state) {
  (void)state;
  otlp_recv_opts o = {.stall = 1};
  otlp_recv_stop(F.recv); /* one a failed test left */
  assert_int_equal(otlp_recv_start(&o, &F.recv), 0);
  ot_run *r = run(250, otlp_recv_port(F.recv), "collector stalls, 10x the records");
  otlp_recv_stop(F.recv);
  F.recv = NULL;
  if (r->maxrss_kib > F.base.maxrss_kib + OT_RSS_SLACK_MIB * 1024)
    fail_msg("peak RSS %ld KiB, more than the baseline %ld KiB + %d MiB", r->maxrss_kib,
             F.base.maxrss_kib, OT_RSS_SLACK_MIB);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_collector_down),
      cmocka_unit_test(test_collector_stalls),
      cmocka_unit_test(test_memory_bounded),
  };
  return cmocka_run_group_tests(tests, NULL, teardown);
}
