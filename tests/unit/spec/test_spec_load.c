/*
 * test_spec_load - happy paths of the spec loader: an agent spec, a
 * pipeline spec and its JSON twin (identical models), defaults merging,
 * plugin options and the positions stored for later checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "spec/spec.h"

static vbx_pipeline *load(const char *base) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", VBX_SPEC_DATA_DIR, base);
  vbx_error err = {0};
  vbx_pipeline *p = NULL;
  int rc = vbx_pipeline_load_file(path, &p, &err);
  if (rc != 0) print_error("%s\n", err.message);
  assert_int_equal(rc, 0);
  assert_non_null(p);
  assert_string_equal(p->spec_path, path);
  assert_string_equal(p->spec_dir, VBX_SPEC_DATA_DIR);
  return p;
}

static void pos_is(const vbx_pipeline *p, const vbx__pos *pos, int line, int col) {
  assert_non_null(pos);
  assert_ptr_equal(pos->file, p->spec_path);
  if (pos->line != line || pos->col != col)
    print_error("position %d:%d, want %d:%d\n", pos->line, pos->col, line, col);
  assert_int_equal(pos->line, line);
  assert_int_equal(pos->col, col);
}

static void json_is(const json_t *j, const char *text) {
  json_t *want = json_loads(text, JSON_DECODE_ANY, NULL);
  assert_non_null(want);
  if (!json_equal((json_t *)j, want)) {
    char *got = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    print_error("got %s, want %s\n", got ? got : "NULL", text);
    free(got);
  }
  assert_true(json_equal((json_t *)j, want));
  json_decref(want);
}

static void test_agent_yaml(void **state) {
  (void)state;
  vbx_pipeline *p = load("agent.yaml");
  assert_string_equal(p->kind, "agent");
  assert_string_equal(p->name, "helper");
  assert_null(p->observe);
  assert_int_equal(p->n_boxes, 1);
  assert_int_equal(p->n_stages, 1);
  vbx_box *b = p->boxes[0];
  assert_ptr_equal(p->stages[0].boxes[0], b);
  assert_int_equal(p->stages[0].n_boxes, 1);
  assert_false(p->stages[0].is_fan_out);
  assert_string_equal(p->stages[0].name, "helper");
  assert_string_equal(b->name, "helper");
  assert_string_equal(b->prompt, "Summarise the data");
  assert_string_equal(b->base_dir, VBX_SPEC_DATA_DIR);
  pos_is(p, &b->pos, 24, 3);
  assert_int_equal(b->max_turns, 4);
  assert_int_equal(b->timeout_secs, 60);
  assert_string_equal(b->output_file, "/out/result.json");
  assert_int_equal(b->error_code, 0);

  assert_int_equal(b->n_skills, 3);
  assert_string_equal(b->skills[0].type, "file");
  assert_string_equal(b->skills[0].value, "skills/helper/SKILL.md");
  pos_is(p, &b->skills[0].pos, 26, 7);
  pos_is(p, &b->skills[0].type_pos, 26, 8); /* after the quote */
  assert_string_equal(b->skills[1].type, "cli");
  assert_string_equal(b->skills[1].value, "jq");
  pos_is(p, &b->skills[1].type_pos, 27, 7);
  assert_null(b->skills[1].options.obj);
  assert_string_equal(b->skills[2].type, "mcp");
  assert_string_equal(b->skills[2].value, "server-memory");
  pos_is(p, &b->skills[2].pos, 28, 7);
  pos_is(p, &b->skills[2].type_pos, 28, 13);
  json_is(b->skills[2].options.obj, "{\"command\": \"npx\"}");
  pos_is(p, vbx__options_pos(&b->skills[2].options, "command"), 30, 7);

  const vbx__sandbox_decl *s = &b->sandbox;
  assert_string_equal(s->backend, "mock");
  pos_is(p, &s->backend_pos, 7, 12);
  pos_is(p, &s->pos, 7, 3);
  assert_int_equal(s->memory_mb, 256);
  assert_int_equal(s->vcpus, 1);
  assert_int_equal(s->network, 1);
  assert_int_equal(s->timeout_secs, 0);
  assert_int_equal(s->n_env, 2);
  assert_string_equal(s->env[0], "MODE=fast");
  assert_string_equal(s->env[1], "LEVEL=3");
  assert_null(s->env[2]);
  assert_int_equal(s->n_mounts, 2);
  assert_string_equal(s->mounts[0].host_path, "data");
  assert_string_equal(s->mounts[0].guest_path, "/data");
  assert_int_equal(s->mounts[0].read_only, 1);
  assert_int_equal(s->mounts[0].struct_size, sizeof(vbx_mount));
  assert_string_equal(s->mounts[1].host_path, "/tmp/out");
  assert_int_equal(s->mounts[1].read_only, 0);
  assert_null(s->options.obj);

  const vbx__llm_decl *l = &b->llm;
  assert_string_equal(l->provider, "mock");
  pos_is(p, &l->provider_pos, 19, 13);
  assert_string_equal(l->model, "small");
  assert_null(l->base_url);
  assert_null(l->api_key_env);
  json_is(l->options.obj, "{\"script\": \"helper.yaml\"}");
  pos_is(p, vbx__options_pos(&l->options, "script"), 21, 3);
  assert_null(vbx__options_pos(&l->options, "model"));
  vbx_pipeline_free(p);
}

