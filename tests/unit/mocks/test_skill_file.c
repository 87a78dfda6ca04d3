/*
 * tests/unit/mocks/test_skill_file.c - the skill type "file" loaded from
 * skill-file.so: SKILL.md reading, front matter, provisioning into the
 * sandbox, the system prompt section, and every error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "fixture.h"

static fx F;
static const vbx_skill_type_vtable *VT;

static int setup(void **state) {
  fx_open(&F, "skill-file.so", VBX_KIND_SKILL, "file");
  VT = F.impl->vtable;
  return 0;
}

static int teardown(void **state) {
  fx_close(&F);
  return 0;
}

static void put(const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", F.tmpdir, rel);
  for (char *p = path + strlen(F.tmpdir) + 1; (p = strchr(p, '/')) != NULL; p++) {
    *p = '\0';
    mkdir(path, 0755);
    *p = '/';
  }
  fx_write_file(path, text);
}

/* A sandbox ref that records the last file_write. */
typedef struct fake_sb {
  char path[256];
  char data[4096];
  size_t len;
  uint32_t mode;
  int fail;
} fake_sb;

static int fake_write(void *h, const char *path, const void *data, size_t len, uint32_t mode,
                      vbx_call *call) {
  fake_sb *s = h;
  if (s->fail) return F.host->set_error(call, VBX_E_SANDBOX, NULL, "fake sandbox refused");
  snprintf(s->path, sizeof s->path, "%s", path);
  memcpy(s->data, data, len < sizeof s->data - 1 ? len : sizeof s->data - 1);
  s->len = len;
  s->mode = mode;
  return 0;
}

static int make(const char *value, const char *opts, void **out, vbx_call *c) {
  vbx_skill_config cfg = {.struct_size = sizeof cfg};
  vbx_json *o = opts ? fx_json(&F, opts) : NULL;
  cfg.type = "file";
  cfg.value = value;
  cfg.options = o;
  cfg.box_name = "box";
  cfg.spec_dir = F.tmpdir;
  fx_call(c);
  *out = NULL;
  int rc = VT->create(F.impl->plugin_state, &cfg, c, out);
  if (rc == 0) { /* validate agrees with create */
    vbx_call c2;
    fx_call(&c2);
    assert_int_equal(VT->validate(F.impl->plugin_state, &cfg, &c2), 0);
  }
  if (o) F.host->json_decref(o);
  return rc;
}

static void provision(void *skill, fake_sb *sb, vbx_skill_contrib *out, int expect) {
  vbx_sandbox_ref ref = {.struct_size = sizeof ref};
  ref.handle = sb;
  ref.file_write = fake_write;
  vbx_call c;
  fx_call(&c);
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  assert_int_equal(VT->provision(skill, &ref, out, &c), expect);
}

static void contrib_free(vbx_skill_contrib *c) {
  F.host->free(c->name);
  F.host->free(c->system_prompt);
}

static void test_front_matter(void **state) {
  const char *md =
      "---\nname: quant\ndescription: Quantitative analysis\nlicense: MIT\n---\n\n"
      "# Quant\nUse momentum.\n";
  put("skills/analyst/SKILL.md", md);
  void *s;
  vbx_call c;
  assert_int_equal(make("skills/analyst/SKILL.md", NULL, &s, &c), 0);
  fake_sb sb = {0};
  vbx_skill_contrib out;
  provision(s, &sb, &out, 0);
  assert_string_equal(sb.path, "/skills/quant/SKILL.md");
  assert_int_equal(sb.len, strlen(md));
  assert_string_equal(sb.data, md);
  assert_int_equal(sb.mode, 0644);
  assert_string_equal(out.name, "quant");
  assert_string_equal(out.system_prompt, "## Skill: quant\n# Quant\nUse momentum.\n");
  assert_null(out.tools);
  contrib_free(&out);
  /* a failing sandbox write fails provisioning with the sandbox's error */
  sb.fail = 1;
  provision(s, &sb, &out, VBX_E_SANDBOX);
  VT->destroy(s);
  assert_null(VT->call_tool);
}

