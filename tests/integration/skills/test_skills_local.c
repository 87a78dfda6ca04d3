/*
 * tests/integration/skills/test_skills_local.c - skills provisioned into a
 * real sandbox-local box through the CLI, with the mock model calling the
 * tools: a file: skill directory (SKILL.md and a resource, read back in the
 * box; the system prompt lists it without its body), and cli: programs
 * under a command allowlist (the program runs although the allowlist did
 * not name it, bash stays refused; the lookup refused by the allowlist is a
 * clear error); and a mount written relative to the spec's directory.
 *
 * Skips (77) without root (sandbox-local).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

typedef struct fx {
  char dir[64];
} fx;

static int setup(void **state) {
  static fx f;
  if (geteuid() != 0) {
    printf("SKIP: sandbox-local needs root (namespaces, pivot_root)\n");
    exit(77);
  }
  snprintf(f.dir, sizeof f.dir, "/tmp/vbx-skl-XXXXXX");
  if (mkdtemp(f.dir) == NULL) return -1;
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void put(const fx *f, const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", f->dir, rel);
  for (char *p = path + strlen(f->dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
    *p = '\0';
    mkdir(path, 0755);
    *p = '/';
  }
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

/* Run the spec spec.yaml of f's directory; the JSON report (caller
 * decrefs) and the exit status in *rc. */
static json_t *run(const fx *f, int *rc) {
  char cmd[1024], out[128];
  snprintf(out, sizeof out, "%s/out.json", f->dir);
  snprintf(cmd, sizeof cmd, "%s run --file %s/spec.yaml --plugin-dir %s --output json >%s 2>%s.err",
           VBX_TEST_VOIDBOX, f->dir, VBX_TEST_PLUGIN_DIR, out, out);
  int st = system(cmd);
  *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  json_t *j = json_load_file(out, 0, NULL);
  if (j == NULL) {
    snprintf(cmd, sizeof cmd, "cat %s.err", out);
    if (system(cmd) != 0) print_message("no stderr either\n");
  }
  assert_non_null(j);
  return j;
}

static json_t *box_of(json_t *report) {
  return json_array_get(
      json_object_get(json_array_get(json_object_get(report, "stages"), 0), "boxes"), 0);
}

static const char *call_output(json_t *box, size_t i) {
  return json_string_value(
      json_object_get(json_array_get(json_object_get(box, "tool_calls"), i), "output"));
}

static void test_skill_directory_on_local(void **state) {
  fx *f = *state;
  put(f, "skills/csv-tools/SKILL.md",
      "---\nname: csv-tools\ndescription: Sums CSV columns with the bundled script.\n---\n"
      "# CSV tools\nRun scripts/sum.sh FILE.\n");
  put(f, "skills/csv-tools/scripts/sum.sh", "#!/bin/sh\nawk -F, '{s+=$2} END {print s}' \"$1\"\n");
  char path[256];
  snprintf(path, sizeof path, "%s/skills/csv-tools/scripts/sum.sh", f->dir);
  assert_int_equal(chmod(path, 0755), 0);
  put(f, "model.yaml",
      "turns:\n"
      "  - tool_calls:\n"
      "      - name: read_file\n"
      "        input: {path: /skills/csv-tools/SKILL.md}\n"
      "      - name: write_file\n"
      "        input: {path: /workspace/p.csv, content: \"a,2\\nb,40\\n\"}\n"
      "      - name: bash\n"
      "        input: {command: \"/skills/csv-tools/scripts/sum.sh /workspace/p.csv; "
      "stat -c %a /skills/csv-tools/scripts/sum.sh\"}\n"
      "  - text: \"sum {{last_tool_output}}\"\n");
  put(f, "spec.yaml",
      "api_version: v1\nkind: agent\nname: csv\nsandbox: {backend: local}\n"
      "llm: {provider: mock, script: model.yaml}\n"
      "agent:\n  prompt: Sum the CSV.\n  skills: [\"file:skills/csv-tools\"]\n");
  int rc;
  json_t *j = run(f, &rc);
  json_t *box = box_of(j);
  assert_int_equal(rc, 0);
  assert_string_equal(json_string_value(json_object_get(box, "status")), "ok");
  /* the SKILL.md read back from the box, byte for byte */
  assert_non_null(strstr(call_output(box, 0), "description: Sums CSV columns"));
  assert_non_null(strstr(call_output(box, 0), "Run scripts/sum.sh FILE."));
  /* the resource ran, executable as on the host */
  assert_non_null(strstr(call_output(box, 2), "42\n755"));
  json_decref(j);
}

