/*
 * run/plan.c - the records of a checked pipeline (plan.h): one resolved
 * box per distinct box, where each stage's boxes find theirs, the
 * exporters' implementations.
 */
#include "run/plan.h"

#include <stdlib.h>
#include <string.h>

vbx__plan *vbx__plan_new(const vbx_pipeline *p) {
  size_t slots = 0;
  for (size_t i = 0; i < p->n_stages; i++)
    slots += p->stages[i].n_boxes;
  vbx__plan *plan = calloc(1, sizeof(*plan));
  if (plan == NULL) return NULL;
  plan->p = p;
  plan->cap_boxes = p->n_boxes + slots;
  plan->boxes = calloc(plan->cap_boxes ? plan->cap_boxes : 1, sizeof(*plan->boxes));
  plan->slots = calloc(slots ? slots : 1, sizeof(*plan->slots));
  plan->first = calloc(p->n_stages ? p->n_stages : 1, sizeof(*plan->first));
  if (plan->boxes == NULL || plan->slots == NULL || plan->first == NULL) {
    vbx__plan_free(plan);
    return NULL;
  }
  for (size_t i = 1; i < p->n_stages; i++)
    plan->first[i] = plan->first[i - 1] + p->stages[i - 1].n_boxes;
  return plan;
}

const vbx__resolved_box *vbx__plan_find(const vbx__plan *plan, const vbx_box *box) {
  for (size_t i = 0; i < plan->n_boxes; i++)
    if (plan->boxes[i].box == box) return &plan->boxes[i];
  return NULL;
}

vbx__resolved_box *vbx__plan_next(vbx__plan *plan) {
  if (plan->n_boxes >= plan->cap_boxes) return NULL;
  vbx__resolved_box *rb = &plan->boxes[plan->n_boxes];
  memset(rb, 0, sizeof(*rb));
  return rb;
}

void vbx__plan_commit(vbx__plan *plan) {
  if (plan->n_boxes < plan->cap_boxes) plan->n_boxes++;
}

void vbx__plan_place(vbx__plan *plan, size_t stage, size_t idx, const vbx__resolved_box *rb) {
  plan->slots[plan->first[stage] + idx] = rb;
}

const vbx__resolved_box *vbx__plan_box(const vbx__plan *plan, size_t stage, size_t idx) {
  return plan->slots[plan->first[stage] + idx];
}

void vbx__plan_free(vbx__plan *plan) {
  if (plan == NULL) return;
  free(plan->boxes);
  free(plan->slots);
  free(plan->first);
  free(plan->exporters);
  free(plan);
}
