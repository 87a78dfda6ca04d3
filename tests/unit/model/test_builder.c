/*
 * test_builder - the C builder API (vbx_box_*, vbx_pipeline_*): defaults,
 * chains, sticky errors and ownership; and the model helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/model_util.h"

static void test_box_defaults(void **state) {
  (void)state;
  vbx_box *b = vbx_box_new("a");
  assert_non_null(b);
  assert_string_equal(b->name, "a");
  assert_string_equal(b->sandbox.backend, "mock");
  assert_int_equal(b->sandbox.memory_mb, 512);
  assert_int_equal(b->sandbox.vcpus, 1);
  assert_int_equal(b->sandbox.network, 0);
  assert_int_equal(b->max_turns, 10);
  assert_int_equal(b->timeout_secs, 0);
  assert_string_equal(b->base_dir, ".");
  assert_null(b->prompt);
  assert_null(b->llm.provider);
  assert_null(b->pos.file);
  assert_int_equal(b->error_code, 0);
  assert_null(b->error);
  vbx_box_free(b);
}

static void test_box_chain(void **state) {
  (void)state;
  vbx_box *b = vbx_box_new("analyst");
  vbx_box *r = vbx_box_base_dir(
      vbx_box_timeout_secs(
          vbx_box_max_turns(
              vbx_box_env(
                  vbx_box_env(
                      vbx_box_network(
                          vbx_box_vcpus(
                              vbx_box_memory_mb(
                                  vbx_box_sandbox_option(
                                      vbx_box_sandbox(
                                          vbx_box_llm_option(
                                              vbx_box_llm(vbx_box_skill(
                                                              vbx_box_skill(vbx_box_prompt(b, "go"),
                                                                            "file:a:b"),
                                                              "shell:"),
                                                          "mock", "m1"),
                                              "script", "\"s.yaml\""),
                                          "local"),
                                      "barrier", "{\"parties\": 2}"),
                                  64),
                              2),
                          1),
                      "A", "1"),
                  "A", "2"),
              5),
          30),
      "/srv");
  assert_ptr_equal(r, b);
  assert_int_equal(b->error_code, 0);
  assert_string_equal(b->prompt, "go");
  assert_int_equal(b->n_skills, 2);
  assert_string_equal(b->skills[0].type, "file");
  assert_string_equal(b->skills[0].value, "a:b");
  assert_string_equal(b->skills[1].type, "shell");
  assert_null(b->skills[1].value);
  assert_string_equal(b->llm.provider, "mock");
  assert_string_equal(b->llm.model, "m1");
  assert_string_equal(json_string_value(json_object_get(b->llm.options.obj, "script")), "s.yaml");
  assert_null(vbx__options_pos(&b->llm.options, "script"));
  assert_string_equal(b->sandbox.backend, "local");
  assert_int_equal(json_integer_value(json_object_get(
                       json_object_get(b->sandbox.options.obj, "barrier"), "parties")),
                   2);
  assert_int_equal(b->sandbox.memory_mb, 64);
  assert_int_equal(b->sandbox.vcpus, 2);
  assert_int_equal(b->sandbox.network, 1);
  assert_int_equal(b->sandbox.n_env, 1); /* A replaced, not appended */
  assert_string_equal(b->sandbox.env[0], "A=2");
  assert_null(b->sandbox.env[1]);
  assert_int_equal(b->max_turns, 5);
  assert_int_equal(b->timeout_secs, 30);
  assert_string_equal(b->base_dir, "/srv");
  /* llm with a NULL model resets it to the provider default */
  vbx_box_llm(b, "other", NULL);
  assert_null(b->llm.model);
  vbx_box_free(b);
}