static void test_cli_under_an_allowlist(void **state) {
  fx *f = *state;
  put(f, "model.yaml",
      "turns:\n"
      "  - tool_calls:\n"
      "      - name: cli__sort\n"
      "        input: {args: [\"-r\"], stdin: \"apple\\ncherry\\nbanana\\n\"}\n"
      "      - name: bash\n"
      "        input: {command: \"echo should not run\"}\n"
      "  - text: done\n");
  put(f, "spec.yaml",
      "api_version: v1\nkind: agent\nname: sorter\n"
      "sandbox: {backend: local, allow: [cat]}\n"
      "llm: {provider: mock, script: model.yaml}\n"
      "agent:\n  prompt: Sort.\n  skills:\n"
      "    - {type: cli, value: sort, description: sorts lines, check: false}\n");
  int rc;
  json_t *j = run(f, &rc);
  json_t *box = box_of(j);
  assert_int_equal(rc, 0);
  /* sort ran: the skill put it on the allowlist */
  assert_string_equal(call_output(box, 0), "cherry\nbanana\napple\n");
  /* bash did not: the allowlist is in force */
  assert_non_null(strstr(call_output(box, 1), "not in the guest's command allowlist"));
  json_decref(j);
  /* the lookup needs /bin/sh, which this allowlist refuses: said so */
  put(f, "spec.yaml",
      "api_version: v1\nkind: agent\nname: sorter\n"
      "sandbox: {backend: local, allow: [cat]}\n"
      "llm: {provider: mock, script: model.yaml}\n"
      "agent:\n  prompt: Sort.\n  skills: [\"cli:sort\"]\n");
  j = run(f, &rc);
  box = box_of(j);
  assert_int_not_equal(rc, 0);
  const char *err = json_string_value(json_object_get(box, "error"));
  assert_non_null(err);
  assert_non_null(strstr(err, "cannot look the program up: the box refuses /bin/sh"));
  json_decref(j);
  /* a program that is not there, looked up without an allowlist */
  put(f, "spec.yaml",
      "api_version: v1\nkind: agent\nname: sorter\nsandbox: {backend: local}\n"
      "llm: {provider: mock, script: model.yaml}\n"
      "agent:\n  prompt: Sort.\n  skills: [\"cli:no-such-program-vbx\"]\n");
  j = run(f, &rc);
  box = box_of(j);
  assert_int_not_equal(rc, 0);
  err = json_string_value(json_object_get(box, "error"));
  assert_non_null(strstr(err, "no program 'no-such-program-vbx' in the sandbox"));
  json_decref(j);
}

/* A spec's relative mount path is relative to the spec's directory (the
 * spec's skills and mounts are written against it), not voidbox's cwd. */
static void test_relative_mount_on_local(void **state) {
  fx *f = *state;
  put(f, "data/note.txt", "mounted-from-the-spec-dir\n");
  put(f, "model.yaml",
      "turns:\n  - tool_calls: [{name: read_file, input: {path: /data/note.txt}}]\n"
      "  - text: done\n");
  put(f, "spec.yaml",
      "api_version: v1\nkind: agent\nname: m\n"
      "sandbox: {backend: local, mounts: [{host: data, guest: /data}]}\n"
      "llm: {provider: mock, script: model.yaml}\nagent: {prompt: Read.}\n");
  int rc;
  json_t *j = run(f, &rc); /* run() starts voidbox from the test's cwd, not the spec's */
  json_t *box = box_of(j);
  assert_int_equal(rc, 0);
  assert_string_equal(call_output(box, 0), "mounted-from-the-spec-dir\n");
  json_decref(j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_skill_directory_on_local),
      cmocka_unit_test(test_cli_under_an_allowlist),
      cmocka_unit_test(test_relative_mount_on_local),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
