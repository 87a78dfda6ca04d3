/*
 * run/result.h - the result of a pipeline run (struct vbx_result behind
 * voidbox.h): one entry per stage, one vbx_box_result per box, totals.
 *
 * Ownership: the result owns every string and box result; freed with
 * vbx_result_free. Threads: during a run, each box result is written only
 * by the thread running that box; everything else by the run's thread.
 */
#ifndef VBX_RUN_RESULT_H
#define VBX_RUN_RESULT_H

#include "engine/box_result.h"
#include "model/model.h"

typedef struct vbx__stage_result {
  char *name;
  vbx_status status;
  vbx_box_result *boxes;   /* n_boxes, in declaration order */
  size_t n_boxes;
  char *output;            /* what the stage passes on (merged for fan-out), or NULL */
} vbx__stage_result;

struct vbx_result {
  char *name;
  vbx_status status;
  char *error;             /* NULL when none */
  char *text;              /* output of the last stage that finished OK; never NULL */
  vbx__stage_result *stages;
  size_t n_stages;
  uint64_t input_tokens;
  uint64_t output_tokens;
  double cost_usd;
  uint64_t duration_ns;    /* wall time of the whole run */
};

/* A result shaped like pipeline p: every stage and box named, status
 * pending. NULL on OOM. */
vbx_result *vbx__result_new(const vbx_pipeline *p);
/* Sum the boxes' tokens and cost into the totals. */
void vbx__result_sum(vbx_result *r);

#endif
