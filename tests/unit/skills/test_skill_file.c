/*
 * tests/unit/skills/test_skill_file.c - the skill type "file" loaded from
 * skill-file.so: Agent Skills packages (a directory or its SKILL.md), the
 * front matter rules with the line and column of each fault, the package
 * bounds, provisioning into a recording sandbox and the progressive
 * system-prompt entry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"

static fx F;
static const vbx_skill_type_vtable *VT;

static int setup(void **state) {
  (void)state;
  fx_open(&F, "skill-file.so", VBX_KIND_SKILL, "file");
  VT = F.impl->vtable;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  fx_close(&F);
  return 0;
}

/* Create the parent directories of rel under the scratch dir; the path. */
static void mkparents(const char *rel, char *path, size_t cap) {
  snprintf(path, cap, "%s/%s", F.tmpdir, rel);
  for (char *p = path + strlen(F.tmpdir) + 1; (p = strchr(p, '/')) != NULL; p++) {
    *p = '\0';
    mkdir(path, 0755);
    *p = '/';
  }
}

static void put(const char *rel, const char *text) {
  char path[512];
  mkparents(rel, path, sizeof path);
  fx_write_file(path, text);
}

static void put_mode(const char *rel, const char *text, mode_t mode) {
  char path[512];
  put(rel, text);
  snprintf(path, sizeof path, "%s/%s", F.tmpdir, rel);
  assert_int_equal(chmod(path, mode), 0);
}

#define MAX_WRITES 8

/* A sandbox ref that records file_write calls. */
typedef struct fake_sb {
  int n;
  char path[MAX_WRITES][256];
  char data[MAX_WRITES][512];
  size_t len[MAX_WRITES];
  uint32_t mode[MAX_WRITES];
  int fail;
} fake_sb;

static int fake_write(void *h, const char *path, const void *data, size_t len, uint32_t mode,
                      vbx_call *call) {
  fake_sb *s = h;
  if (s->fail) return F.host->set_error(call, VBX_E_SANDBOX, NULL, "fake sandbox refused");
  assert_true(s->n < MAX_WRITES);
  snprintf(s->path[s->n], sizeof s->path[0], "%s", path);
  memcpy(s->data[s->n], data, len < sizeof s->data[0] - 1 ? len : sizeof s->data[0] - 1);
  s->len[s->n] = len;
  s->mode[s->n] = mode;
  s->n++;
  return 0;
}

