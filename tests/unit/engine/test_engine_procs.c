/*
 * test_engine_procs.c - streaming exec through the box's vbx_sandbox_ref
 * (engine/sandbox_ref.c) against in-process fakes (fake_procs.h): procs a
 * skill leaves open are closed after the skill is destroyed and before the
 * sandbox, once each; a backend without the proc_* methods (or without all
 * seven) gives a clear VBX_E_UNSUPPORTED naming it; VBX_E_SANDBOX_LOST from
 * a proc fails the box even when the skill swallows it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common.h"
#include "engine/engine.h"
#include "engine/internal.h"
#include "fake_procs.h"

static vbx_runtime *rt;

static int run_box(vbx_box *box, vbx_box_result *res) {
  vbx__resolved_box rb;
  vbx__box_issue issue;
  memset(&issue, 0, sizeof(issue));
  if (vbx__box_prepare(rt->reg, box, NULL, &rt->cancel, &rb, &issue) != 0)
    fail_msg("prepare '%s': %s", box->name, issue.message);
  vbx__engine_env env;
  memset(&env, 0, sizeof(env));
  env.rt_cancel = &rt->cancel;
  assert_int_equal(vbx__box_result_init(res, box->name), 0);
  return vbx__engine_run_box(&env, &rb, NULL, res);
}

/* A box on `sandbox` with skill "procs" and the fake provider's script. */
static vbx_box *procs_box(const char *name, const char *sandbox, const char *script) {
  vbx_box *b = fake_box(name, script);
  vbx_box_sandbox(b, sandbox);
  vbx_box_skill(b, "procs:x");
  return b;
}

static int count(const char *line) {
  int n = 0;
  for (size_t i = 0; i < fake_log_count(); i++)
    n += strcmp(fake_log_at(i), line) == 0;
  return n;
}

static int setup(void **state) {
  (void)state;
  fake_reset();
  return 0;
}

static void test_left_open_closed_before_the_sandbox(void **state) {
  (void)state;
  vbx_box *b =
      procs_box("a", "fakeproc", "[{\"tool\":\"procs_tool\",\"input\":{}},{\"text\":\"ok\"}]");
  vbx_box_result res;
  assert_int_equal(run_box(b, &res), 0);
  assert_int_equal(res.status, VBX_STATUS_OK);
  assert_int_equal(res.n_calls, 1);
  assert_string_equal(res.calls[0].output, "got ping\n"); /* the proc calls reach the backend */
  int skill = fake_log_find("skill.destroy:a");
  int left = fake_log_find("proc.close:a:left"), tool = fake_log_find("proc.close:a:tool");
  int sb = fake_log_find("sandbox.destroy:a:open=0");
  assert_true(skill >= 0 && left >= 0 && tool >= 0 && sb >= 0);
  assert_true(fake_log_find("proc.close:a:mine") < skill); /* the skill's own close */
  assert_true(skill < left && skill < tool);               /* leftovers after the skills */
  assert_true(left < sb && tool < sb);                     /* and before the sandbox */
  assert_true(fake_log_find("proc.close:a:short") < skill);
  const char *once[] = {"proc.close:a:left", "proc.close:a:mine", "proc.close:a:short",
                        "proc.close:a:tool"};
  for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++)
    assert_int_equal(count(once[i]), 1);
  vbx__box_result_clear(&res);
  vbx_box_free(b);
}

static void test_backend_without_procs(void **state) {
  (void)state;
  vbx_box *b = procs_box("b", "fake", "[{\"text\":\"ok\"}]");
  vbx_box_result res;
  assert_int_equal(run_box(b, &res), 0);
  assert_true(fake_log_find("procs.unsupported:-4:sandbox backend 'fake' cannot run a process "
                            "with streaming stdin") >= 0);
  vbx__box_result_clear(&res);
  vbx_box_free(b);
  /* a backend with only part of the seven methods counts as without */
  b = procs_box("c", "halfproc", "[{\"text\":\"ok\"}]");
  assert_int_equal(run_box(b, &res), 0);
  assert_true(fake_log_find("procs.unsupported:-4:sandbox backend 'halfproc' cannot run a "
                            "process with streaming stdin") >= 0);
  assert_true(fake_log_find("sandbox.destroy:c:open=0") >= 0);
  vbx__box_result_clear(&res);
  vbx_box_free(b);
}

static void test_sandbox_lost_from_a_proc(void **state) {
  (void)state;
  vbx_box *b =
      procs_box("d", "fakeproc", "[{\"tool\":\"procs_lost\",\"input\":{}},{\"text\":\"ok\"}]");
  vbx_box_result res;
  assert_int_equal(run_box(b, &res), VBX_E_SANDBOX_LOST);
  assert_int_equal(res.status, VBX_STATUS_FAILED);
  assert_non_null(res.error);
  assert_non_null(strstr(res.error, "sandbox backend 'fakeproc': the fake agent is gone"));
  int lost = fake_log_find("proc.close:d:lost"), sb = fake_log_find("sandbox.destroy:d:open=0");
  assert_true(lost >= 0 && sb > lost);
  vbx__box_result_clear(&res);
  vbx_box_free(b);
}

int main(void) {
  rt = fake_runtime_with(fake_procs_entry, "fakeproc");
  if (rt == NULL) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_left_open_closed_before_the_sandbox, setup),
      cmocka_unit_test_setup(test_backend_without_procs, setup),
      cmocka_unit_test_setup(test_sandbox_lost_from_a_proc, setup),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  vbx_runtime_free(rt);
  fake_reset();
  return rc;
}