static void test_name_from_path(void **state) {
  put("skills/risk_manager/SKILL.md", "Keep drawdown under 10%.\n");
  put("notes.md", "plain notes\n");
  void *s;
  vbx_call c;
  char abs[512];
  snprintf(abs, sizeof abs, "%s/skills/risk_manager/SKILL.md", F.tmpdir);
  assert_int_equal(make(abs, NULL, &s, &c), 0); /* absolute paths too */
  fake_sb sb = {0};
  vbx_skill_contrib out;
  provision(s, &sb, &out, 0);
  assert_string_equal(sb.path, "/skills/risk_manager/SKILL.md");
  assert_string_equal(out.system_prompt, "## Skill: risk_manager\nKeep drawdown under 10%.\n");
  contrib_free(&out);
  VT->destroy(s);
  assert_int_equal(make("notes.md", NULL, &s, &c), 0);
  provision(s, &sb, &out, 0);
  assert_string_equal(out.name, "notes");
  contrib_free(&out);
  VT->destroy(s);
}

static void expect_error(const char *value, const char *opts, int code, const char *needle) {
  void *s;
  vbx_call c;
  assert_int_equal(make(value, opts, &s, &c), code);
  assert_null(s);
  if (strstr(c.message, needle) == NULL) fail_msg("message '%s' lacks '%s'", c.message, needle);
  /* validate reports the same */
  vbx_skill_config cfg = {.struct_size = sizeof cfg};
  vbx_json *o = opts ? fx_json(&F, opts) : NULL;
  cfg.type = "file";
  cfg.value = value;
  cfg.options = o;
  cfg.spec_dir = F.tmpdir;
  fx_call(&c);
  assert_int_equal(VT->validate(F.impl->plugin_state, &cfg, &c), code);
  if (o) F.host->json_decref(o);
}

static void test_errors(void **state) {
  char want[600];
  snprintf(want, sizeof want, "%s/nope/SKILL.md", F.tmpdir);
  expect_error("nope/SKILL.md", NULL, VBX_E_NOTFOUND, want);
  expect_error(NULL, NULL, VBX_E_INVAL, "needs a path");
  expect_error("", NULL, VBX_E_INVAL, "needs a path");
  size_t big = 256 * 1024 + 1;
  char *blob = malloc(big + 1);
  assert_non_null(blob);
  memset(blob, 'x', big);
  blob[big] = '\0';
  put("big/SKILL.md", blob);
  free(blob);
  snprintf(want, sizeof want, "%s/big/SKILL.md: skill file is 262145 bytes, over the 262144",
           F.tmpdir);
  expect_error("big/SKILL.md", NULL, VBX_E_TOOBIG, want);
  put("badfm/SKILL.md", "---\nname: ok\ndescription: [oops\n---\nbody\n");
  snprintf(want, sizeof want, "%s/badfm/SKILL.md:4:", F.tmpdir);
  expect_error("badfm/SKILL.md", NULL, VBX_E_SPEC, want);
  put("open/SKILL.md", "---\nname: x\nbody without end\n");
  expect_error("open/SKILL.md", NULL, VBX_E_SPEC, "never ends");
  put("badname/SKILL.md", "---\nname: ../../etc\n---\nbody\n");
  expect_error("badname/SKILL.md", NULL, VBX_E_SPEC, "skill name '../../etc'");
  put("list/SKILL.md", "---\nname: [a, b]\n---\n");
  expect_error("list/SKILL.md", NULL, VBX_E_SPEC, "`name` must be a string");
  put("okdir/SKILL.md", "fine\n");
  expect_error("okdir/SKILL.md", "{\"colour\":1}", VBX_E_INVAL, "colour");
  expect_error(".", NULL, VBX_E_IO, "not a regular file");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_front_matter),
      cmocka_unit_test(test_name_from_path),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
