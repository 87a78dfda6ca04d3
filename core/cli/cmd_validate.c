/*
 * cmd_validate.c - `voidbox validate --file SPEC`: parse the spec, check it
 * against the loaded plugins and create each box's LLM provider once (the
 * files its options name, relative to the spec), without starting a box.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "run/run.h"

/* A provider's refusal that is the environment's, not the spec's. */
static void note(void *user, const char *msg) {
  (void)user;
  fprintf(stderr, "voidbox: warning: %s (a run needs it)\n", msg);
}

static void help(FILE *out) {
  fprintf(out,
          "usage: voidbox validate --file SPEC [OPTIONS]\n"
          "\n"
          "Check a spec file: syntax, keys, types, required fields, that every box\n"
          "runs in a stage, and that every sandbox backend, LLM provider, skill type and\n"
          "exporter it names is loaded and accepts its options. Each box's LLM provider\n"
          "is created once and destroyed, so files its options name (relative to the\n"
          "spec's directory) are checked too; a missing API key variable is a warning.\n"
          "Errors are printed as FILE:LINE:COLUMN: message. Starts no sandbox.\n"
          "\n"
          "options:\n"
          "  -f, --file SPEC      spec file to check (required)\n"
          "  --offline            remote skills must be in the cache, pinned: the check\n"
          "                       a run with --offline makes (docs/skills.md)\n");
  vbx__cli_common_help(out);
  fprintf(out, "  -h, --help           this help\n");
}

int vbx__cmd_validate(int argc, char **argv) {
  vbx__cli_common common = {0};
  common.log_level = VBX_LOG_WARN;
  int rc = VBX_EXIT_USAGE;
  vbx_runtime *rt = NULL;
  vbx_pipeline *p = NULL;
  vbx__plan *plan = NULL;

  for (int i = 1; i < argc; i++) {
    int c = vbx__cli_common_opt(&common, argc, argv, &i);
    if (c < 0) goto out;
    if (c > 0) continue;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      help(stdout);
      rc = VBX_EXIT_OK;
      goto out;
    }
    if (!strcmp(argv[i], "--offline")) {
      if (vbx__cli_common_set(&common, "skills.offline=1") != 0) goto out;
      continue;
    }
    static const char *const known[] = {
        "--file", "--offline",   "--plugin",     "--plugin-dir", "--no-plugin-dir",
        "--set",  "--log-level", "--log-format", "--help",       NULL};
    char opt[128];
    snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(argv[i], "="), argv[i]);
    vbx__cli_error("validate: unknown option '%s'%s (see `voidbox validate --help`)", argv[i],
                   vbx__cli_hint(opt, known));
    goto out;
  }
  rc = vbx__cli_open_spec(&common, "validate", &rt, &p, &plan);
  if (rc != VBX_EXIT_OK) goto out;
  vbx_error err;
  memset(&err, 0, sizeof(err));
  if (vbx__pipeline_probe(rt, plan, note, NULL, &err) != 0) {
    fprintf(stderr, "%s\n", err.message[0] ? err.message : vbx_strerror(err.code));
    rc = VBX_EXIT_USAGE;
    goto out;
  }
  if (printf("%s: ok\n", common.file) < 0 || fflush(stdout) != 0) {
    vbx__cli_error("cannot write to stdout: %s", strerror(errno));
    rc = VBX_EXIT_FAILED;
  }
out:
  vbx__plan_free(plan);
  vbx_pipeline_free(p);
  if (rt) vbx_runtime_free(rt);
  vbx__cli_common_free(&common);
  return rc;
}