static void test_sticky_errors(void **state) {
  (void)state;
  vbx_box *b = vbx_box_new("a");
  assert_ptr_equal(vbx_box_skill(b, "Bad:x"), b);
  assert_int_equal(b->error_code, VBX_E_INVAL);
  assert_non_null(strstr(b->error, "malformed skill 'Bad:x'"));
  /* later failures do not replace the first; later good calls apply */
  vbx_box_llm_option(b, "k", "{not json");
  vbx_box_memory_mb(b, 1);
  vbx_box_prompt(b, "still applied");
  assert_int_equal(b->error_code, VBX_E_INVAL);
  assert_non_null(strstr(b->error, "malformed skill"));
  assert_string_equal(b->prompt, "still applied");
  assert_int_equal(b->sandbox.memory_mb, 512);
  vbx_box_free(b);

  b = vbx_box_llm_option(vbx_box_new("a"), "k", "{not json");
  assert_int_equal(b->error_code, VBX_E_INVAL);
  assert_non_null(strstr(b->error, "llm option 'k': value is not valid JSON"));
  vbx_box_free(b);

  b = vbx_box_sandbox_option(vbx_box_new("a"), "k", "");
  assert_non_null(strstr(b->error, "sandbox option 'k': value is not valid JSON"));
  vbx_box_free(b);

  const struct {
    vbx_box *(*fn)(vbx_box *, uint32_t);
    uint32_t v;
    const char *msg;
  } ranges[] = {{vbx_box_memory_mb, 8, "memory_mb must be between 16 and 1048576, got 8"},
                {vbx_box_vcpus, 0, "vcpus must be between 1 and 64, got 0"},
                {vbx_box_max_turns, 1001, "max_turns must be between 1 and 1000, got 1001"},
                {vbx_box_timeout_secs, 86401, "timeout_secs must be between 0 and 86400"}};
  for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
    b = ranges[i].fn(vbx_box_new("a"), ranges[i].v);
    assert_int_equal(b->error_code, VBX_E_INVAL);
    assert_non_null(strstr(b->error, ranges[i].msg));
    vbx_box_free(b);
  }

  b = vbx_box_env(vbx_box_new("a"), "1X", "v");
  assert_non_null(strstr(b->error, "invalid environment variable name '1X'"));
  vbx_box_free(b);
  b = vbx_box_new("bad name");
  assert_non_null(strstr(b->error, "invalid box name 'bad name'"));
  vbx_box_free(b);
  b = vbx_box_new(NULL);
  assert_int_equal(b->error_code, VBX_E_INVAL);
  vbx_box_free(b);
  b = vbx_box_llm(vbx_box_new("a"), NULL, "m");
  assert_non_null(strstr(b->error, "provider is NULL"));
  vbx_box_free(b);
}

static void test_llm_endpoint_and_key_env(void **state) {
  (void)state;
  vbx_box *b = vbx_box_new("a");
  vbx_box_llm(b, "openai", "gpt-x");
  assert_ptr_equal(vbx_box_llm_base_url(b, "http://127.0.0.1:8080"), b);
  assert_ptr_equal(vbx_box_llm_api_key_env(b, "MY_KEY"), b);
  assert_string_equal(b->llm.base_url, "http://127.0.0.1:8080");
  assert_string_equal(b->llm.api_key_env, "MY_KEY");
  assert_int_equal(b->error_code, 0);
  /* NULL restores the provider default. */
  vbx_box_llm_base_url(b, NULL);
  assert_null(b->llm.base_url);
  vbx_box_llm_api_key_env(b, "BAD-NAME");
  assert_int_equal(b->error_code, VBX_E_INVAL);
  assert_non_null(strstr(b->error, "'BAD-NAME' is not an environment variable name"));
  assert_string_equal(b->llm.api_key_env, "MY_KEY");
  vbx_box_free(b);
  assert_null(vbx_box_llm_base_url(NULL, "x"));
  assert_null(vbx_box_llm_api_key_env(NULL, "X"));
}