static void same_options(const vbx__options *a, const vbx__options *b) {
  assert_true(a->obj == NULL ? b->obj == NULL : json_equal(a->obj, b->obj));
  assert_int_equal(a->n_keys, b->n_keys);
  for (size_t i = 0; i < a->n_keys; i++)
    assert_non_null(vbx__options_pos(b, a->keys[i].key));
}

static void same_str(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    assert_ptr_equal(a, b);
  else
    assert_string_equal(a, b);
}

static void same_box(const vbx_box *a, const vbx_box *b) {
  same_str(a->name, b->name);
  same_str(a->prompt, b->prompt);
  same_str(a->output_file, b->output_file);
  same_str(a->base_dir, b->base_dir);
  assert_int_equal(a->max_turns, b->max_turns);
  assert_int_equal(a->timeout_secs, b->timeout_secs);
  assert_int_equal(a->n_skills, b->n_skills);
  for (size_t i = 0; i < a->n_skills; i++) {
    same_str(a->skills[i].type, b->skills[i].type);
    same_str(a->skills[i].value, b->skills[i].value);
    same_options(&a->skills[i].options, &b->skills[i].options);
  }
  same_str(a->llm.provider, b->llm.provider);
  same_str(a->llm.model, b->llm.model);
  same_str(a->llm.base_url, b->llm.base_url);
  same_str(a->llm.api_key_env, b->llm.api_key_env);
  same_options(&a->llm.options, &b->llm.options);
  const vbx__sandbox_decl *x = &a->sandbox, *y = &b->sandbox;
  same_str(x->backend, y->backend);
  assert_int_equal(x->memory_mb, y->memory_mb);
  assert_int_equal(x->vcpus, y->vcpus);
  assert_int_equal(x->network, y->network);
  assert_int_equal(x->timeout_secs, y->timeout_secs);
  assert_int_equal(x->n_env, y->n_env);
  for (size_t i = 0; i < x->n_env; i++)
    assert_string_equal(x->env[i], y->env[i]);
  assert_int_equal(x->n_mounts, y->n_mounts);
  for (size_t i = 0; i < x->n_mounts; i++) {
    assert_string_equal(x->mounts[i].host_path, y->mounts[i].host_path);
    assert_string_equal(x->mounts[i].guest_path, y->mounts[i].guest_path);
    assert_int_equal(x->mounts[i].read_only, y->mounts[i].read_only);
  }
  same_options(&x->options, &y->options);
}

