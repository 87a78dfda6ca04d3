/*
 * test_engine.c - the native agent loop of one box against in-process fake
 * plugins: built-in tools, skill tools, errors, limits, output_file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "engine/engine.h"
#include "engine/internal.h"

static vbx_runtime *rt;
static recorder rec;

/* The box resolved and validated as vbx_pipeline_check does it. */
static vbx__resolved_box prepared(const vbx_box *box) {
  vbx__resolved_box rb;
  vbx__box_issue issue;
  memset(&issue, 0, sizeof(issue));
  int rc = vbx__box_prepare(rt->reg, box, NULL, &rt->cancel, &rb, &issue);
  if (rc != 0) fail_msg("prepare '%s': %s", box->name, issue.message);
  return rb;
}

static int run_box(vbx_box *box, const char *input, vbx_box_result *res) {
  vbx__resolved_box rb = prepared(box);
  vbx__engine_env env;
  memset(&env, 0, sizeof(env));
  env.rt_cancel = &rt->cancel;
  env.on_stream = rec_stream;
  env.stream_user = &rec;
  env.emit = (vbx__emit_fn)rec_event;
  env.emit_user = &rec;
  assert_int_equal(vbx__box_result_init(res, box->name), 0);
  return vbx__engine_run_box(&env, &rb, input, res);
}

static int setup(void **state) {
  (void)state;
  fake_reset();
  rec_init(&rec);
  return 0;
}

static void test_builtin_tools(void **state) {
  (void)state;
  vbx_box *b =
      fake_box("a",
               "["
               "{\"tool\":\"bash\",\"input\":{\"command\":\"echo hi\"}},"
               "{\"tool\":\"write_file\",\"input\":{\"path\":\"/a.txt\",\"content\":\"hello\"}},"
               "{\"tool\":\"read_file\",\"input\":{\"path\":\"/a.txt\"}},"
               "{\"tool\":\"bash\",\"input\":{\"command\":\"fail\"}},"
               "{\"text\":\"done\"}]");
  vbx_box_result res;
  assert_int_equal(run_box(b, NULL, &res), 0);
  assert_int_equal(res.status, VBX_STATUS_OK);
  assert_null(res.error);
  assert_string_equal(res.output, "done");
  assert_int_equal(res.turns, 5);
  assert_int_equal(res.input_tokens, 50);
  assert_int_equal(res.output_tokens, 25);
  assert_true(res.cost_usd > 1.249 && res.cost_usd < 1.251);
  assert_string_equal(res.model, "fake-1");
  assert_int_equal(res.n_calls, 4);
  assert_string_equal(res.calls[0].name, "bash");
  assert_string_equal(res.calls[0].input, "{\"command\":\"echo hi\"}");
  assert_string_equal(res.calls[0].output, "hi\n");
  assert_false(res.calls[0].is_error);
  assert_string_equal(res.calls[1].output, "wrote 5 bytes to /a.txt");
  assert_string_equal(res.calls[2].output, "hello");
  assert_string_equal(res.calls[3].output, "boom\nexit code 3");
  assert_true(res.calls[3].is_error);
  /* stream: stdout, stderr, then the final text in two chunks */
  assert_int_equal(rec.n_chunks, 4);
  assert_int_equal(rec.chunks[0].kind, VBX_OUT_TOOL_STDOUT);
  assert_string_equal(rec.chunks[0].data, "hi\n");
  assert_int_equal(rec.chunks[1].kind, VBX_OUT_TOOL_STDERR);
  assert_string_equal(rec.chunks[1].data, "boom\n");
  assert_int_equal(rec.chunks[2].kind, VBX_OUT_TEXT);
  assert_string_equal(rec.chunks[2].data, "do");
  assert_string_equal(rec.chunks[3].data, "ne");
  /* Each tool call is announced (RUNNING) and then reported. */
  assert_int_equal(rec_count(&rec, VBX_EV_TOOL_CALL), 8);
  assert_int_equal(rec_count_status(&rec, VBX_EV_TOOL_CALL, VBX_STATUS_RUNNING), 4);
  assert_int_equal(rec_count(&rec, VBX_EV_LLM_TURN), 5);
  /* the tool list offered and the teardown order */
  assert_true(fake_log_find("tools:a:bash,read_file,write_file,") >= 0);
  int lp = fake_log_find("llm.destroy:a"), sb = fake_log_find("sandbox.destroy:a");
  assert_true(lp >= 0 && sb > lp);
  vbx__box_result_clear(&res);
  vbx_box_free(b);
}

