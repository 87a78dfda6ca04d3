/*
 * run/plan.h - a checked pipeline: what vbx_pipeline_check found, kept for
 * the run. Every box the pipeline runs is resolved and validated once
 * (vbx__box_prepare: its backend, provider and skill types looked up, each
 * plugin's validate_options / skill validate asked), and every exporter of
 * `observe` looked up once; the run creates instances from these records
 * and never looks a plugin up or validates again, however many stages run
 * a box.
 *
 *   vbx__pipeline_check_plan  ->  plan  ->  vbx__pipeline_run_plan (any
 *                                           number of times), probe
 *
 * vbx_pipeline_check and vbx_pipeline_run are these with a plan of their
 * own; the CLI keeps the plan of its check for the run and for `validate`'s
 * probe.
 *
 * Ownership: the plan borrows the pipeline and the runtime's frozen
 * registry; both must outlive it. A plan is read-only once made: boxes of
 * a fan_out read it from their threads.
 */
#ifndef VBX_RUN_PLAN_H
#define VBX_RUN_PLAN_H

#include <stddef.h>

#include "engine/resolve.h"
#include "tool_api.h"

typedef struct vbx__plan {
  const vbx_pipeline *p;
  vbx__resolved_box *boxes; /* distinct boxes, in check order */
  size_t n_boxes, cap_boxes;
  const vbx__resolved_box **slots; /* stage i's box j: slots[first[i] + j] */
  size_t *first;                   /* per stage */
  const vbx__impl **exporters;     /* per observe.exporters entry */
  size_t n_exporters;
} vbx__plan;

/* An empty plan for p with room for every box p lists or a stage holds.
 * NULL on OOM. */
vbx__plan *vbx__plan_new(const vbx_pipeline *p);
/* The record of `box` when the plan has one, else NULL. */
const vbx__resolved_box *vbx__plan_find(const vbx__plan *plan, const vbx_box *box);
/* The next free record (zeroed); NULL when the plan is full. The caller
 * fills it and calls vbx__plan_commit. */
vbx__resolved_box *vbx__plan_next(vbx__plan *plan);
/* Keep the record vbx__plan_next returned. */
void vbx__plan_commit(vbx__plan *plan);
/* Record that stage `stage`'s box `idx` runs as rb. */
void vbx__plan_place(vbx__plan *plan, size_t stage, size_t idx, const vbx__resolved_box *rb);
/* The record stage `stage`'s box `idx` runs as (placed by the check). */
const vbx__resolved_box *vbx__plan_box(const vbx__plan *plan, size_t stage, size_t idx);
/* Free the plan (NULL: nothing). */
VBX__TOOL_API void vbx__plan_free(vbx__plan *plan);

/* check.c: vbx_pipeline_check, keeping what it found: on success *out is a
 * plan for p (free with vbx__plan_free), else NULL with err set exactly as
 * vbx_pipeline_check sets it. */
VBX__TOOL_API int vbx__pipeline_check_plan(vbx_runtime *rt, const vbx_pipeline *p, vbx__plan **out,
                                           vbx_error *err);
/* pipeline_run.c: vbx_pipeline_run of plan->p without checking again:
 * the boxes run as the plan resolved them. Same results, events and
 * errors as vbx_pipeline_run after a successful check. */
VBX__TOOL_API int vbx__pipeline_run_plan(vbx_runtime *rt, const vbx__plan *plan,
                                         const vbx_run_options *opts, vbx_result **out,
                                         vbx_error *err);

#endif
