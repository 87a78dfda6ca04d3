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

#include <jansson.h>

#include "engine/box_result.h"
#include "model/model.h"
#include "tool_api.h"

/* The report's "schema_version" (docs/cli.md, "JSON report"): raised when
 * a key changes meaning or goes away; adding a key does not raise it. */
#define VBX__REPORT_SCHEMA 1

typedef struct vbx__stage_result {
  char *name;
  vbx_status status;
  vbx_box_result *boxes; /* n_boxes, in declaration order */
  size_t n_boxes;
  char *output; /* what the stage passes on (merged for fan-out), or NULL */
} vbx__stage_result;

struct vbx_result {
  char *name;
  vbx_status status;
  char *error; /* NULL when none */
  char *text;  /* output of the last stage that finished OK; never NULL */
  vbx__stage_result *stages;
  size_t n_stages;
  uint64_t input_tokens;
  uint64_t output_tokens;
  double cost_usd;
  uint64_t duration_ns;       /* wall time of the whole run */
  char trace_id[33];          /* W3C trace id of the run's spans, "" when unknown */
  uint64_t telemetry_dropped; /* records exporters did not receive */
};

/* A result shaped like pipeline p: every stage and box named, status
 * pending. NULL on OOM. */
VBX__TOOL_API vbx_result *vbx__result_new(const vbx_pipeline *p);
/* Sum the boxes' tokens and cost into the totals. */
void vbx__result_sum(vbx_result *r);

/* Bound on a report read back with vbx_result_from_json. */
#define VBX__REPORT_MAX (256u << 20)

/* result_parse.c: a status from its name ("ok", ...); 0 or VBX_E_INVAL. */
int vbx__status_from_name(const char *name, vbx_status *out);
/* result_parse.c: read one box entry of a report (vbx_box_result_to_json's
 * shape) into b, which it initialises; `path` names the entry in errors.
 * On failure b is cleared and err says which key. */
VBX__TOOL_API int vbx__box_result_from_json(const json_t *o, const char *path, vbx_box_result *b,
                                            vbx_error *err);
/* result_parse.c: from the boxes of r, derive each stage's status (SKIPPED
 * when all its boxes were, PENDING while one is), the output a stage passes
 * on, the result's text (the last OK stage's output) and the totals of
 * tokens and cost. The result's own status, error and duration are kept. */
VBX__TOOL_API void vbx__result_derive(vbx_result *r);

#endif