static void test_unknown_tool_and_bad_input(void **state) {
  (void)state;
  vbx_box *b = fake_box("a",
                        "[{\"tool\":\"nope\",\"input\":{}},"
                        "{\"tool\":\"bash\",\"input\":{\"cmd\":1}},"
                        "{\"tools\":[[\"read_file\",{}],[\"write_file\",{\"path\":\"/x\"}]]},"
                        "{\"text\":\"ok\"}]");
  vbx_box_result res;
  assert_int_equal(run_box(b, NULL, &res), 0);
  assert_int_equal(res.status, VBX_STATUS_OK);
  assert_int_equal(res.n_calls, 4);
  assert_string_equal(res.calls[0].output, "unknown tool 'nope'");
  assert_true(res.calls[0].is_error);
  assert_string_equal(res.calls[1].output, "bash: the input needs a string 'command'");
  assert_true(res.calls[1].is_error);
  assert_true(res.calls[2].is_error);
  assert_true(res.calls[3].is_error);
  assert_string_equal(res.output, "ok");
  vbx__box_result_clear(&res);
  vbx_box_free(b);
}

static void test_max_turns(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[{\"tool\":\"bash\",\"input\":{\"command\":\"echo x\"}}]");
  vbx_box_max_turns(b, 3);
  vbx_box_result res;
  assert_int_equal(run_box(b, NULL, &res), VBX_E_LIMIT);
  assert_int_equal(res.status, VBX_STATUS_FAILED);
  assert_string_equal(res.error, "max_turns (3) reached");
  assert_int_equal(res.turns, 3);
  assert_int_equal(res.n_calls, 3);
  assert_true(fake_log_find("sandbox.destroy:a") >= 0);
  vbx__box_result_clear(&res);
  vbx_box_free(b);
}

static void test_provider_error(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[{\"error\":\"rate limited by the fake\"}]");
  vbx_box_result res;
  assert_int_equal(run_box(b, NULL, &res), VBX_E_PROVIDER);
  assert_int_equal(res.status, VBX_STATUS_FAILED);
  assert_string_equal(res.error, "rate limited by the fake");
  assert_true(fake_log_find("llm.destroy:a") >= 0);
  assert_true(fake_log_find("sandbox.destroy:a") >= 0);
  vbx__box_result_clear(&res);
  vbx_box_free(b);
}

static void test_skills(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[{\"tool\":\"greet\",\"input\":{\"who\":\"x\"}},{\"text\":\"ok\"}]");
  vbx_box_skill(b, "fake:greet");
  vbx_box_skill(b, "fake:count");
  vbx_box_result res;
  assert_int_equal(run_box(b, NULL, &res), 0);
  assert_int_equal(res.status, VBX_STATUS_OK);
  assert_int_equal(res.n_calls, 1);
  assert_string_equal(res.calls[0].output, "tool greet got {\"who\":\"x\"}");
  /* provisioned through the sandbox ref */
  assert_true(fake_log_find("write:a:/skills/greet") >= 0);
  assert_true(fake_log_find("write:a:/skills/count") >= 0);
  assert_true(fake_log_find("tools:a:bash,read_file,write_file,greet,count,") >= 0);
  /* system prompt: preamble, then each skill's prompt in order */
  const char *sys = NULL;
  for (size_t i = 0; i < fake_log_count(); i++)
    if (!strncmp(fake_log_at(i), "system:a:", 9)) sys = fake_log_at(i);
  assert_non_null(sys);
  const char *g = strstr(sys, "\n\nSKILL greet"), *c = strstr(sys, "\n\nSKILL count");
  assert_non_null(g);
  assert_true(c > g);
  assert_true(g > sys + 9);
  /* reverse teardown: skills (last first), provider, sandbox */
  int d2 = fake_log_find("skill.destroy:a:count"), d1 = fake_log_find("skill.destroy:a:greet");
  int lp = fake_log_find("llm.destroy:a"), sb = fake_log_find("sandbox.destroy:a");
  assert_true(d2 >= 0 && d1 > d2 && lp > d1 && sb > lp);
  vbx__box_result_clear(&res);
  vbx_box_free(b);
}

static void test_tool_clash(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[{\"text\":\"ok\"}]");
  vbx_box_skill(b, "fake:dup");
  vbx_box_skill(b, "fake:dup");
  vbx_box_result res;
  assert_int_not_equal(run_box(b, NULL, &res), 0);
  assert_int_equal(res.status, VBX_STATUS_FAILED);
  assert_string_equal(res.error,
                      "tool name 'dup' is declared by both skill 'fake:dup' and skill 'fake:dup'");
  assert_int_equal(fake_log_find("llm.complete:a"), -1);
  assert_true(fake_log_find("skill.destroy:a:dup") >= 0);
  vbx__box_result_clear(&res);
  vbx_box_free(b);

  b = fake_box("b", "[{\"text\":\"ok\"}]");
  vbx_box_skill(b, "fake:bash");
  assert_int_not_equal(run_box(b, NULL, &res), 0);
  assert_non_null(strstr(res.error, "skill 'fake:bash' declares tool 'bash'"));
  vbx__box_result_clear(&res);
  vbx_box_free(b);
}

static void test_timeout(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[{\"block\":true}]");
  vbx_box_timeout_secs(b, 1);
  vbx_box_result res;
  assert_int_equal(run_box(b, NULL, &res), VBX_E_TIMEOUT);
  assert_int_equal(res.status, VBX_STATUS_FAILED);
  assert_string_equal(res.error, "box timeout (1 s) reached");
  assert_true(fake_log_find("sandbox.destroy:a") >= 0);
  vbx__box_result_clear(&res);
  vbx_box_free(b);
}

static void test_output_file(void **state) {
  (void)state;
  const char *script =
      "[{\"tool\":\"write_file\",\"input\":{\"path\":\"/out.json\","
      "\"content\":\"{\\\"score\\\":7}\"}},{\"text\":\"ok\"}]";
  vbx_box *b = fake_box("a", script);
  b->output_file = strdup("/out.json");
  vbx_box_result res;
  assert_int_equal(run_box(b, NULL, &res), 0);
  assert_int_equal(res.status, VBX_STATUS_OK);
  assert_string_equal(res.structured_output, "{\"score\":7}");
  vbx__box_result_clear(&res);
  free(b->output_file);
  b->output_file = strdup("/missing.json");
  assert_int_equal(run_box(b, NULL, &res), VBX_E_NOTFOUND);
  assert_int_equal(res.status, VBX_STATUS_FAILED);
  assert_string_equal(res.error, "output_file '/missing.json': no such file: /missing.json");
  vbx__box_result_clear(&res);
  vbx_box_free(b);
}

static void test_input_and_options(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[{\"echo\":\"E\"}]");
  vbx_box_result res;
  assert_int_equal(run_box(b, "abc", &res), 0);
  assert_string_equal(res.output, "E[abc]");
  vbx__box_result_clear(&res);
  assert_int_equal(run_box(b, NULL, &res), 0);
  assert_string_equal(res.output, "E[none]");
  vbx__box_result_clear(&res);
  vbx_box_llm_option(b, "bogus", "1");
  /* Refused when the box is prepared (vbx_pipeline_check's step), before
   * any instance exists. */
  vbx__resolved_box rb;
  vbx__box_issue issue;
  memset(&issue, 0, sizeof(issue));
  assert_int_equal(vbx__box_prepare(rt->reg, b, NULL, &rt->cancel, &rb, &issue), VBX_E_INVAL);
  assert_string_equal(
      issue.message,
      "llm provider 'fake' refused option 'bogus': unknown option 'bogus' (known: script)");
  size_t creates = 0;
  for (size_t i = 0; i < fake_log_count(); i++)
    creates += !strcmp(fake_log_at(i), "sandbox.create:a");
  assert_int_equal(creates, 2);
  vbx_box_free(b);
}

/* The engine runs a box as it was prepared: it looks nothing up and asks
 * no plugin to validate again, however often the record is run. */
static void test_runs_prepared_box(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[{\"text\":\"ok\"}]");
  vbx_box_skill(b, "fake:greet");
  vbx__resolved_box rb = prepared(b);
  assert_int_equal(fake_validations("sandbox"), 1);
  assert_int_equal(fake_validations("llm"), 1);
  assert_int_equal(fake_validations("skill"), 1);
  vbx__engine_env env;
  memset(&env, 0, sizeof(env));
  env.rt_cancel = &rt->cancel;
  for (int i = 0; i < 2; i++) {
    vbx_box_result res;
    assert_int_equal(vbx__box_result_init(&res, "a"), 0);
    assert_int_equal(vbx__engine_run_box(&env, &rb, NULL, &res), 0);
    assert_string_equal(res.output, "ok");
    vbx__box_result_clear(&res);
  }
  assert_int_equal(fake_validations("sandbox"), 1);
  assert_int_equal(fake_validations("llm"), 1);
  assert_int_equal(fake_validations("skill"), 1);
  vbx_box_free(b);
}

static void test_output_bound(void **state) {
  (void)state;
  size_t big = 70000;
  char *cmd = malloc(big + 1);
  memset(cmd, 'x', big);
  cmd[big] = '\0';
  json_t *script =
      json_pack("[{s:s, s:{s:s}}, {s:s}]", "tool", "bash", "input", "command", cmd, "text", "ok");
  char *st = json_dumps(script, JSON_COMPACT);
  vbx_box *b = fake_box("a", st);
  vbx_box_result res;
  assert_int_equal(run_box(b, NULL, &res), 0);
  assert_int_equal(res.n_calls, 1);
  assert_true(strlen(res.calls[0].output) <= 64 * 1024);
  assert_non_null(strstr(res.calls[0].output, "[output truncated]"));
  vbx__box_result_clear(&res);
  vbx_box_free(b);
  free(st);
  json_decref(script);
  free(cmd);
}

static void test_sanitize(void **state) {
  (void)state;
  static const char in[] = "ok\xff\xc3\xa9\0x\xe2\x82";
  char *out = vbx__text_sanitize(in, sizeof(in) - 1);
  assert_string_equal(out, "ok?\xc3\xa9?x??");
  free(out);
  vbx__strbuf sb = VBX__STRBUF_INIT;
  int cut = 0;
  vbx__text_append_bounded(&sb, "abcdef", 6, 4, &cut);
  assert_int_equal(sb.len, 4);
  assert_true(cut);
  vbx__strbuf_reset(&sb);
}

static void test_cancelled_before_start(void **state) {
  (void)state;
  vbx_box *b = fake_box("a", "[{\"text\":\"ok\"}]");
  vbx__cancel c;
  atomic_init(&c.cancelled, 1);
  vbx__resolved_box rb = prepared(b);
  vbx__engine_env env;
  memset(&env, 0, sizeof(env));
  env.run_cancel = &c;
  vbx_box_result res;
  assert_int_equal(vbx__box_result_init(&res, "a"), 0);
  assert_int_equal(vbx__engine_run_box(&env, &rb, NULL, &res), VBX_E_CANCELLED);
  assert_int_equal(res.status, VBX_STATUS_CANCELLED);
  assert_int_equal(fake_log_find("sandbox.create:a"), -1);
  vbx__box_result_clear(&res);
  vbx_box_free(b);
}

int main(void) {
  rt = fake_runtime();
  if (rt == NULL) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_builtin_tools, setup),
      cmocka_unit_test_setup(test_unknown_tool_and_bad_input, setup),
      cmocka_unit_test_setup(test_max_turns, setup),
      cmocka_unit_test_setup(test_provider_error, setup),
      cmocka_unit_test_setup(test_skills, setup),
      cmocka_unit_test_setup(test_tool_clash, setup),
      cmocka_unit_test_setup(test_timeout, setup),
      cmocka_unit_test_setup(test_output_file, setup),
      cmocka_unit_test_setup(test_input_and_options, setup),
      cmocka_unit_test_setup(test_output_bound, setup),
      cmocka_unit_test(test_sanitize),
      cmocka_unit_test_setup(test_cancelled_before_start, setup),
      cmocka_unit_test_setup(test_runs_prepared_box, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vbx_runtime_free(rt);
  fake_reset();
  return rc;
}
