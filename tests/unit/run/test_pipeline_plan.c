/*
 * test_pipeline_plan.c - a box's plugins are resolved and validated once
 * per run: by the check, whose plan (run/plan.h) the run and the engine
 * use. Counted with the fake plugins' validate calls (fake_validations):
 * before the plan, vbx_pipeline_run validated every box once in its check
 * plus once per stage that ran it, and the CLI's supervised run checked
 * once more before that.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "run/plan.h"

static vbx_runtime *rt;

static int setup(void **state) {
  (void)state;
  fake_reset();
  return 0;
}

/* a (two skills) -> fan_out[b, c] -> a again: three distinct boxes, four
 * box runs, two skill declarations. */
static vbx_pipeline *diamond(void) {
  vbx_box *a = fake_box("a", "[{\"echo\":\"A\"}]");
  vbx_box_skill(a, "fake:x");
  vbx_box_skill(a, "fake:y");
  vbx_box *fo[2] = {fake_box("b", "[{\"echo\":\"B\"}]"), fake_box("c", "[{\"echo\":\"C\"}]")};
  vbx_pipeline *p = vbx_pipeline_named("plan");
  vbx_pipeline_pipe(p, a);
  vbx_pipeline_fan_out(p, fo, 2);
  vbx_pipeline_pipe(p, a);
  return p;
}

static void expect_validations(int sandbox, int llm, int skill) {
  assert_int_equal(fake_validations("sandbox"), sandbox);
  assert_int_equal(fake_validations("llm"), llm);
  assert_int_equal(fake_validations("skill"), skill);
}

static size_t log_count(const char *line) {
  size_t n = 0;
  for (size_t i = 0; i < fake_log_count(); i++)
    n += strcmp(fake_log_at(i), line) == 0;
  return n;
}

/* vbx_pipeline_run: its own check validates each box once; the four box
 * runs (a twice) validate nothing. */
static void test_run_validates_once_per_box(void **state) {
  (void)state;
  vbx_pipeline *p = diamond();
  vbx_result *res = NULL;
  vbx_error err;
  memset(&err, 0, sizeof(err));
  assert_int_equal(vbx_pipeline_run(rt, p, NULL, &res, &err), 0);
  assert_int_equal(vbx_result_status(res), VBX_STATUS_OK);
  assert_int_equal(log_count("sandbox.create:a"), 2); /* a ran twice */
  expect_validations(3, 3, 2);
  vbx_result_free(res);
  vbx_pipeline_free(p);
}

/* The CLI's way: check once keeping the plan, run from it (twice here):
 * nothing is validated after the check. */
static void test_plan_reused_by_runs(void **state) {
  (void)state;
  vbx_pipeline *p = diamond();
  vbx__plan *plan = NULL;
  vbx_error err;
  memset(&err, 0, sizeof(err));
  assert_int_equal(vbx__pipeline_check_plan(rt, p, &plan, &err), 0);
  assert_non_null(plan);
  assert_int_equal(plan->n_boxes, 3);
  /* both stages that run `a` use one record */
  assert_ptr_equal(vbx__plan_box(plan, 0, 0), vbx__plan_box(plan, 2, 0));
  assert_ptr_equal(vbx__plan_box(plan, 1, 1)->box, p->stages[1].boxes[1]);
  expect_validations(3, 3, 2);
  for (int i = 0; i < 2; i++) {
    vbx_result *res = NULL;
    assert_int_equal(vbx__pipeline_run_plan(rt, plan, NULL, &res, &err), 0);
    assert_string_equal(vbx_result_text(res), "A[### b\nB[A[none]]\n\n### c\nC[A[none]]]");
    vbx_result_free(res);
  }
  expect_validations(3, 3, 2);
  vbx__plan_free(plan);
  vbx_pipeline_free(p);
}

/* A box a stage holds but the pipeline does not list is checked once too,
 * however many stages hold it. */
static void test_unlisted_box_once(void **state) {
  (void)state;
  vbx_pipeline *p = vbx_pipeline_named("unlisted");
  vbx_box *a = fake_box("a", "[{\"text\":\"ok\"}]");
  vbx_pipeline_pipe(p, a);
  vbx_pipeline_pipe(p, a);
  p->n_boxes = 0; /* as a builder adding stages directly leaves it */
  vbx__plan *plan = NULL;
  vbx_error err;
  memset(&err, 0, sizeof(err));
  assert_int_equal(vbx__pipeline_check_plan(rt, p, &plan, &err), 0);
  assert_int_equal(plan->n_boxes, 1);
  expect_validations(1, 1, 0);
  vbx__plan_free(plan);
  p->n_boxes = 1;
  vbx_pipeline_free(p);
}

int main(void) {
  rt = fake_runtime();
  if (rt == NULL) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_run_validates_once_per_box, setup),
      cmocka_unit_test_setup(test_plan_reused_by_runs, setup),
      cmocka_unit_test_setup(test_unlisted_box_once, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vbx_runtime_free(rt);
  fake_reset();
  return rc;
}