static void test_network_policy(void **state) {
  (void)state;
  vbx_box *b = vbx_box_network_policy(vbx_box_new("n"), "{\"allow\":[\"api.example.com:443\"]}");
  assert_int_equal(b->error_code, 0);
  assert_int_equal(b->sandbox.network, 1);
  assert_string_equal(b->sandbox.network_policy, "{\"allow\":[\"api.example.com:443\"]}");
  vbx_box_free(b);
  b = vbx_box_network_policy(vbx_box_new("n"), "{\"allow\":[\"10.0.0.0/99\"]}");
  assert_int_equal(b->error_code, VBX_E_INVAL);
  assert_non_null(strstr(b->error, "allow[0]: prefix length '/99' must be a number from 0 to 32"));
  assert_int_equal(b->sandbox.network, 0);
  vbx_box_free(b);
}

static void test_null_box(void **state) {
  (void)state;
  assert_null(vbx_box_prompt(NULL, "x"));
  assert_null(vbx_box_skill(NULL, "file:x"));
  assert_null(vbx_box_llm(NULL, "mock", NULL));
  assert_null(vbx_box_llm_option(NULL, "k", "1"));
  assert_null(vbx_box_sandbox(NULL, "mock"));
  assert_null(vbx_box_sandbox_option(NULL, "k", "1"));
  assert_null(vbx_box_memory_mb(NULL, 64));
  assert_null(vbx_box_vcpus(NULL, 1));
  assert_null(vbx_box_network(NULL, 1));
  assert_null(vbx_box_network_policy(NULL, "{}"));
  assert_null(vbx_box_env(NULL, "A", "b"));
  assert_null(vbx_box_max_turns(NULL, 1));
  assert_null(vbx_box_timeout_secs(NULL, 1));
  assert_null(vbx_box_base_dir(NULL, "."));
  vbx_box_free(NULL);
  vbx_pipeline_free(NULL);
}

static void test_pipeline_build(void **state) {
  (void)state;
  vbx_pipeline *p = vbx_pipeline_named("demo");
  assert_string_equal(p->name, "demo");
  assert_string_equal(p->kind, "pipeline");
  assert_string_equal(p->spec_dir, ".");
  assert_null(p->spec_path);
  vbx_box *a = vbx_box_prompt(vbx_box_new("a"), "x");
  vbx_box *fan[2] = {vbx_box_new("b"), vbx_box_new("c")};
  assert_ptr_equal(vbx_pipeline_pipe(p, a), p);
  assert_ptr_equal(vbx_pipeline_fan_out(p, fan, 2), p);
  vbx_pipeline_pipe(p, a); /* the same box again: a second stage, one owner */
  assert_int_equal(p->error_code, 0);
  assert_int_equal(p->n_boxes, 3);
  assert_int_equal(p->n_stages, 3);
  assert_string_equal(p->stages[0].name, "a");
  assert_false(p->stages[0].is_fan_out);
  assert_string_equal(p->stages[1].name, "fan_out[b,c]");
  assert_true(p->stages[1].is_fan_out);
  assert_int_equal(p->stages[1].n_boxes, 2);
  assert_ptr_equal(p->stages[1].boxes[1], fan[1]);
  assert_ptr_equal(p->stages[2].boxes[0], a);
  assert_ptr_equal(vbx__pipeline_find_box(p, "c"), fan[1]);
  vbx_pipeline_free(p);
}

