/*
 * engine/engine.h - the native agent engine: runs one box's agent loop on
 * the host (docs/architecture.md). The provider plugin is called on the host; tool
 * calls (bash, read_file, write_file, skill tools) run inside the box's
 * sandbox through its backend plugin.
 *
 * The pipeline runner (core/src/run) calls vbx__engine_run_box once per box,
 * on the box's own thread for fan-out stages, with the box as
 * vbx_pipeline_check resolved and validated it (engine/resolve.h): the
 * engine never looks a plugin up.
 */
#ifndef VBX_ENGINE_ENGINE_H
#define VBX_ENGINE_ENGINE_H

#include "engine/box_result.h"
#include "engine/resolve.h"
#include "model/model.h"
#include "plugin/call.h"
#include "plugin/registry.h"

/* Event sink: the engine fills type, box, tool, text, tokens, cost and
 * duration; the sink adds pipeline, stage, stage_index and time. `ev` is
 * borrowed for the call. Called on the box's thread. */
typedef void (*vbx__emit_fn)(void *user, vbx_event *ev);

/* Everything a box run needs from its caller. Borrowed for the run. */
typedef struct vbx__engine_env {
  const vbx__cancel *run_cancel;   /* the pipeline run's token (may be NULL) */
  const vbx__cancel *rt_cancel;    /* the runtime's token (may be NULL) */
  const vbx__cancel *stage_cancel; /* a fail-fast fan_out's token (may be NULL) */
  const char *stage_why;           /* why stage_cancel was set (read once it is) */
  vbx_stream_fn on_stream;         /* may be NULL */
  void *stream_user;
  vbx__emit_fn emit; /* may be NULL */
  void *emit_user;
} vbx__engine_env;

/* Run the box of `rb` (resolved and validated: vbx__box_prepare) to
 * completion with `input` (the previous stage's output, may be NULL),
 * creating its instances from rb's implementations. `res` must have been
 * initialised with vbx__box_result_init; on return its status is OK,
 * FAILED or CANCELLED and it holds the final answer, error, usage, turns,
 * tool calls and duration (partial results are kept on failure and
 * cancellation). Every plugin instance created is destroyed before
 * returning. Returns 0 when the box ran OK, else the negative code of the
 * failure (VBX_E_CANCELLED, VBX_E_TIMEOUT, the plugin's code, ...).
 * Thread-safe: boxes may run concurrently. */
int vbx__engine_run_box(const vbx__engine_env *env, const vbx__resolved_box *rb, const char *input,
                        vbx_box_result *res);

/* The CLOCK_MONOTONIC deadline of a box started at start_ns: the earlier
 * of its own timeout_secs and its sandbox's timeout_secs; 0 when neither. */
uint64_t vbx__box_deadline(const vbx_box *box, uint64_t start_ns);
/* The error text of a box whose deadline passed, naming which timeout. */
void vbx__box_timeout_text(const vbx_box *box, char *buf, size_t cap);

#endif