static void test_yaml_json_identical(void **state) {
  (void)state;
  vbx_pipeline *y = load("pipeline.yaml"), *j = load("pipeline.json");
  same_str(y->name, j->name);
  same_str(y->kind, j->kind);
  assert_true(json_equal(y->observe, j->observe));
  assert_int_equal(y->observe_opts.n_keys, j->observe_opts.n_keys);
  assert_int_equal(y->n_boxes, j->n_boxes);
  assert_int_equal(y->n_boxes, 4);
  for (size_t i = 0; i < y->n_boxes; i++)
    same_box(y->boxes[i], j->boxes[i]);
  assert_int_equal(y->max_parallel, 3);
  assert_int_equal(j->max_parallel, 3);
  assert_int_equal(y->n_stages, j->n_stages);
  for (size_t i = 0; i < y->n_stages; i++) {
    assert_string_equal(y->stages[i].name, j->stages[i].name);
    assert_int_equal(y->stages[i].is_fan_out, j->stages[i].is_fan_out);
    assert_int_equal(y->stages[i].n_boxes, j->stages[i].n_boxes);
    for (size_t k = 0; k < y->stages[i].n_boxes; k++)
      assert_string_equal(y->stages[i].boxes[k]->name, j->stages[i].boxes[k]->name);
  }
  /* JSON positions are real too. */
  pos_is(j, &j->boxes[2]->llm.provider_pos, 23, 28);
  vbx_pipeline_free(y);
  vbx_pipeline_free(j);
}

