/*
 * run/pipeline_run.c - vbx_pipeline_run: check (keeping the plan), then
 * run the stages in order, each given the previous stage's output; stop
 * after a stage that failed or was cancelled (later stages SKIPPED); sum
 * the totals.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/abi.h"
#include "run/run.h"
#include "util/error.h"

static int stopped(const vbx__run *run) {
  return vbx__cancel_is_set(&run->cancel) || vbx__cancel_is_set(&run->rt->cancel);
}

/* The pipeline error from the first box that did not end OK. */
static void set_error(vbx__run *run, size_t stage) {
  vbx_result *res = run->res;
  const vbx__stage_result *sr = &res->stages[stage];
  char buf[1400];
  buf[0] = '\0';
  for (size_t i = 0; i < sr->n_boxes; i++) {
    const vbx_box_result *b = &sr->boxes[i];
    if (b->status == VBX_STATUS_OK) continue;
    snprintf(buf, sizeof(buf), "stage '%s': box '%s' %s: %s", sr->name, b->name,
             vbx_status_name(b->status), b->error ? b->error : "no error message");
    if (b->status == sr->status) break; /* the box that gave the stage its status */
  }
  res->error = strdup(buf[0] ? buf : "stage failed");
}

static void run_stage(vbx__run *run, size_t i, const char *input) {
  const vbx__stage *st = &run->p->stages[i];
  vbx__stage_result *sr = &run->res->stages[i];
  vbx__events_stage(&run->events, VBX_EV_STAGE_STARTED, sr->name, (int)i, VBX_STATUS_RUNNING, NULL,
                    0, NULL);
  uint64_t t0 = vbx__now_ns();
  vbx__obs_scope saved;
  vbx__observe_stage_begin(run, i, &saved);
  sr->status = VBX_STATUS_RUNNING;
  if (st->is_fan_out)
    vbx__fan_out_run(run, i, input);
  else
    vbx__stage_run_box(run, i, 0, input, NULL);
  sr->status = vbx__stage_status(sr);
  if (sr->status == VBX_STATUS_OK) {
    sr->output = st->is_fan_out ? vbx__fan_out_merge(sr) : strdup(sr->boxes[0].output);
    if (sr->output == NULL) {
      sr->status = VBX_STATUS_FAILED;
      sr->boxes[0].status = VBX_STATUS_FAILED;
      vbx__box_result_fail(&sr->boxes[0], VBX_E_NOMEM, "out of memory passing the output on");
    }
  }
  uint64_t took = vbx__now_ns() - t0;
  vbx__observe_stage_end(run, i, took, &saved);
  vbx__events_stage(&run->events, VBX_EV_STAGE_FINISHED, sr->name, (int)i, sr->status, run->res,
                    took, NULL);
}

static void run_stages(vbx__run *run) {
  vbx_result *res = run->res;
  const char *input = run->opts.input;
  size_t i = 0;
  res->status = VBX_STATUS_OK;
  for (; i < res->n_stages; i++) {
    if (stopped(run)) {
      res->status = VBX_STATUS_CANCELLED;
      res->error = strdup("cancelled");
      break;
    }
    run_stage(run, i, input);
    vbx__stage_result *sr = &res->stages[i];
    if (sr->status != VBX_STATUS_OK) {
      res->status = sr->status;
      set_error(run, i);
      i++;
      break;
    }
    input = sr->output;
    free(res->text);
    res->text = strdup(sr->output);
  }
  for (; i < res->n_stages; i++) {
    res->stages[i].status = VBX_STATUS_SKIPPED;
    for (size_t j = 0; j < res->stages[i].n_boxes; j++)
      res->stages[i].boxes[j].status = VBX_STATUS_SKIPPED;
  }
}

int vbx__pipeline_run_plan(vbx_runtime *rt, const vbx__plan *plan, const vbx_run_options *opts,
                           vbx_result **out, vbx_error *err) {
  if (out == NULL) return vbx__error_set(err, VBX_E_INVAL, "vbx_pipeline_run: out is NULL");
  *out = NULL;
  if (rt == NULL || plan == NULL)
    return vbx__error_set(err, VBX_E_INVAL, "vbx_pipeline_run: no runtime or pipeline");
  const vbx_pipeline *p = plan->p;
  int rc = 0;
  vbx__run *run = calloc(1, sizeof(*run));
  if (run == NULL) return vbx__error_set(err, VBX_E_NOMEM, "out of memory");
  run->rt = rt;
  run->p = p;
  run->plan = plan;
  atomic_init(&run->cancel.cancelled, 0);
  if (opts != NULL) {
    vbx_call c;
    vbx__call_init(&c, NULL, NULL, 0);
    if ((rc = vbx__abi_copy_in(&run->opts, sizeof(run->opts), opts, "vbx_run_options", &c)) != 0) {
      vbx__error_set(err, rc, "vbx_pipeline_run: %s", c.message);
      goto out;
    }
  }
  if ((run->res = vbx__result_new(p)) == NULL) {
    rc = vbx__error_set(err, VBX_E_NOMEM, "out of memory");
    goto out;
  }
  run->events.pipeline = run->res->name;
  run->events.on_event = run->opts.on_event;
  run->events.user = run->opts.user;
  if ((rc = vbx__observe_open(run, err)) != 0) goto out;
  if ((rc = vbx__exporters_open(run, err)) != 0) goto out;

  uint64_t t0 = vbx__now_ns();
  vbx__obs_scope saved;
  vbx__obs_enter(run->hub, run->root, NULL, &saved);
  vbx__events_stage(&run->events, VBX_EV_PIPELINE_STARTED, NULL, -1, VBX_STATUS_RUNNING, NULL, 0,
                    NULL);
  run_stages(run);
  vbx__result_sum(run->res);
  run->res->duration_ns = vbx__now_ns() - t0;
  vbx__events_stage(&run->events, VBX_EV_PIPELINE_FINISHED, NULL, -1, run->res->status, run->res,
                    run->res->duration_ns, run->res->error);
  vbx__obs_leave(&saved);
  vbx__observe_close(run);
  run->res->telemetry_dropped = vbx__exporters_close(run);
  *out = run->res;
  run->res = NULL;
out:
  vbx__observe_close(run);
  vbx_result_free(run->res);
  free(run);
  return rc;
}

int vbx_pipeline_run(vbx_runtime *rt, const vbx_pipeline *p, const vbx_run_options *opts,
                     vbx_result **out, vbx_error *err) {
  if (out == NULL) return vbx__error_set(err, VBX_E_INVAL, "vbx_pipeline_run: out is NULL");
  *out = NULL;
  if (rt == NULL || p == NULL)
    return vbx__error_set(err, VBX_E_INVAL, "vbx_pipeline_run: no runtime or pipeline");
  vbx__plan *plan = NULL;
  int rc = vbx__pipeline_check_plan(rt, p, &plan, err);
  if (rc == 0) rc = vbx__pipeline_run_plan(rt, plan, opts, out, err);
  vbx__plan_free(plan);
  return rc;
}
