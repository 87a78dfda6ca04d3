/*
 * sup_state.h - the supervising parent's state, shared by supervise.c (the
 * process and its event loop), sup_report.c (applying the worker's frames
 * and building the report when the worker did not finish) and
 * sup_telemetry.c (the trace file and telemetry notes after the report).
 * Nothing else includes it. One thread.
 */
#ifndef VBX_CLI_SUP_STATE_H
#define VBX_CLI_SUP_STATE_H

#include <stdarg.h>
#include <stdint.h>

#include "channel.h"
#include "outq.h"
#include "stream_printer.h"
#include "supervise.h"

/* Why the parent killed the worker. */
typedef enum vbx__sup_kill {
  VBX_SUP_NOT_KILLED = 0,
  VBX_SUP_KILL_HANG,   /* a plugin call ran past its deadline + grace */
  VBX_SUP_KILL_CANCEL, /* it did not stop within the grace after a cancel */
  VBX_SUP_KILL_USER,   /* a second interrupt */
  VBX_SUP_KILL_LOAD,   /* loading took longer than the load timeout */
  VBX_SUP_KILL_FRAME   /* it sent a malformed frame */
} vbx__sup_kill;

typedef struct vbx__sup {
  const vbx__sup_options *o;
  vbx__outq out, err;  /* stdout, stderr */
  vbx__outq *stream_q; /* where box output goes (err with --output json) */
  vbx__printer *printer;
  vbx__ch_decoder dec;
  vbx__inflight_table *table;
  pid_t worker;
  int worker_fd; /* its pidfd (-1: none): readable once it exited */
  int wstatus;   /* valid once exited */
  int exited;
  int chan_fd; /* -1 after EOF */
  int loaded;
  uint64_t t_start;  /* CLOCK_MONOTONIC */
  char *load_error;  /* LOAD_ERROR text */
  int load_code;     /* its exit code */
  int load_vbx_code; /* its VBX_E_* code, 0: unknown */
  char *run_error;   /* RUN_ERROR text */
  int run_code;
  int run_vbx_code;
  vbx_result *partial;    /* the pipeline's shape, boxes as reported */
  vbx_result *final;      /* the worker's report */
  uint64_t cancel_at;     /* when a cancel was sent, 0: none */
  const char *cancel_why; /* "interrupted", "stdout was closed" */
  vbx__sup_kill kill;
  vbx__inflight_entry hung; /* the overdue call, for VBX_SUP_KILL_HANG */
  /* `run --trace`: the worker's VBX_CH_TRACE frame */
  int trace_done;                      /* it arrived */
  char *trace_error;                   /* why the file was not written, or NULL */
  uint64_t trace_spans, trace_dropped; /* spans written, spans over the bound */
} vbx__sup;

/* supervise.c: "voidbox: MESSAGE\n" queued on stderr. */
void vbx__sup_vsay(vbx__sup *s, const char *fmt, va_list ap);

/* sup_report.c: apply one frame (vbx__ch_frame_fn). Returns 0, or -1 for a
 * frame whose content is malformed. */
int vbx__sup_frame(void *user, const vbx__ch_header *h, const uint8_t *payload);
/* sup_report.c: the worker ended without a report: settle every box of
 * s->partial (the culprit FAILED, others running CANCELLED or FAILED,
 * pending ones SKIPPED), set the result's status, error and duration, and
 * return the explanation (static until the next call). */
const char *vbx__sup_settle(vbx__sup *s);
/* sup_report.c: "signal 11 (SIGSEGV: Segmentation fault)" into buf. */
void vbx__sup_signal_text(int sig, char *buf, size_t cap);
/* sup_report.c: what ended a worker that died during loading. */
void vbx__sup_load_failure(const vbx__sup *s, char *buf, size_t cap);

/* sup_telemetry.c: apply a VBX_CH_TRACE frame. Returns 0, or -1 when it is
 * malformed or a second one. */
int vbx__sup_trace_frame(vbx__sup *s, const uint8_t *payload, size_t len);
/* sup_telemetry.c: after the report (r: the worker's, NULL when it gave
 * none): say how writing the trace file went and warn about telemetry the
 * run's exporters did not receive. Returns rc, or VBX_EXIT_FAILED when rc
 * was VBX_EXIT_OK and the trace file could not be written. */
int vbx__sup_telemetry_conclude(vbx__sup *s, const vbx_result *r, int rc);
/* sup_telemetry.c: once stdout and stderr are drained: the trace file's
 * waterfall on stderr (nothing when no trace was written). */
void vbx__sup_trace_show(const vbx__sup *s);

#endif