static void test_defaults_merged(void **state) {
  (void)state;
  vbx_pipeline *p = load("pipeline.yaml");
  assert_string_equal(p->kind, "pipeline");
  vbx_box *data = p->boxes[0], *sent = p->boxes[1], *risk = p->boxes[2], *strat = p->boxes[3];
  assert_ptr_equal(vbx__pipeline_find_box(p, "risk"), risk);
  assert_null(vbx__pipeline_find_box(p, "nope"));

  /* data: top-level blocks only, plus its own llm option. */
  assert_string_equal(data->sandbox.backend, "mock");
  pos_is(p, &data->sandbox.backend_pos, 6, 12);
  assert_int_equal(data->sandbox.memory_mb, 256);
  assert_int_equal(data->sandbox.network, 0);
  assert_int_equal(data->sandbox.n_env, 2);
  assert_string_equal(data->sandbox.env[0], "REGION=eu");
  assert_string_equal(data->sandbox.env[1], "DEBUG=1");
  json_is(data->sandbox.options.obj,
          "{\"commands\": [{\"match\": \"fetch *\", \"stdout\": \"ok\\n\"}], \"delay_ms\": 5}");
  pos_is(p, vbx__options_pos(&data->sandbox.options, "commands"), 9, 3);
  pos_is(p, vbx__options_pos(&data->sandbox.options, "delay_ms"), 11, 3);
  assert_string_equal(data->llm.provider, "mock");
  pos_is(p, &data->llm.provider_pos, 14, 13);
  assert_string_equal(data->llm.model, "base-model");
  json_is(data->llm.options.obj, "{\"temperature\": 0.5, \"script\": \"data.yaml\"}");
  pos_is(p, vbx__options_pos(&data->llm.options, "temperature"), 16, 3);
  pos_is(p, vbx__options_pos(&data->llm.options, "script"), 28, 13);
  assert_int_equal(data->max_turns, 10);
  pos_is(p, &data->pos, 25, 7);

  /* sentiment: its own sandbox and llm keys override key by key. */
  assert_int_equal(sent->sandbox.memory_mb, 1024);
  assert_int_equal(sent->sandbox.network, 1);
  assert_int_equal(sent->sandbox.vcpus, 1);
  assert_int_equal(sent->sandbox.n_env, 2);
  assert_string_equal(sent->sandbox.env[0], "REGION=eu");
  assert_string_equal(sent->sandbox.env[1], "DEBUG=0");
  json_is(sent->sandbox.options.obj,
          "{\"commands\": [{\"match\": \"fetch *\", \"stdout\": \"ok\\n\"}], \"delay_ms\": 10,"
          " \"barrier\": {\"name\": \"fan\", \"parties\": 2}}");
  pos_is(p, vbx__options_pos(&sent->sandbox.options, "commands"), 9, 3);
  pos_is(p, vbx__options_pos(&sent->sandbox.options, "delay_ms"), 35, 9);
  pos_is(p, vbx__options_pos(&sent->sandbox.options, "barrier"), 36, 9);
  pos_is(p, &sent->sandbox.pos, 32, 9);
  assert_string_equal(sent->llm.provider, "mock");
  assert_string_equal(sent->llm.model, "big-model");
  json_is(sent->llm.options.obj, "{\"temperature\": 0.5, \"script\": \"sentiment.yaml\"}");

  /* risk: another provider, its position at the box's own key. */
  assert_string_equal(risk->llm.provider, "other");
  pos_is(p, &risk->llm.provider_pos, 43, 23);
  assert_string_equal(risk->llm.model, "base-model");
  assert_int_equal(risk->max_turns, 3);

  /* strategy: nothing of its own but its fields. */
  json_is(strat->llm.options.obj, "{\"temperature\": 0.5}");
  assert_string_equal(strat->output_file, "/out/plan.json");
  assert_int_equal(strat->timeout_secs, 120);
  assert_int_equal(strat->n_skills, 0);

  /* Stages borrow boxes; one box may appear in two stages. */
  assert_int_equal(p->n_stages, 4);
  assert_string_equal(p->stages[0].name, "data");
  pos_is(p, &p->stages[0].pos, 49, 7);
  assert_true(p->stages[1].is_fan_out);
  assert_string_equal(p->stages[1].name, "fan_out[sentiment,risk]");
  assert_ptr_equal(p->stages[1].boxes[0], sent);
  assert_ptr_equal(p->stages[1].boxes[1], risk);
  assert_ptr_equal(p->stages[2].boxes[0], strat);
  assert_ptr_equal(p->stages[3].boxes[0], data);

  /* observe: the block as JSON and positions by path. */
  json_is(p->observe,
          "{\"exporters\": [{\"type\": \"otlp\", \"endpoint\": \"http://127.0.0.1:4318\"}]}");
  pos_is(p, vbx__options_pos(&p->observe_opts, "observe"), 18, 1);
  pos_is(p, vbx__options_pos(&p->observe_opts, "exporters"), 19, 3);
  pos_is(p, vbx__options_pos(&p->observe_opts, "exporters[0]"), 20, 7);
  pos_is(p, vbx__options_pos(&p->observe_opts, "exporters[0].type"), 20, 13);
  pos_is(p, vbx__options_pos(&p->observe_opts, "exporters[0].endpoint"), 21, 7);
  vbx_pipeline_free(p);
}