static void test_pipeline_errors(void **state) {
  (void)state;
  /* a box's sticky error is inherited when the box is added */
  vbx_pipeline *p = vbx_pipeline_named("p");
  vbx_pipeline_pipe(p, vbx_box_skill(vbx_box_new("a"), "nocolon"));
  assert_int_equal(p->error_code, VBX_E_INVAL);
  assert_non_null(strstr(p->error, "box 'a': malformed skill 'nocolon'"));
  vbx_pipeline_pipe(p, NULL); /* the first error stays */
  assert_non_null(strstr(p->error, "box 'a'"));
  vbx_pipeline_free(p);

  p = vbx_pipeline_pipe(vbx_pipeline_named("p"), NULL);
  assert_int_equal(p->error_code, VBX_E_INVAL);
  assert_non_null(strstr(p->error, "box is NULL"));
  vbx_pipeline_free(p);

  p = vbx_pipeline_named("p");
  vbx_pipeline_pipe(p, vbx_box_new("a"));
  vbx_pipeline_pipe(p, vbx_box_new("a")); /* owned (no leak) but refused */
  assert_int_equal(p->error_code, VBX_E_EXISTS);
  assert_non_null(strstr(p->error, "duplicate box name 'a'"));
  assert_int_equal(p->n_stages, 1);
  vbx_pipeline_free(p);

  p = vbx_pipeline_fan_out(vbx_pipeline_named("p"), NULL, 0);
  assert_non_null(strstr(p->error, "no boxes"));
  vbx_pipeline_free(p);

  vbx_box *same = vbx_box_new("s");
  vbx_box *twice[2] = {same, same};
  p = vbx_pipeline_fan_out(vbx_pipeline_named("p"), twice, 2);
  assert_int_equal(p->error_code, VBX_E_EXISTS);
  assert_int_equal(p->n_stages, 0);
  assert_int_equal(p->n_boxes, 1);
  vbx_pipeline_free(p);

  p = vbx_pipeline_named("no good");
  assert_non_null(strstr(p->error, "invalid pipeline name 'no good'"));
  vbx_pipeline_free(p);

  /* With no pipeline the boxes are still freed (ASan checks the leak). */
  assert_null(vbx_pipeline_pipe(NULL, vbx_box_new("x")));
  vbx_box *two[2] = {vbx_box_new("x"), vbx_box_new("y")};
  assert_null(vbx_pipeline_fan_out(NULL, two, 2));
}

static void test_options_helpers(void **state) {
  (void)state;
  vbx__options a = {0}, b = {0};
  vbx__pos p1 = {"f", 1, 2}, p2 = {"f", 3, 4};
  assert_int_equal(vbx__options_set(&a, "x", json_integer(1), &p1), 0);
  assert_int_equal(vbx__options_set(&a, "y", json_integer(2), &p1), 0);
  assert_int_equal(vbx__options_set(&b, "x", json_integer(9), &p2), 0);
  assert_int_equal(vbx__options_set(&b, "z", json_integer(3), NULL), 0);
  assert_int_equal(vbx__options_merge(&a, &b), 0);
  assert_int_equal(json_integer_value(json_object_get(a.obj, "x")), 9);
  assert_int_equal(vbx__options_pos(&a, "x")->line, 3);
  assert_int_equal(vbx__options_pos(&a, "y")->line, 1);
  assert_null(vbx__options_pos(&a, "z"));
  assert_int_equal(json_object_size(a.obj), 3);
  /* a builder value replacing a positioned one drops the stale position */
  assert_int_equal(vbx__options_set(&a, "y", json_integer(5), NULL), 0);
  assert_null(vbx__options_pos(&a, "y"));
  assert_int_equal(a.n_keys, 1);
  vbx__options_clear(&a);
  vbx__options_clear(&b);
  assert_null(a.obj);
  assert_int_equal(a.n_keys, 0);

  char *t, *v;
  assert_int_equal(vbx__skill_split("mcp:npx x:y", &t, &v), 0);
  assert_string_equal(t, "mcp");
  assert_string_equal(v, "npx x:y");
  free(t);
  free(v);
  assert_int_equal(vbx__skill_split(":x", &t, &v), VBX_E_INVAL);
  assert_int_equal(vbx__skill_split("a b:x", &t, &v), VBX_E_INVAL);
  assert_null(t);
  assert_true(vbx__env_name_valid("_A1"));
  assert_false(vbx__env_name_valid("A-B"));
  assert_true(vbx__name_valid("a.b-c_1"));
  assert_false(vbx__name_valid(""));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_box_defaults),
      cmocka_unit_test(test_box_chain),
      cmocka_unit_test(test_sticky_errors),
      cmocka_unit_test(test_null_box),
      cmocka_unit_test(test_network_policy),
      cmocka_unit_test(test_pipeline_build),
      cmocka_unit_test(test_pipeline_errors),
      cmocka_unit_test(test_options_helpers),
      cmocka_unit_test(test_llm_endpoint_and_key_env),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
