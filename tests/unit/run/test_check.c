/*
 * test_check.c - vbx_pipeline_check: unknown plugins with "did you mean"
 * hints and FILE:LINE:COLUMN positions, missing provider, options refused
 * by plugins (placed at the option's key), exporters in `observe`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "run/run.h"

static vbx_runtime *rt;

static vbx__pos at(int line, int col) {
  vbx__pos p = {"spec.yaml", line, col};
  return p;
}

/* Give option `key` of o the position line:col. */
static void key_pos(vbx__options *o, const char *key, int line, int col) {
  o->keys = realloc(o->keys, (o->n_keys + 1) * sizeof(*o->keys));
  o->keys[o->n_keys].key = strdup(key);
  o->keys[o->n_keys].pos = at(line, col);
  o->n_keys++;
}

static vbx_pipeline *one(vbx_box *b) {
  vbx_pipeline *p = vbx_pipeline_named("chk");
  vbx_pipeline_pipe(p, b);
  return p;
}

static void expect(vbx_pipeline *p, int line, int col, const char *msg) {
  vbx_error err;
  memset(&err, 0, sizeof(err));
  assert_int_equal(vbx_pipeline_check(rt, p, &err), VBX_E_SPEC);
  assert_int_equal(err.code, VBX_E_SPEC);
  assert_string_equal(err.message, msg);
  assert_int_equal(err.line, line);
  assert_int_equal(err.column, col);
  if (line) assert_string_equal(err.file, "spec.yaml");
  /* the check that keeps a plan refuses the same way and keeps none */
  vbx__plan *plan = (vbx__plan *)1;
  memset(&err, 0, sizeof(err));
  assert_int_equal(vbx__pipeline_check_plan(rt, p, &plan, &err), VBX_E_SPEC);
  assert_null(plan);
  assert_string_equal(err.message, msg);
  assert_int_equal(err.line, line);
  assert_int_equal(err.column, col);
  /* a run refuses to start the same way and produces no result */
  vbx_result *res = (vbx_result *)1;
  assert_int_equal(vbx_pipeline_run(rt, p, NULL, &res, &err), VBX_E_SPEC);
  assert_null(res);
  vbx_pipeline_free(p);
}

static void test_ok(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[]");
  vbx_box_skill(b, "fake:x");
  vbx_pipeline *p = one(b);
  vbx_error err;
  memset(&err, 0, sizeof(err));
  assert_int_equal(vbx_pipeline_check(rt, p, &err), 0);
  vbx_pipeline_free(p);
}

static void test_unknown_backend(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[]");
  vbx_box_sandbox(b, "fak");
  b->sandbox.backend_pos = at(4, 14);
  expect(one(b), 4, 14,
         "spec.yaml:4:14: unknown sandbox backend 'fak' (did you mean 'fake'?); loaded backends: "
         "fake");
}

static void test_unknown_provider_no_hint(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[]");
  vbx_box_llm(b, "anthropic", NULL);
  b->llm.provider_pos = at(7, 15);
  expect(one(b), 7, 15, "spec.yaml:7:15: unknown llm provider 'anthropic'; loaded providers: fake");
}

static void test_unknown_skill_builder(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[]");
  vbx_box_skill(b, "fale:x");
  /* no position: builder-made, the box is named instead */
  expect(one(b), 0, 0,
         "box 'a': unknown skill type 'fale' (did you mean 'fake'?); loaded skill types: fake");
}

static void test_no_provider(void **state) {
  (void)state;
  vbx_box *b = vbx_box_new("bare");
  vbx_box_sandbox(b, "fake");
  b->pos = at(2, 3);
  expect(one(b), 2, 3, "spec.yaml:2:3: box 'bare' has no llm provider (set llm.provider)");
}

static void test_llm_option_refused(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[]");
  vbx_box_llm_option(b, "temprature", "0.5");
  key_pos(&b->llm.options, "script", 8, 7);
  key_pos(&b->llm.options, "temprature", 9, 7);
  expect(one(b), 9, 7,
         "spec.yaml:9:7: llm provider 'fake' refused option 'temprature': unknown option "
         "'temprature' (known: script)");
}

