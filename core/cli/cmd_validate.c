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
  int rc = VBX_EXIT_USAGE;
  vbx_runtime *rt = NULL;
  vbx_pipeline *p = NULL;

  for (int i = 1; i < argc; i++) {
    int c = vbx__cli_common_opt(&common, argc, argv, &i);
    if (c < 0) goto out;
    if (c > 0) continue;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      help(stdout);
      rc = VBX_EXIT_OK;
      goto out;
    }
    vbx__cli_error("validate: unknown option '%s' (see `voidbox validate --help`)", argv[i]);
    goto out;
  }
  rc = vbx__cli_open_spec(&common, "validate", &rt, &p);
  if (rc == VBX_EXIT_OK) printf("%s: ok\n", common.file);
out:
  vbx_pipeline_free(p);
  if (rt) vbx_runtime_free(rt);
  vbx__cli_common_free(&common);
  return rc;
}
