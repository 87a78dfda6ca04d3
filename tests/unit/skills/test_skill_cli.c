/*
 * tests/unit/skills/test_skill_cli.c - the skill type "cli" loaded from
 * skill-cli.so against a recording fake sandbox: the declaration and its
 * errors, the static-binary check, provisioning (install, lookup), the tool
 * definition and running the program without a shell.
 */
#include <elf.h>
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
  (void)state;
  fx_open(&F, "skill-cli.so", VBX_KIND_SKILL, "cli");
  VT = F.impl->vtable;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  fx_close(&F);
  return 0;
}

/* A sandbox that records writes and execs and answers execs as told. */
typedef struct fake_sb {
  int n_exec, n_write;
  char argv[8][16][128]; /* argv of each exec */
  char stdin_data[256];
  uint32_t timeout_ms;
  char write_path[256];
  size_t write_len;
  uint32_t write_mode;
  int exit_code;      /* the answer */
  const char *stdout; /* the answer */
  const char *stderr;
} fake_sb;

static int fake_exec(void *h, const vbx_exec_request *req, vbx_exec_result *res, vbx_call *call) {
  (void)call;
  fake_sb *s = h;
  assert_true(s->n_exec < 8);
  for (int i = 0; req->argv[i] && i < 15; i++)
    snprintf(s->argv[s->n_exec][i], sizeof s->argv[0][0], "%s", req->argv[i]);
  snprintf(s->stdin_data, sizeof s->stdin_data, "%.*s", (int)req->stdin_len,
           req->stdin_data ? req->stdin_data : "");
  s->timeout_ms = req->timeout_ms;
  s->n_exec++;
  res->exit_code = s->exit_code;
  res->stdout_data = F.host->strdup(s->stdout ? s->stdout : "");
  res->stdout_len = strlen(res->stdout_data);
  res->stderr_data = F.host->strdup(s->stderr ? s->stderr : "");
  res->stderr_len = strlen(res->stderr_data);
  return 0;
}

static int fake_write(void *h, const char *path, const void *data, size_t len, uint32_t mode,
                      vbx_call *call) {
  (void)data, (void)call;
  fake_sb *s = h;
  s->n_write++;
  snprintf(s->write_path, sizeof s->write_path, "%s", path);
  s->write_len = len;
  s->write_mode = mode;
  return 0;
}

static vbx_sandbox_ref ref_of(fake_sb *sb) {
  vbx_sandbox_ref ref = {.struct_size = sizeof ref, .handle = sb};
  ref.exec = fake_exec;
  ref.file_write = fake_write;
  return ref;
}

static int make(const char *value, const char *opts, void **out, vbx_call *c) {
  return fx_skill_create(&F, "cli", value, opts, out, c);
}

static int provision(void *s, fake_sb *sb, vbx_skill_contrib *out, vbx_call *c) {
  vbx_sandbox_ref ref = ref_of(sb);
  fx_call(c);
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  return VT->provision(s, &ref, out, c);
}

static void contrib_free(vbx_skill_contrib *c) {
  F.host->free(c->name);
  F.host->free(c->system_prompt);
  if (c->tools) F.host->json_decref(c->tools);
}

/* Run the tool with input JSON; the result text (host->free). */
static char *run_tool(void *s, fake_sb *sb, const char *tool, const char *input, int *is_error,
                      int expect_rc) {
  vbx_sandbox_ref ref = ref_of(sb);
  vbx_json *in = fx_json(&F, input);
  char *out = NULL;
  vbx_call c;
  fx_call(&c);
  assert_int_equal(VT->call_tool(s, &ref, tool, in, &out, is_error, &c), expect_rc);
  F.host->json_decref(in);
  return out;
}