static void test_sandbox_and_skill_options(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[]");
  vbx_box_sandbox_option(b, "cpu", "2");
  key_pos(&b->sandbox.options, "cpu", 5, 9);
  expect(one(b), 5, 9,
         "spec.yaml:5:9: sandbox backend 'fake' refused option 'cpu': unknown option 'cpu'");

  b = fake_box("a", "[]");
  vbx_box_skill(b, "fake:x");
  b->skills[0].pos = at(11, 7);
  b->skills[0].options.obj = json_pack("{s:b}", "bad", 1);
  key_pos(&b->skills[0].options, "bad", 12, 9);
  expect(one(b), 12, 9, "spec.yaml:12:9: skill 'fake:x': option 'bad' is bad");
}

static void note(void *user, const char *msg) { snprintf(user, 256, "%s", msg); }

/* vbx__pipeline_probe: the provider is created with the spec's directory;
 * its refusal lands at the option, a missing key is only a note. */
static void test_probe(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "\"file:no-such-script.yaml\"");
  vbx_box_base_dir(b, "/nonexistent-dir");
  key_pos(&b->llm.options, "script", 8, 7);
  vbx_pipeline *p = one(b);
  vbx_error err;
  memset(&err, 0, sizeof(err));
  vbx__plan *plan = NULL;
  assert_int_equal(vbx__pipeline_check_plan(rt, p, &plan, &err), 0);
  assert_int_equal(vbx__pipeline_probe(rt, plan, NULL, NULL, &err), VBX_E_SPEC);
  assert_string_equal(err.message,
                      "spec.yaml:8:7: llm provider 'fake' refused option 'script': "
                      "/nonexistent-dir/no-such-script.yaml: cannot open");
  assert_int_equal(err.line, 8);
  vbx__plan_free(plan);
  vbx_pipeline_free(p);

  b = fake_box("a", "\"auth\"");
  b->llm.provider_pos = at(6, 13);
  p = one(b);
  char seen[256] = "";
  assert_int_equal(vbx__pipeline_check_plan(rt, p, &plan, &err), 0);
  fake_reset();
  assert_int_equal(vbx__pipeline_probe(rt, plan, note, seen, &err), 0);
  assert_string_equal(seen, "spec.yaml:6:13: llm provider 'fake': the API key variable is not set");
  /* the probe uses the check's plan: no plugin validates again */
  assert_int_equal(fake_validations("llm"), 0);
  assert_int_equal(fake_validations("sandbox"), 0);
  vbx__plan_free(plan);
  vbx_pipeline_free(p);
}

static void test_exporter_unknown(void **state) {
  (void)state;
  vbx_pipeline *p = one(fake_box("a", "[]"));
  p->observe = json_loads("{\"exporters\":[{\"type\":\"fak\"}]}", 0, NULL);
  key_pos(&p->observe_opts, "exporters", 20, 3);
  expect(p, 20, 3,
         "spec.yaml:20:3: observe: unknown exporter 'fak' (did you mean 'fake'?); loaded "
         "exporters: fake");
  p = one(fake_box("a", "[]"));
  p->observe = json_loads("{\"exporters\":[{\"type\":\"fake\",\"endpoint\":\"x\"}]}", 0, NULL);
  expect(p, 0, 0, "observe: exporter 'fake' takes no options, but option 'endpoint' is set");
}

int main(void) {
  rt = fake_runtime();
  if (rt == NULL) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ok),
      cmocka_unit_test(test_unknown_backend),
      cmocka_unit_test(test_unknown_provider_no_hint),
      cmocka_unit_test(test_unknown_skill_builder),
      cmocka_unit_test(test_no_provider),
      cmocka_unit_test(test_llm_option_refused),
      cmocka_unit_test(test_sandbox_and_skill_options),
      cmocka_unit_test(test_exporter_unknown),
      cmocka_unit_test(test_probe),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vbx_runtime_free(rt);
  fake_reset();
  return rc;
}
