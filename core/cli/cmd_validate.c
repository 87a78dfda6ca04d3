/*
 * cmd_validate.c - `voidbox validate --file SPEC`: parse the spec and check
 * it against the loaded plugins without running anything.
 */
#include <string.h>

#include "cli.h"

static void help(FILE *out) {
  fprintf(out,
          "usage: voidbox validate --file SPEC [OPTIONS]\n"
          "\n"
          "Check a spec file: syntax, keys, types, required fields, and that every\n"
          "sandbox backend, LLM provider and skill type it names is loaded and accepts\n"
          "its options. Errors are printed as FILE:LINE:COLUMN: message. Runs nothing.\n"
          "\n"
          "options:\n"
          "  -f, --file SPEC      spec file to check (required)\n");
  vbx__cli_common_help(out);
  fprintf(out, "  -h, --help           this help\n");
}

int vbx__cmd_validate(int argc, char **argv) {
  vbx__cli_common common = {0};
  common.log_level = VBX_LOG_WARN;
  const char *file = NULL;
  int rc = VBX_EXIT_USAGE;
  vbx_runtime *rt = NULL;
  vbx_pipeline *p = NULL;
  vbx_error err;
  memset(&err, 0, sizeof(err));

  for (int i = 1; i < argc; i++) {
    int c = vbx__cli_common_opt(&common, argc, argv, &i);
    if (c < 0) goto out;
    if (c > 0) continue;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      help(stdout);
      rc = VBX_EXIT_OK;
      goto out;
    } else if ((!strcmp(argv[i], "--file") || !strcmp(argv[i], "-f")) && i + 1 < argc) {
      file = argv[++i];
    } else if (!strncmp(argv[i], "--file=", 7)) {
      file = argv[i] + 7;
    } else {
      vbx__cli_error("validate: unknown or incomplete option '%s'", argv[i]);
      goto out;
    }
  }
  if (!file) {
    vbx__cli_error("validate: --file SPEC is required");
    goto out;
  }
  if (vbx_pipeline_load_file(file, &p, &err) != 0) {
    fprintf(stderr, "%s\n", err.message);
    goto out;
  }
  if (!(rt = vbx__cli_runtime(&common))) goto out;
  if (vbx_pipeline_check(rt, p, &err) != 0) {
    fprintf(stderr, "%s\n", err.message);
    goto out;
  }
  printf("%s: ok\n", file);
  rc = VBX_EXIT_OK;
out:
  vbx_pipeline_free(p);
  if (rt) vbx_runtime_free(rt);
  vbx__cli_common_free(&common);
  return rc;
}
