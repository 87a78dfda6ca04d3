/*
 * run/check.c - vbx_pipeline_check: everything a run needs from the
 * registry, checked before anything runs, and kept in a plan (plan.h) so
 * the run does not look it up again; and vbx__pipeline_probe, what
 * `voidbox validate` adds: each box's LLM provider created and destroyed
 * with the spec's directory. Errors point at the spec position of the
 * declaration at fault (FILE:LINE:COLUMN) when known.
 */
#include <stdio.h>
#include <string.h>

#include "engine/resolve.h"
#include "run/plan.h"
#include "run/run.h"
#include "util/error.h"

/* A positioned VBX_E_SPEC error, or one naming the box when the position
 * is unknown (builder-made pipelines). */
static int at(vbx_error *err, const vbx__pos *pos, const vbx_box *box, const char *msg) {
  if (pos != NULL && pos->file != NULL && pos->line > 0)
    return vbx__error_at(err, VBX_E_SPEC, pos->file, pos->line, pos->col, "%s", msg);
  if (box != NULL && box->pos.file != NULL && box->pos.line > 0)
    return vbx__error_at(err, VBX_E_SPEC, box->pos.file, box->pos.line, box->pos.col,
                         "box '%s': %s", box->name, msg);
  if (box != NULL) return vbx__error_set(err, VBX_E_SPEC, "box '%s': %s", box->name, msg);
  return vbx__error_set(err, VBX_E_SPEC, "%s", msg);
}

/* The plan's record of box: found, or resolved and validated now. */
static int check_box(const vbx_runtime *rt, vbx__plan *plan, const vbx_box *box,
                     const vbx__resolved_box **out, vbx_error *err) {
  if ((*out = vbx__plan_find(plan, box)) != NULL) return 0;
  if (box->error_code != 0)
    return vbx__error_set(err, box->error_code, "box '%s': %s", box->name ? box->name : "?",
                          box->error ? box->error : vbx_strerror(box->error_code));
  vbx__resolved_box *rb = vbx__plan_next(plan);
  if (rb == NULL) return vbx__error_set(err, VBX_E_STATE, "box '%s': plan full", box->name);
  vbx__box_issue issue;
  memset(&issue, 0, sizeof(issue));
  int rc = vbx__box_prepare(rt->reg, box, NULL, &rt->cancel, rb, &issue);
  if (rc == VBX_E_NOMEM) return vbx__error_set(err, rc, "out of memory");
  if (rc != 0) return at(err, issue.pos, box, issue.message);
  vbx__plan_commit(plan);
  *out = rb;
  return 0;
}

/* The pipeline's shape: not failed while built, stages, boxes in each. */
static int check_shape(const vbx_pipeline *p, vbx_error *err) {
  if (p->error_code != 0)
    return vbx__error_set(err, p->error_code, "pipeline '%s': %s", p->name ? p->name : "?",
                          p->error ? p->error : vbx_strerror(p->error_code));
  if (p->n_stages == 0) {
    vbx__pos pos = {p->spec_path, 0, 0};
    char msg[300];
    snprintf(msg, sizeof(msg), "pipeline '%.200s' has no stages", p->name ? p->name : "?");
    return at(err, p->spec_path ? &pos : NULL, NULL, msg);
  }
  for (size_t i = 0; i < p->n_stages; i++)
    if (p->stages[i].n_boxes == 0) {
      char msg[300];
      snprintf(msg, sizeof(msg), "stage '%.200s' has no boxes",
               p->stages[i].name ? p->stages[i].name : "?");
      return at(err, &p->stages[i].pos, NULL, msg);
    }
  return 0;
}

/* Every listed box, then those a stage holds but the pipeline's list does
 * not (builders that add stages directly); each box once. */
static int check_boxes(const vbx_runtime *rt, const vbx_pipeline *p, vbx__plan *plan,
                       vbx_error *err) {
  const vbx__resolved_box *rb;
  for (size_t i = 0; i < p->n_boxes; i++) {
    int rc = check_box(rt, plan, p->boxes[i], &rb, err);
    if (rc != 0) return rc;
  }
  for (size_t i = 0; i < p->n_stages; i++)
    for (size_t j = 0; j < p->stages[i].n_boxes; j++) {
      int rc = check_box(rt, plan, p->stages[i].boxes[j], &rb, err);
      if (rc != 0) return rc;
      vbx__plan_place(plan, i, j, rb);
    }
  return 0;
}

int vbx__pipeline_check_plan(vbx_runtime *rt, const vbx_pipeline *p, vbx__plan **out,
                             vbx_error *err) {
  *out = NULL;
  if (rt == NULL || p == NULL)
    return vbx__error_set(err, VBX_E_INVAL, "vbx_pipeline_check: no runtime or pipeline");
  int rc = check_shape(p, err);
  if (rc != 0) return rc;
  vbx__plan *plan = vbx__plan_new(p);
  if (plan == NULL) return vbx__error_set(err, VBX_E_NOMEM, "out of memory");
  rc = check_boxes(rt, p, plan, err);
  if (rc == 0) rc = vbx__exporters_check(rt, p, plan, err);
  if (rc != 0) {
    vbx__plan_free(plan);
    return rc;
  }
  *out = plan;
  return 0;
}

int vbx_pipeline_check(vbx_runtime *rt, const vbx_pipeline *p, vbx_error *err) {
  vbx__plan *plan = NULL;
  int rc = vbx__pipeline_check_plan(rt, p, &plan, err);
  vbx__plan_free(plan);
  return rc;
}

/* Probe one box (vbx__box_probe); a VBX_E_AUTH refusal goes to `note`. */
static int probe_box(vbx_runtime *rt, const vbx__resolved_box *rb, vbx__probe_note_fn note,
                     void *user, vbx_error *err) {
  vbx__box_issue issue;
  memset(&issue, 0, sizeof(issue));
  int rc = vbx__box_probe(rb, &rt->cancel, &issue);
  if (rc == 0) return 0;
  if (rc == VBX_E_NOMEM) return vbx__error_set(err, rc, "out of memory");
  if (rc != VBX_E_AUTH) return at(err, issue.pos, rb->box, issue.message);
  if (note != NULL) {
    vbx_error w;
    memset(&w, 0, sizeof(w));
    at(&w, issue.pos, rb->box, issue.message);
    note(user, w.message);
  }
  return 0;
}

int vbx__pipeline_probe(vbx_runtime *rt, const vbx__plan *plan, vbx__probe_note_fn note, void *user,
                        vbx_error *err) {
  const vbx_pipeline *p = plan->p;
  for (size_t i = 0; i < p->n_boxes; i++) {
    const vbx__resolved_box *rb = vbx__plan_find(plan, p->boxes[i]);
    if (rb == NULL)
      return vbx__error_set(err, VBX_E_STATE, "box '%s' was not checked", p->boxes[i]->name);
    int rc = probe_box(rt, rb, note, user, err);
    if (rc != 0) return rc;
  }
  return 0;
}