static int make(const char *value, const char *opts, void **out, vbx_call *c) {
  return fx_skill_create(&F, "file", value, opts, out, c);
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

static const char QUANT_MD[] =
    "---\nname: quant\ndescription: Quantitative analysis\nlicense: MIT\n"
    "x-house-key: kept as written\n---\n\n# Quant\nUse momentum.\n";

/* A SKILL.md named directly: that file alone, whatever lies beside it. */
static void test_skill_md_alone(void **state) {
  (void)state;
  put("a/quant/SKILL.md", QUANT_MD);
  put("a/quant/scripts/run.sh", "echo hi\n");
  void *s;
  vbx_call c;
  assert_int_equal(make("a/quant/SKILL.md", NULL, &s, &c), 0);
  fake_sb sb = {0};
  vbx_skill_contrib out;
  provision(s, &sb, &out, 0);
  assert_int_equal(sb.n, 1);
  assert_string_equal(sb.path[0], "/skills/quant/SKILL.md");
  assert_int_equal(sb.len[0], strlen(QUANT_MD));
  assert_string_equal(sb.data[0], QUANT_MD); /* byte for byte, unknown keys kept */
  assert_int_equal(sb.mode[0], 0644);
  assert_string_equal(out.name, "quant");
  /* progressive disclosure: name, description, where; never the body */
  assert_string_equal(out.system_prompt,
                      "## Skill: quant\nQuantitative analysis\nIts full instructions are in "
                      "/skills/quant/SKILL.md: read that file before you use this skill.");
  assert_null(strstr(out.system_prompt, "Use momentum"));
  assert_null(out.tools);
  contrib_free(&out);
  sb.fail = 1; /* a failing sandbox write fails provisioning with its error */
  provision(s, &sb, &out, VBX_E_SANDBOX);
  VT->destroy(s);
  assert_null(VT->call_tool);
}

/* A directory: SKILL.md then every resource in name order, modes kept,
 * dot entries left out; an absolute path and a trailing slash work. */
static void test_skill_directory(void **state) {
  (void)state;
  put("d/report-writer/SKILL.md",
      "---\nname: report-writer\ndescription: Writes reports.\n---\nSee scripts/.\n");
  put_mode("d/report-writer/scripts/run.sh", "#!/bin/sh\necho run\n", 0755);
  put("d/report-writer/references/style.md", "Be brief.\n");
  put("d/report-writer/references/deep/more.txt", "");
  put("d/report-writer/.git/config", "[core]\n");
  put("d/report-writer/.hidden", "x\n");
  char abs[512];
  snprintf(abs, sizeof abs, "%s/d/report-writer/", F.tmpdir);
  void *s;
  vbx_call c;
  assert_int_equal(make(abs, NULL, &s, &c), 0);
  fake_sb sb = {0};
  vbx_skill_contrib out;
  provision(s, &sb, &out, 0);
  assert_int_equal(sb.n, 4);
  assert_string_equal(sb.path[0], "/skills/report-writer/SKILL.md");
  assert_string_equal(sb.path[1], "/skills/report-writer/references/deep/more.txt");
  assert_int_equal(sb.len[1], 0);
  assert_string_equal(sb.path[2], "/skills/report-writer/references/style.md");
  assert_string_equal(sb.data[2], "Be brief.\n");
  assert_int_equal(sb.mode[2], 0644);
  assert_string_equal(sb.path[3], "/skills/report-writer/scripts/run.sh");
  assert_int_equal(sb.mode[3], 0755);
  assert_non_null(strstr(out.system_prompt, "(its other files are beside it)"));
  contrib_free(&out);
  VT->destroy(s);
}

static void expect_error(const char *value, const char *opts, int code, const char *needle) {
  void *s;
  vbx_call c;
  assert_int_equal(make(value, opts, &s, &c), code);
  assert_null(s);
  if (strstr(c.message, needle) == NULL) fail_msg("message '%s' lacks '%s'", c.message, needle);
}

/* Each front matter fault with the file's line and column. */
static void expect_md(const char *dir, const char *text, const char *where, const char *needle) {
  char rel[300], want[700];
  snprintf(rel, sizeof rel, "fm/%s/SKILL.md", dir);
  put(rel, text);
  snprintf(want, sizeof want, "%s/%s%s", F.tmpdir, rel, where);
  expect_error(rel, NULL, VBX_E_SPEC, want);
  expect_error(rel, NULL, VBX_E_SPEC, needle);
}

static void test_front_matter_rules(void **state) {
  (void)state;
  expect_md("plain", "no front matter\n", ":1:1:", "starts with front matter");
  expect_md("nodesc", "---\nname: nodesc\n---\nbody\n", ":1:1:", "no `description`");
  expect_md("noname", "---\ndescription: d\n---\n", ":1:1:", "no `name`");
  expect_md("upper", "---\nname: Upper\ndescription: d\n---\n", ":2:7:", "'Upper' must be");
  expect_md("under_score", "---\nname: under_score\ndescription: d\n---\n",
            ":2:7:", "lowercase letters, digits and '-'");
  expect_md("-lead", "---\nname: -lead\ndescription: d\n---\n", ":2:7:", "not at either end");
  expect_md("tail-", "---\nname: tail-\ndescription: d\n---\n", ":2:7:", "not at either end");
  expect_md("a--b", "---\nname: a--b\ndescription: d\n---\n", ":2:7:", "never two in a row");
  expect_md("dots", "---\nname: ../../etc\ndescription: d\n---\n", ":2:7:", "'../../etc'");
  expect_md("other", "---\ndescription: d\nname: quant\n---\n",
            ":3:7:", "'quant' must equal the skill's directory name 'other'");
  char long_name[80], text[400];
  memset(long_name, 'a', 65);
  long_name[65] = '\0';
  snprintf(text, sizeof text, "---\nname: %s\ndescription: d\n---\n", long_name);
  expect_md(long_name, text, ":2:7:", "must be 1..64 characters (it has 65)");
  expect_md("listname", "---\nname: [a, b]\ndescription: d\n---\n",
            ":2:7:", "`name` must be a string");
  expect_md("emptydesc", "---\nname: emptydesc\ndescription: \"\"\n---\n",
            ":3:14:", "`description` must be 1..1024 characters (it has 0)");
  expect_md("compat", "---\nname: compat\ndescription: d\ncompatibility: [x]\n---\n",
            ":4:16:", "`compatibility` must be a string");
  expect_md("meta", "---\nname: meta\ndescription: d\nmetadata: text\n---\n",
            ":4:11:", "`metadata` must be a map");
  expect_md("metav", "---\nname: metav\ndescription: d\nmetadata:\n  k: [1]\n---\n",
            ":5:6:", "`metadata` must map string keys to string values");
  expect_md("syntax", "---\nname: syntax\ndescription: [oops\n---\nbody\n", ":4:", "front matter:");
  expect_md("seq", "---\n- a\n- b\n---\n", ":2:1:", "must be a map");
  expect_md("open", "---\nname: open\nbody without end\n", ":1:1:", "never ends");
}

/* Limits counted in characters, not bytes; a byte order mark is fine. */
static void test_front_matter_limits(void **state) {
  (void)state;
  size_t cap = 1024 * 3 + 200;
  char *text = malloc(cap);
  assert_non_null(text);
  int n = snprintf(text, cap, "\xEF\xBB\xBF---\nname: wide\ndescription: ");
  for (int i = 0; i < 1024; i++) /* 1024 characters of 2 bytes each */
    n += snprintf(text + n, cap - (size_t)n, "\xC3\xA9");
  snprintf(text + n, cap - (size_t)n, "\ncompatibility: linux\n---\n");
  put("lim/wide/SKILL.md", text);
  void *s;
  vbx_call c;
  assert_int_equal(make("lim/wide", NULL, &s, &c), 0);
  VT->destroy(s);
  char *e = strstr(text, "\ncompatibility");
  memmove(e + 2, e, strlen(e) + 1); /* one more character */
  memcpy(e, "\xC3\xA9", 2);
  put("lim/wide/SKILL.md", text);
  expect_error("lim/wide", NULL, VBX_E_SPEC, "must be 1..1024 characters (it has 1025)");
  free(text);
  char c501[700];
  int k = snprintf(c501, sizeof c501, "---\nname: comp\ndescription: d\ncompatibility: ");
  memset(c501 + k, 'c', 501);
  snprintf(c501 + k + 501, sizeof c501 - (size_t)k - 501, "\n---\n");
  put("lim/comp/SKILL.md", c501);
  expect_error("lim/comp", NULL, VBX_E_SPEC, "must be 1..500 characters (it has 501)");
}

static void test_package_errors(void **state) {
  (void)state;
  char want[600];
  snprintf(want, sizeof want, "%s/nope/SKILL.md", F.tmpdir);
  expect_error("nope/SKILL.md", NULL, VBX_E_NOTFOUND, want);
  expect_error(NULL, NULL, VBX_E_INVAL, "needs a path");
  expect_error("", NULL, VBX_E_INVAL, "needs a path");
  put("notes/notes.md", "---\nname: notes\ndescription: d\n---\n");
  expect_error("notes/notes.md", NULL, VBX_E_INVAL, "this file is named 'notes.md'");
  put("empty/README", "x");
  expect_error("empty", NULL, VBX_E_NOTFOUND, "empty/SKILL.md: cannot open skill file");
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
  char path[512];
  put("nul/SKILL.md", "");
  snprintf(path, sizeof path, "%s/nul/SKILL.md", F.tmpdir);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fwrite("---\nname: nul\0\n", 1, 15, f);
  fclose(f);
  expect_error("nul", NULL, VBX_E_INVAL, "contains a NUL byte");
  /* inside a package nothing is followed out of it */
  put("ln/SKILL.md", "---\nname: ln\ndescription: d\n---\n");
  snprintf(path, sizeof path, "%s/ln/escape", F.tmpdir);
  assert_int_equal(symlink("/etc/passwd", path), 0);
  expect_error("ln", NULL, VBX_E_PERM, "ln/escape: a symbolic link");
  void *s;
  vbx_call c;
  assert_int_equal(make("ln/SKILL.md", NULL, &s, &c), 0); /* the file alone reads no resource */
  VT->destroy(s);
  put("fifo/SKILL.md", "---\nname: fifo\ndescription: d\n---\n");
  snprintf(path, sizeof path, "%s/fifo/pipe", F.tmpdir);
  assert_int_equal(mkfifo(path, 0600), 0);
  expect_error("fifo", NULL, VBX_E_PERM, "fifo/pipe: not a regular file or directory");
  put("deep/SKILL.md", "---\nname: deep\ndescription: d\n---\n");
  put("deep/1/2/3/4/5/6/7/8/9/f", "x");
  expect_error("deep", NULL, VBX_E_TOOBIG, "nest over 8 deep");
  put("many/SKILL.md", "---\nname: many\ndescription: d\n---\n");
  for (int i = 0; i < 512; i++) {
    char rel[64];
    snprintf(rel, sizeof rel, "many/r/%03d", i);
    put(rel, "");
  }
  expect_error("many", NULL, VBX_E_TOOBIG, "at most 512 files");
  put("heavy/SKILL.md", "---\nname: heavy\ndescription: d\n---\n");
  snprintf(path, sizeof path, "%s/heavy/blob", F.tmpdir);
  f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fseek(f, 16 * 1024 * 1024, SEEK_SET), 0);
  fputc('x', f);
  fclose(f);
  expect_error("heavy", NULL, VBX_E_TOOBIG, "exceed 16777216 bytes in all");
  put("okdir/SKILL.md", "---\nname: okdir\ndescription: d\n---\n");
  expect_error("okdir", "{\"colour\":1}", VBX_E_INVAL, "colour");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_skill_md_alone),     cmocka_unit_test(test_skill_directory),
      cmocka_unit_test(test_front_matter_rules), cmocka_unit_test(test_front_matter_limits),
      cmocka_unit_test(test_package_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
