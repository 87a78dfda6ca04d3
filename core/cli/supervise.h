/*
 * supervise.h - `voidbox run` as a supervised run: a small parent keeps the
 * report and the output while a forked worker loads the plugins and runs
 * the pipeline. Whatever plugin code does in the worker — crash, abort,
 * exit(), hang past its deadline, ignore a cancel — the parent sees it,
 * names the plugin and the call from the in-flight table
 * (plugin/inflight.h), and still prints the report with every finished
 * box. docs/cli.md, "Supervised runs", describes the behaviour.
 *
 * Threads: the parent is single-threaded; the worker is a separate process.
 */
#ifndef VBX_CLI_SUPERVISE_H
#define VBX_CLI_SUPERVISE_H

#include <sys/types.h>

#include "cli.h"
#include "plugin/inflight.h"

/* How long the worker may take to stop after a cancel before the parent
 * kills it, and how far past its deadline a plugin call may run. */
#define VBX_SUP_CANCEL_GRACE_MS 4000
#define VBX_SUP_DEADLINE_GRACE_MS 2000
#define VBX_SUP_LOAD_TIMEOUT_S 30

typedef struct vbx__sup_options {
  const vbx__cli_common *common;
  vbx_pipeline *p;         /* the loaded spec (the parent checked its syntax) */
  const char *input;       /* --input, may be NULL */
  int json;                /* --output json */
  unsigned load_timeout_s; /* loading plugins and checking the spec */
  const char *trace_path;  /* --trace FILE, or NULL */
  const char *traceparent; /* TRACEPARENT the run continues, or NULL */
} vbx__sup_options;

/* Run o->p supervised and print its output and report (with o->trace_path,
 * then the trace's waterfall on stderr). Returns the exit code: 0 ok, 1
 * the run failed, was cancelled or its worker died, or the trace file
 * could not be written, 2 the plugins could not be loaded or the spec was
 * refused. */
int vbx__supervise_run(const vbx__sup_options *o);

/* What the worker needs; all borrowed (inherited through fork). */
typedef struct vbx__worker_args {
  const vbx__cli_common *common;
  vbx_pipeline *p;
  const char *input;
  const char *trace_path;  /* write the run's spans here, or NULL */
  const char *traceparent; /* or NULL */
  int fd;                  /* the channel's write end */
  vbx__inflight_table *table;
  pid_t parent;
} vbx__worker_args;

/* worker.c: the worker process; never returns. */
_Noreturn void vbx__worker_main(const vbx__worker_args *a);

#endif
