/*
 * cmd_run.c - `voidbox run --file SPEC`: load plugins and the spec, run it
 * with streaming output, print a summary table or a JSON report.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "stream_printer.h"
#include "summary_table.h"

static vbx_runtime *volatile g_runtime;
static volatile sig_atomic_t g_interrupts;

/* First Ctrl-C cancels every box cleanly; a second one exits at once. */
static void on_sigint(int sig) {
  (void)sig;
  if (g_interrupts++ > 0) _exit(130);
  static const char msg[] = "\nvoidbox: cancelling (Ctrl-C again to quit now)\n";
  ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
  (void)w;
  if (g_runtime) vbx_runtime_cancel(g_runtime);
}

static void help(FILE *out) {
  fprintf(out,
          "usage: voidbox run --file SPEC [OPTIONS]\n"
          "\n"
          "Run an agent or pipeline spec (YAML or JSON). Box output streams as it is\n"
          "produced, prefixed with the box name; a summary table follows.\n"
          "\n"
          "options:\n"
          "  -f, --file SPEC      spec file to run (required)\n"
          "  --input TEXT         input given to the first stage\n"
          "  --output FORMAT      human (default) or json: one JSON report on stdout,\n"
          "                       streaming output then goes to stderr\n");
  vbx__cli_common_help(out);
  fprintf(out, "  -h, --help           this help\n"
               "\nexit codes: 0 success, 1 run failed or cancelled, 2 usage/spec/plugin error\n");
}

int vbx__cmd_run(int argc, char **argv) {
  vbx__cli_common common = {0};
  common.log_level = VBX_LOG_WARN;
  const char *input = NULL, *output = "human";
  int rc = VBX_EXIT_USAGE;
  vbx_runtime *rt = NULL;
  vbx_pipeline *p = NULL;
  vbx_result *res = NULL;
  vbx__printer *printer = NULL;
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
  if ((rc = vbx__cli_open_spec(&common, "run", &rt, &p)) != VBX_EXIT_OK) goto out;
  rc = VBX_EXIT_FAILED;
  FILE *stream_out = json ? stderr : stdout;
  if (!(printer = vbx__printer_new(stream_out))) {
    vbx__cli_error("out of memory");
    goto out;
  }

  g_runtime = rt;
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  vbx_run_options ro;
  memset(&ro, 0, sizeof(ro));
  ro.struct_size = sizeof(ro);
  ro.input = input;
  ro.on_stream = vbx__printer_stream;
  ro.on_event = vbx__printer_event;
  ro.user = printer;
  int run_rc = vbx_pipeline_run(rt, p, &ro, &res, &err);

  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  g_runtime = NULL;
  vbx__printer_free(printer);
  printer = NULL;

  if (run_rc != 0 && !res) {
    fprintf(stderr, "%s\n", err.message[0] ? err.message : vbx_strerror(run_rc));
    rc = run_rc == VBX_E_SPEC ? VBX_EXIT_USAGE : VBX_EXIT_FAILED;
    goto out;
  }
  if (json) {
    char *doc = vbx_result_to_json(res);
    if (!doc) {
      vbx__cli_error("out of memory writing the JSON report");
      rc = VBX_EXIT_FAILED;
      goto out;
    }
    printf("%s\n", doc);
    vbx_free(doc);
  } else {
    vbx__summary_print(stdout, res);
  }
  rc = vbx_result_status(res) == VBX_STATUS_OK ? VBX_EXIT_OK : VBX_EXIT_FAILED;

out:
  vbx__printer_free(printer);
  vbx_result_free(res);
  vbx_pipeline_free(p);
  if (rt) vbx_runtime_free(rt);
  vbx__cli_common_free(&common);
  return rc;
}
