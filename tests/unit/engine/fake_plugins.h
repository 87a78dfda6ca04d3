/*
 * fake_plugins.h - in-process plugins for the engine and run tests, loaded
 * with vbx__registry_load_entry (hand-written descriptors, no exported
 * entry symbol):
 *
 *  sandbox "fake": exec of ["bash","-c",CMD]:
 *      "echo TEXT"  -> stdout "TEXT\n", exit 0
 *      "fail"       -> stderr "boom\n", exit 3
 *      "barrier"    -> waits until 2 execs are inside "barrier" at once
 *                      (stdout "passed"), or 10 s (stderr "barrier timed out", exit 1)
 *      other        -> stdout CMD
 *    files: an in-memory map per sandbox. Options: none accepted except "ok".
 *  llm "fake": options {"script": [TURN...]} (validate refuses other keys
 *    with field set). TURN: {"text": T} final answer (streamed in two
 *    chunks); {"echo": PREFIX} final answer PREFIX + "[" + stage input + "]";
 *    {"tool": NAME, "input": {...}} a tool_use turn; {"tools": [[NAME,
 *    INPUT], ...]} several tool_use blocks; {"error": MSG} fails with
 *    VBX_E_PROVIDER; {"block": true} blocks until the call is cancelled or
 *    its deadline passes. Past the end the last TURN repeats. Usage per turn:
 *    10 input, 5 output tokens, 0.25 USD.
 *  skill "fake": VALUE names its one tool; the tool answers
 *    "tool VALUE got INPUT". provision writes /skills/VALUE into the sandbox
 *    and contributes the system prompt "SKILL VALUE".
 *  exporter "fake": counts events (fake_exporter_events), keeps spans
 *  (fake_span_*) and logs metric points and log records.
 *
 * Everything done is appended to a log (fake_log_*), thread-safe;
 * validations are counted (fake_validations).
 */
#ifndef FAKE_PLUGINS_H
#define FAKE_PLUGINS_H

#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

/* A runtime whose registry holds the fake plugins (frozen). */
vbx_runtime *fake_runtime(void);
/* The same with the plugin of `extra` (a descriptor's entry function,
 * loaded as extra_name) beside them. */
vbx_runtime *fake_runtime_with(vbx_plugin_entry_fn extra, const char *extra_name);
/* Append a line to the log (printf format; thread-safe). */
void fake_logf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reset the log and the counters. */
void fake_reset(void);
/* Number of log lines; the i-th line (borrowed). */
size_t fake_log_count(void);
const char *fake_log_at(size_t i);
/* Index of the first line equal to s, or -1. */
int fake_log_find(const char *s);
/* Wait until a provider is blocked in {"block": true}. */
void fake_wait_blocked(void);
/* How many times the fake `kind` ("sandbox", "llm", "skill") was asked to
 * validate options (validate_options; skill validate) since the last
 * fake_reset; -1 for another kind. */
int fake_validations(const char *kind);
/* Events seen by fake exporters; number of flushes. */
int fake_exporter_events(void);
/* Spans the exporter received (the first FAKE_SPANS_MAX), in arrival
 * order; metric points and log records are logged as "exp.metric:NAME"
 * and "exp.log:BOX:span|nospan". */
#define FAKE_SPANS_MAX 512
typedef struct fake_span {
  char name[128], box[64], attrs[1024];
  uint64_t trace_hi, trace_lo, id, parent, start_ns, end_ns;
  int status, kind;
} fake_span;
size_t fake_span_count(void);
const fake_span *fake_span_at(size_t i);
/* The first span named `name` / with span id `id`, or NULL. */
const fake_span *fake_span_named(const char *name);
const fake_span *fake_span_by_id(uint64_t id);
int fake_exporter_flushes(void);

#endif