static void test_format_sniffing_and_dirs(void **state) {
  (void)state;
  vbx_pipeline *p = load("sniffed.spec");
  assert_string_equal(p->name, "sniffed");
  assert_string_equal(p->boxes[0]->prompt, "hi");
  vbx_pipeline_free(p);

  const char *text = "api_version: v1\nkind: agent\nname: a\nagent: {prompt: x}\n";
  vbx_error err = {0};
  assert_int_equal(vbx__spec_load_buffer(text, strlen(text), "x.yaml", 0, &p, &err), 0);
  assert_string_equal(p->spec_dir, ".");
  assert_string_equal(p->boxes[0]->base_dir, ".");
  /* defaults of the model when no block sets them */
  assert_string_equal(p->boxes[0]->sandbox.backend, "mock");
  assert_int_equal(p->boxes[0]->sandbox.memory_mb, 512);
  assert_null(p->boxes[0]->llm.provider);
  pos_is(p, &p->boxes[0]->llm.provider_pos, 4, 8); /* falls back to the box */
  vbx_pipeline_free(p);
  assert_int_equal(vbx__spec_load_buffer(text, strlen(text), "a/b/x.yaml", 0, &p, &err), 0);
  assert_string_equal(p->spec_dir, "a/b");
  assert_string_equal(p->boxes[0]->base_dir, "a/b");
  vbx_pipeline_free(p);

  /* Quoted scalars stay strings; typed options keep their JSON types. */
  text =
      "api_version: \"v1\"\nkind: agent\nname: '123'\nagent: {prompt: \"42\"}\n"
      "llm: {provider: mock, n: 0x10, f: 1.5, t: true, z: ~, s: \"7\", o: 0o17}\n";
  assert_int_equal(vbx__spec_load_buffer(text, strlen(text), "q.yaml", 0, &p, &err), 0);
  assert_string_equal(p->name, "123");
  assert_string_equal(p->boxes[0]->prompt, "42");
  json_is(p->boxes[0]->llm.options.obj,
          "{\"n\": 16, \"f\": 1.5, \"t\": true, \"z\": null, \"s\": \"7\", \"o\": 15}");
  vbx_pipeline_free(p);
}

/* sandbox.network: a boolean, or a policy map kept as normalized JSON. */
static void test_network_policy(void **state) {
  (void)state;
  vbx_pipeline *p;
  vbx_error err = {0};
  const char *text =
      "api_version: v1\nkind: agent\nname: a\nagent: {prompt: x}\n"
      "sandbox:\n  network:\n    rate_limit_kbps: 800\n"
      "    allow: ['*.Example.com:443', 10.1.0.0/16, '[2001:db8::/32]:80-90']\n"
      "    deny: [169.254.169.254]\n    dns: ['127.0.0.1:5353']\n"
      "    max_connections: 8\n";
  assert_int_equal(vbx__spec_load_buffer(text, strlen(text), "n.yaml", 0, &p, &err), 0);
  const vbx__sandbox_decl *s = &p->boxes[0]->sandbox;
  assert_int_equal(s->network, 1);
  assert_string_equal(
      s->network_policy,
      "{\"allow\":[\"*.Example.com:443\",\"10.1.0.0/16\",\"[2001:db8::/32]:80-90\"],"
      "\"deny\":[\"169.254.169.254\"],\"dns\":[\"127.0.0.1:5353\"],"
      "\"max_connections\":8,\"rate_limit_kbps\":800}");
  vbx_pipeline_free(p);
  text = "api_version: v1\nkind: agent\nname: a\nagent: {prompt: x}\nsandbox: {network: true}\n";
  assert_int_equal(vbx__spec_load_buffer(text, strlen(text), "n.yaml", 0, &p, &err), 0);
  assert_int_equal(p->boxes[0]->sandbox.network, 1);
  assert_null(p->boxes[0]->sandbox.network_policy); /* the default policy */
  vbx_pipeline_free(p);
}

static void test_missing_file(void **state) {
  (void)state;
  vbx_error err = {0};
  vbx_pipeline *p = (vbx_pipeline *)1;
  assert_int_equal(vbx_pipeline_load_file("/nonexistent/x.yaml", &p, &err), VBX_E_NOTFOUND);
  assert_null(p);
  assert_non_null(strstr(err.message, "/nonexistent/x.yaml: cannot open"));
  assert_int_equal(vbx_pipeline_load_file(VBX_SPEC_DATA_DIR, &p, &err), VBX_E_IO);
  assert_non_null(strstr(err.message, "not a regular file"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_agent_yaml),      cmocka_unit_test(test_yaml_json_identical),
      cmocka_unit_test(test_defaults_merged), cmocka_unit_test(test_format_sniffing_and_dirs),
      cmocka_unit_test(test_network_policy),  cmocka_unit_test(test_missing_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
