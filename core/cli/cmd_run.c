/*
 * cmd_run.c - `voidbox run --file SPEC`: read the spec, then run it
 * supervised (supervise.h): a worker process loads the plugins and runs the
 * pipeline while this process prints its streaming output and, at the end,
 * a summary table or a JSON report — also when plugin code crashes, hangs
 * or exits.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "supervise.h"

static void help(FILE *out) {
  fprintf(out,
          "usage: voidbox run --file SPEC [OPTIONS]\n"
          "\n"
          "Run an agent or pipeline spec (YAML or JSON). Box output streams as it is\n"
          "produced, prefixed with the box name; a summary table follows. Plugins run in\n"
          "a supervised worker process: a plugin that crashes, exits or hangs past its\n"
          "deadline ends the run with an error naming it, and finished boxes are kept.\n"
          "\n"
          "options:\n"
          "  -f, --file SPEC      spec file to run (required)\n"
          "  --input TEXT         input given to the first stage\n"
          "  --output FORMAT      human (default) or json: one JSON report on stdout,\n"
          "                       streaming output then goes to stderr\n"
          "  --load-timeout SECS  bound on loading the plugins and checking the spec\n"
          "                       (default %d)\n",
          VBX_SUP_LOAD_TIMEOUT_S);
  vbx__cli_common_help(out);
  fprintf(out, "  -h, --help           this help\n"
               "\nSIGINT or SIGTERM cancels the run (the report is still written); a second\n"
               "one stops it at once.\n"
               "exit codes: 0 success, 1 run failed or cancelled, 2 usage/spec/plugin error\n");
}

int vbx__cmd_run(int argc, char **argv) {
  vbx__cli_common common = {0};
  common.log_level = VBX_LOG_WARN;
  const char *input = NULL, *output = "human";
  unsigned long load_timeout = VBX_SUP_LOAD_TIMEOUT_S;
  int rc = VBX_EXIT_USAGE;
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
    } else if (!strcmp(argv[i], "--input") && i + 1 < argc) {
      input = argv[++i];
    } else if (!strcmp(argv[i], "--output") && i + 1 < argc) {
      output = argv[++i];
    } else if (!strcmp(argv[i], "--load-timeout") && i + 1 < argc) {
      char *end;
      load_timeout = strtoul(argv[++i], &end, 10);
      if (*end != '\0' || argv[i][0] == '\0' || load_timeout == 0 || load_timeout > 3600) {
        vbx__cli_error("run: --load-timeout takes seconds from 1 to 3600, not '%s'", argv[i]);
        goto out;
      }
    } else {
      vbx__cli_error("run: unknown or incomplete option '%s' (see `voidbox run --help`)",
                     argv[i]);
      goto out;
    }
  }
  int json = !strcmp(output, "json");
  if (!json && strcmp(output, "human")) {
    vbx__cli_error("run: --output must be human or json, not '%s'", output);
    goto out;
  }
  if (!common.file) {
    vbx__cli_error("run: --file SPEC is required (see `voidbox run --help`)");
    goto out;
  }
  /* Syntax first, here: a spec error needs no plugin and no worker. */
  if (vbx_pipeline_load_file(common.file, &p, &err) != 0) {
    fprintf(stderr, "%s\n", err.message[0] ? err.message : vbx_strerror(err.code));
    goto out;
  }
  vbx__sup_options so = {&common, p, input, json, (unsigned)load_timeout};
  rc = vbx__supervise_run(&so);

out:
  vbx_pipeline_free(p);
  vbx__cli_common_free(&common);
  return rc;
}
