/*
 * run/run.h - the state of one pipeline run, shared by the files of
 * core/src/run (pipeline_run.c, stage.c, fan_out.c, events.c,
 * exporters.c, check.c). Outside this folder only the CLI's validate
 * includes it (vbx__pipeline_probe).
 */
#ifndef VBX_RUN_RUN_H
#define VBX_RUN_RUN_H

#include <pthread.h>

#include "engine/engine.h"
#include "plugin/instance.h"
#include "run/plan.h"
#include "run/result.h"
#include "run/tel_queue.h"
#include "plugin/observe.h"
#include "runtime.h"
#include "tool_api.h"

/* One exporter instance created from the pipeline's `observe` block, and
 * the queue that delivers to it (run/tel_queue.h). */
typedef struct vbx__exporter_inst {
  vbx__inst inst;
  vbx__tel_queue *queue;
} vbx__exporter_inst;

/* Where events go: the run options' on_event and every exporter. */
typedef struct vbx__events {
  const char *pipeline;
  vbx_event_fn on_event;
  void *user;
  vbx__exporter_inst *exps;
  size_t n_exps;
} vbx__events;

typedef struct vbx__run {
  vbx_runtime *rt;
  const vbx_pipeline *p;
  const vbx__plan *plan; /* what the check resolved (p == plan->p) */
  vbx_run_options opts;  /* zero-extended copy */
  vbx_result *res;
  vbx__events events;
  vbx__cancel cancel;     /* the run's own token */
  vbx__tel_hub *hub;      /* the run's telemetry (observe_run.c) */
  vbx_span *root;         /* "run <pipeline>" */
  vbx_span **stage_spans; /* one per stage while it runs, else NULL */
} vbx__run;

/* How long one exporter call (on_event, flush, destroy) may take before a
 * supervising process calls it hung; flush carries it as its deadline. */
#define VBX__EXPORTER_CALL_NS (10ull * 1000000000ull)
/* How long the end of a run waits for the exporters' queues to drain. */
#define VBX__EXPORTER_DRAIN_NS (5ull * 1000000000ull)

/* events.c: complete ev (struct_size, time, pipeline) and deliver it to
 * on_event, then queue it for each exporter (never waiting on one).
 * Thread-safe: boxes of a fan-out emit concurrently. */
void vbx__events_emit(vbx__events *ev, vbx_event *e);
/* events.c: a stage or pipeline event (stage NULL, index -1 for the
 * pipeline). */
void vbx__events_stage(vbx__events *ev, vbx_event_type type, const char *stage, int index,
                       vbx_status status, const vbx_result *res, uint64_t duration_ns,
                       const char *text);

/* check.c: told about a refusal that is not an error of the spec (a
 * provider's VBX_E_AUTH: the key variable belongs to the environment the
 * run happens in); `msg` is positioned like an error. */
typedef void (*vbx__probe_note_fn)(void *user, const char *msg);
/* check.c: with the plan of a check that passed, create and destroy every
 * declared box's LLM provider as a run would (vbx__box_probe), so a file
 * an option names relative to the spec's directory is found missing now,
 * at the option's position. VBX_E_AUTH refusals go to `note` (may be
 * NULL) and do not fail. Returns 0 or the first refusal's code with err
 * set. Runs plugin code in the calling thread; sandboxes are not created. */
VBX__TOOL_API int vbx__pipeline_probe(vbx_runtime *rt, const vbx__plan *plan,
                                      vbx__probe_note_fn note, void *user, vbx_error *err);

/* exporters.c: check `observe` against the registry (exporter types exist,
 * their options are accepted) and keep each entry's implementation in
 * plan->exporters. Returns 0 or VBX_E_SPEC with err set. */
int vbx__exporters_check(const vbx_runtime *rt, const vbx_pipeline *p, vbx__plan *plan,
                         vbx_error *err);
/* exporters.c: create one instance per `observe.exporters` entry (as the
 * plan resolved it) into ev. On failure err says which and nothing stays
 * created. */
int vbx__exporters_open(vbx__run *run, vbx_error *err);
/* exporters.c: drain every instance's queue (bounded), flush (failures
 * logged) and destroy it. Returns the records the exporters did not
 * receive. */
uint64_t vbx__exporters_close(vbx__run *run);

/* observe_run.c: the run's hub (spans to on_span and the exporters'
 * queues, metric points and log records to the queues) and its root span
 * "run <pipeline>", continuing opts.traceparent. Returns 0, or VBX_E_INVAL
 * with err set for a malformed traceparent, VBX_E_NOMEM. */
int vbx__observe_open(vbx__run *run, vbx_error *err);
/* observe_run.c: end the root span with the run's status, close the hub,
 * and record the trace id in the result. */
void vbx__observe_close(vbx__run *run);
/* observe_run.c: the span of stage i (a child of the root) begun and made
 * current on the calling thread; end it with vbx__observe_stage_end, which
 * also records voidbox.stage.duration. */
void vbx__observe_stage_begin(vbx__run *run, size_t i, vbx__obs_scope *saved);
void vbx__observe_stage_end(vbx__run *run, size_t i, uint64_t duration_ns,
                            const vbx__obs_scope *saved);
/* observe_run.c: 0 for OK and SKIPPED, VBX_E_CANCELLED, else
 * VBX_E_GENERIC: a span's status for a run/stage/box status. */
int vbx__observe_status_code(vbx_status st);

/* A fail-fast fan_out's shared state: the first box that fails claims it,
 * writes why and sets cancel, which its siblings' calls observe. */
typedef struct vbx__fan_ctl {
  vbx__cancel cancel;
  atomic_int claimed;
  char why[256];
} vbx__fan_ctl;

/* stage.c: run box `idx` of stage `stage` with `input` on the calling
 * thread: BOX_STARTED, the engine, BOX_FINISHED, then on_box_done. ctl
 * (NULL outside a fail-fast fan_out) is claimed when the box fails. */
void vbx__stage_run_box(vbx__run *run, size_t stage, size_t idx, const char *input,
                        vbx__fan_ctl *ctl);
/* stage.c: the status of a finished stage from its boxes: FAILED if any
 * box failed, else CANCELLED if any was cancelled, else OK. */
vbx_status vbx__stage_status(const vbx__stage_result *sr);

/* fan_out.c: run every box of stage `stage` with the same input on a pool
 * of vbx__fan_out_width threads (the caller's among them) and wait for
 * all. */
void vbx__fan_out_run(vbx__run *run, size_t stage, const char *input);
/* fan_out.c: how many boxes of an n-box fan_out run at once: p's
 * max_parallel (0: online CPUs x 4), at most n. */
unsigned vbx__fan_out_width(const vbx_pipeline *p, size_t n_boxes);
/* fan_out.c: "### a\n<out>\n\n### b\n<out>" in declaration order;
 * malloc'd, NULL on OOM. */
char *vbx__fan_out_merge(const vbx__stage_result *sr);

#endif
