/*
 * cmd_run.c - `voidbox run --file SPEC`: read the spec, then run it
 * supervised (supervise.h): a worker process loads the plugins and runs the
 * pipeline while this process prints its streaming output and, at the end,
 * a summary table or a JSON report — also when plugin code crashes, hangs
 * or exits — and, with --trace FILE, the run's trace as a waterfall.
 */
#include <stdarg.h>
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
          "                       (default %d)\n"
          "  --trace FILE         write the run's spans to FILE (OTLP/JSON, one line;\n"
          "                       replaced atomically) and show them as a waterfall on\n"
          "                       stderr after the summary (see `voidbox trace`)\n"
          "  --offline            remote skills come from the cache only: no network\n"
          "                       (--set skills.offline=1; docs/skills.md)\n",
          VBX_SUP_LOAD_TIMEOUT_S);
  vbx__cli_common_help(out);
  fprintf(out,
          "  -h, --help           this help\n"
          "\nSIGINT or SIGTERM cancels the run (the report is still written); a second\n"
          "one stops it at once. A TRACEPARENT environment variable (W3C trace context)\n"
          "makes the run's spans part of that trace.\n"
          "exit codes: 0 success, 1 run failed or cancelled or the trace file could not\n"
          "be written, 2 usage/spec/plugin error\n");
}

static const char *const k_options[] = {
    "--file",          "--input", "--output",    "--load-timeout",
    "--offline",       "--trace", "--plugin",    "--plugin-dir",
    "--no-plugin-dir", "--set",   "--log-level", "--log-format",
    "--help",          NULL};

/* `--output json` anywhere on the line: errors before the option is
 * reached are JSON documents too. */
static int wants_json(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if ((!strcmp(argv[i], "--output") && i + 1 < argc && !strcmp(argv[i + 1], "json")) ||
        !strcmp(argv[i], "--output=json"))
      return 1;
  return 0;
}

/* A usage error: the message on stderr, and with --output json the error
 * document on stdout. Returns the exit code. */
static int usage_error(int json, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(int json, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  vbx__cli_error("%s", msg);
  return json ? vbx__cli_print_error_doc(VBX_EXIT_USAGE, VBX_E_INVAL, msg, NULL) : VBX_EXIT_USAGE;
}

/* The value of option `opt` at argv[*i] ("--opt=v" or "--opt v"), or NULL. */
static const char *value_of(const char *opt, int argc, char **argv, int *i) {
  size_t n = strlen(opt);
  if (strncmp(argv[*i], opt, n) != 0) return NULL;
  if (argv[*i][n] == '=') return argv[*i] + n + 1;
  if (argv[*i][n] == '\0' && *i + 1 < argc) return argv[++*i];
  return NULL;
}

int vbx__cmd_run(int argc, char **argv) {
  vbx__cli_common common = {0};
  common.log_level = VBX_LOG_WARN;
  const char *input = NULL, *output = "human", *trace = NULL, *v;
  unsigned long load_timeout = VBX_SUP_LOAD_TIMEOUT_S;
  int json = wants_json(argc, argv);
  int rc = VBX_EXIT_USAGE;
  vbx_pipeline *p = NULL;
  vbx_error err;
  memset(&err, 0, sizeof(err));

  for (int i = 1; i < argc; i++) {
    int c = vbx__cli_common_opt(&common, argc, argv, &i);
    if (c < 0) {
      rc = json ? vbx__cli_print_error_doc(VBX_EXIT_USAGE, VBX_E_INVAL, vbx__cli_last_error(), NULL)
                : VBX_EXIT_USAGE;
      goto out;
    }
    if (c > 0) continue;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      help(stdout);
      rc = VBX_EXIT_OK;
      goto out;
    } else if (!strcmp(argv[i], "--offline")) {
      if (vbx__cli_common_set(&common, "skills.offline=1") != 0) {
        rc = VBX_EXIT_FAILED;
        goto out;
      }
    } else if ((v = value_of("--input", argc, argv, &i)) != NULL) {
      input = v;
    } else if ((v = value_of("--output", argc, argv, &i)) != NULL) {
      output = v;
    } else if ((v = value_of("--trace", argc, argv, &i)) != NULL) {
      if (v[0] == '\0') {
        rc = usage_error(json, "run: --trace takes a file name");
        goto out;
      }
      trace = v;
    } else if ((v = value_of("--load-timeout", argc, argv, &i)) != NULL) {
      char *end;
      load_timeout = strtoul(v, &end, 10);
      if (*end != '\0' || v[0] == '\0' || load_timeout == 0 || load_timeout > 3600) {
        rc = usage_error(json, "run: --load-timeout takes seconds from 1 to 3600, not '%s'", v);
        goto out;
      }
    } else {
      char opt[128];
      snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(argv[i], "="), argv[i]);
      rc = usage_error(json, "run: unknown or incomplete option '%s'%s (see `voidbox run --help`)",
                       argv[i], vbx__cli_hint(opt, k_options));
      goto out;
    }
  }
  if (!json && strcmp(output, "human")) {
    rc = usage_error(json, "run: --output must be human or json, not '%s'", output);
    goto out;
  }
  if (!common.file) {
    rc = usage_error(json, "run: --file SPEC is required (see `voidbox run --help`)");
    goto out;
  }
  /* Syntax first, here: a spec error needs no plugin and no worker. */
  if (vbx_pipeline_load_file(common.file, &p, &err) != 0) {
    fprintf(stderr, "%s\n", err.message[0] ? err.message : vbx_strerror(err.code));
    rc = json ? vbx__cli_print_error_doc(VBX_EXIT_USAGE, 0, NULL, &err) : VBX_EXIT_USAGE;
    goto out;
  }
  const char *tp = getenv("TRACEPARENT");
  vbx__sup_options so = {.common = &common,
                         .p = p,
                         .input = input,
                         .json = json,
                         .load_timeout_s = (unsigned)load_timeout,
                         .trace_path = trace,
                         .traceparent = tp && *tp ? tp : NULL};
  rc = vbx__supervise_run(&so);

out:
  vbx_pipeline_free(p);
  vbx__cli_common_free(&common);
  return rc;
}