static void test_program_on_path(void **state) {
  (void)state;
  void *s;
  vbx_call c;
  assert_int_equal(make("jq", "{\"description\":\"JSON processor\",\"timeout_secs\":5}", &s, &c),
                   0);
  fake_sb sb = {0};
  vbx_skill_contrib out;
  assert_int_equal(provision(s, &sb, &out, &c), 0);
  /* looked up on the sandbox's PATH, nothing written */
  assert_int_equal(sb.n_write, 0);
  assert_int_equal(sb.n_exec, 1);
  assert_string_equal(sb.argv[0][0], "/bin/sh");
  assert_string_equal(sb.argv[0][2], "command -v -- \"$1\"");
  assert_string_equal(sb.argv[0][4], "jq");
  assert_string_equal(out.name, "cli:jq");
  assert_non_null(strstr(out.system_prompt, "## CLI: jq\nJSON processor\n"));
  assert_non_null(strstr(out.system_prompt, "tool cli__jq"));
  assert_int_equal(F.host->json_array_size(out.tools), 1);
  const vbx_json *def = F.host->json_array_get(out.tools, 0);
  assert_string_equal(F.host->json_string_value(F.host->json_object_get(def, "name")), "cli__jq");
  assert_non_null(strstr(F.host->json_string_value(F.host->json_object_get(def, "description")),
                         "About the program: JSON processor"));
  assert_non_null(
      F.host->json_object_get(F.host->json_object_get(def, "input_schema"), "properties"));
  contrib_free(&out);
  /* the tool runs argv directly: a shell metacharacter stays an argument */
  int err = -1;
  sb.stdout = "1\n";
  char *t =
      run_tool(s, &sb, "cli__jq", "{\"args\":[\".a\",\"$(rm -rf /)\"],\"stdin\":\"{}\"}", &err, 0);
  assert_int_equal(err, 0);
  assert_string_equal(t, "1\n");
  assert_string_equal(sb.argv[1][0], "jq");
  assert_string_equal(sb.argv[1][1], ".a");
  assert_string_equal(sb.argv[1][2], "$(rm -rf /)");
  assert_string_equal(sb.stdin_data, "{}");
  assert_int_equal(sb.timeout_ms, 5000);
  F.host->free(t);
  /* a failing program: stdout, stderr, then the status; an error result */
  sb.exit_code = 2, sb.stdout = "partial", sb.stderr = "jq: error: bad filter\n";
  t = run_tool(s, &sb, "cli__jq", "{\"args\":[\"]\"]}", &err, 0);
  assert_int_equal(err, 1);
  assert_string_equal(t, "partial\njq: error: bad filter\n[jq: exit status 2]\n");
  F.host->free(t);
  /* bad inputs are tool errors for the model, not failures */
  const char *bad[][2] = {{"{\"args\":\"-r\"}", "`args` must be a list of strings"},
                          {"{\"args\":[1]}", "`args[0]` must be a string"},
                          {"{\"stdin\":5}", "`stdin` must be a string"},
                          {"[1]", "the input must be an object"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    t = run_tool(s, &sb, "cli__jq", bad[i][0], &err, 0);
    assert_int_equal(err, 1);
    if (strstr(t, bad[i][1]) == NULL) fail_msg("'%s' lacks '%s'", t, bad[i][1]);
    F.host->free(t);
  }
  char many[4096];
  int k = snprintf(many, sizeof many, "{\"args\":[");
  for (int i = 0; i < 257; i++)
    k += snprintf(many + k, sizeof many - (size_t)k, "%s\"a\"", i ? "," : "");
  snprintf(many + k, sizeof many - (size_t)k, "]}");
  t = run_tool(s, &sb, "cli__jq", many, &err, 0);
  assert_non_null(strstr(t, "`args` has 257 items; at most 256"));
  F.host->free(t);
  assert_null(run_tool(s, &sb, "cli__sed", "{}", &err, VBX_E_NOTFOUND));
  VT->destroy(s);
}

static void test_lookup(void **state) {
  (void)state;
  void *s;
  vbx_call c;
  assert_int_equal(make("python3.11", NULL, &s, &c), 0);
  fake_sb sb = {.exit_code = 127};
  vbx_skill_contrib out;
  assert_int_equal(provision(s, &sb, &out, &c), VBX_E_NOTFOUND);
  assert_non_null(strstr(c.message, "no program 'python3.11' in the sandbox"));
  VT->destroy(s);
  assert_int_equal(make("python3.11", "{\"check\":false}", &s, &c), 0);
  fake_sb sb2 = {0};
  assert_int_equal(provision(s, &sb2, &out, &c), 0);
  assert_int_equal(sb2.n_exec, 0); /* no lookup */
  const vbx_json *def = F.host->json_array_get(out.tools, 0);
  assert_string_equal(F.host->json_string_value(F.host->json_object_get(def, "name")),
                      "cli__python3_11");
  contrib_free(&out);
  VT->destroy(s);
}

/* Write a minimal x86-64 ELF executable, with a PT_INTERP when `dynamic`. */
static void write_elf(const char *rel, int dynamic) {
  unsigned char b[512];
  memset(b, 0, sizeof b);
  Elf64_Ehdr eh = {0};
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof eh;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = dynamic ? 2 : 1;
  memcpy(b, &eh, sizeof eh);
  Elf64_Phdr load = {.p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_filesz = 300, .p_memsz = 300};
  memcpy(b + sizeof eh, &load, sizeof load);
  if (dynamic) {
    Elf64_Phdr in = {.p_type = PT_INTERP, .p_offset = 400, .p_filesz = 28};
    memcpy(b + sizeof eh + sizeof load, &in, sizeof in);
    memcpy(b + 400, "/lib64/ld-linux-x86-64.so.2", 28);
  }
  char path[512];
  snprintf(path, sizeof path, "%s/%s", F.tmpdir, rel);
  mkdir(F.tmpdir, 0755);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fwrite(b, 1, sizeof b, f);
  fclose(f);
}

static void test_host_binary(void **state) {
  (void)state;
  write_elf("mytool", 0);
  void *s;
  vbx_call c;
  assert_int_equal(make("./mytool", NULL, &s, &c), 0);
  fake_sb sb = {0};
  vbx_skill_contrib out;
  assert_int_equal(provision(s, &sb, &out, &c), 0);
  assert_int_equal(sb.n_write, 1);
  assert_string_equal(sb.write_path, "/skills/bin/mytool");
  assert_int_equal(sb.write_len, 512);
  assert_int_equal(sb.write_mode, 0755);
  assert_string_equal(sb.argv[0][4], "/skills/bin/mytool"); /* the lookup, after the install */
  assert_non_null(strstr(out.system_prompt, "from bash as `/skills/bin/mytool`"));
  contrib_free(&out);
  int err;
  char *t = run_tool(s, &sb, "cli__mytool", "{}", &err, 0);
  assert_string_equal(sb.argv[1][0], "/skills/bin/mytool");
  F.host->free(t);
  VT->destroy(s);

  write_elf("dyn", 1);
  assert_int_equal(make("./dyn", NULL, &s, &c), VBX_E_SPEC);
  assert_non_null(strstr(c.message,
                         "dyn: dynamically linked (it needs "
                         "/lib64/ld-linux-x86-64.so.2 and its libraries)"));
  char path[512];
  snprintf(path, sizeof path, "%s/script", F.tmpdir);
  fx_write_file(path, "#!/bin/sh\necho hi\n");
  assert_int_equal(make("./script", NULL, &s, &c), VBX_E_SPEC);
  assert_non_null(strstr(c.message, "script: not an ELF executable"));
  assert_int_equal(make("./missing", NULL, &s, &c), VBX_E_NOTFOUND);
  assert_non_null(strstr(c.message, "missing: No such file"));
}

static void expect_spec_error(const char *value, const char *opts, const char *needle) {
  void *s;
  vbx_call c;
  assert_int_equal(make(value, opts, &s, &c), VBX_E_SPEC);
  assert_null(s);
  if (strstr(c.message, needle) == NULL) fail_msg("message '%s' lacks '%s'", c.message, needle);
}

static void test_declaration_errors(void **state) {
  (void)state;
  expect_spec_error(NULL, NULL, "a cli skill names a program");
  expect_spec_error("", NULL, "a cli skill names a program");
  expect_spec_error("-rf", NULL, "the program's name '-rf' must be");
  expect_spec_error("a b", NULL, "the program's name 'a b' must be");
  expect_spec_error(".hidden", NULL, "must be 1..64 characters");
  expect_spec_error("dir/", NULL, "the program's name '' must be");
  expect_spec_error("jq", "{\"colour\":1}", "unknown option 'colour' for skill type 'cli'");
  expect_spec_error("jq", "{\"timeout_secs\":0}", "timeout_secs");
  expect_spec_error("jq", "{\"check\":\"yes\"}", "check");
  expect_spec_error("jq", "{\"description\":\"\"}", "description");
  void *s;
  vbx_call c;
  assert_int_equal(make("jq", "{\"colour\":1}", &s, &c), VBX_E_SPEC);
  assert_string_equal(c.field, "colour"); /* the CLI points at the key's line */
}

/* What a cli skill adds to a box's allowlist: the argv[0] it will run. */
static void test_commands(void **state) {
  (void)state;
  assert_non_null(VT->commands);
  write_elf("tool2", 0);
  const char *values[][2] = {{"jq", "jq"}, {"./tool2", "/skills/bin/tool2"}};
  for (size_t i = 0; i < 2; i++) {
    vbx_skill_config cfg = {.struct_size = sizeof cfg, .type = "cli", .value = values[i][0]};
    cfg.spec_dir = F.tmpdir;
    vbx_call c;
    fx_call(&c);
    char **out = NULL;
    assert_int_equal(VT->commands(F.impl->plugin_state, &cfg, &out, &c), 0);
    assert_non_null(out);
    assert_string_equal(out[0], values[i][1]);
    assert_null(out[1]);
    F.host->free(out[0]);
    F.host->free(out);
  }
  vbx_skill_config bad = {.struct_size = sizeof bad, .type = "cli", .value = "-x"};
  vbx_call c;
  fx_call(&c);
  char **out = NULL;
  assert_int_equal(VT->commands(F.impl->plugin_state, &bad, &out, &c), VBX_E_SPEC);
  assert_null(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_program_on_path), cmocka_unit_test(test_lookup),
      cmocka_unit_test(test_host_binary),     cmocka_unit_test(test_declaration_errors),
      cmocka_unit_test(test_commands),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
