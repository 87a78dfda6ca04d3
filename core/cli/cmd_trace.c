/*
 * cmd_trace.c - `voidbox trace FILE`: show an OTLP/JSON trace file (one
 * `voidbox run --trace` wrote, or a collector file exporter's) as a text
 * waterfall, or as a JSON tree for scripts (trace_view.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "term_caps.h"
#include "trace_layout.h"
#include "trace_view.h"

#define DEFAULT_WIDTH 100

static void help(FILE *out) {
  fprintf(out,
          "usage: voidbox trace FILE [OPTIONS]\n"
          "\n"
          "Show a trace file (OTLP/JSON: what `voidbox run --trace FILE` writes, or an\n"
          "OpenTelemetry collector file exporter's JSON lines; \"-\" reads stdin) as a\n"
          "waterfall: one line per span, children under their parent, siblings by start\n"
          "time, a bar on the trace's time axis, the duration, and \"error\" for spans\n"
          "that failed. A span whose parent is not in the file is shown as a root.\n"
          "Several traces are shown one after the other.\n"
          "\n"
          "options:\n"
          "  --trace-id ID        show only the trace with this id (32 hex digits)\n"
          "  --json               print the span tree as JSON instead (for scripts)\n"
          "  --width N            line width, %d to %d (default: the terminal's, or\n"
          "                       %d when stdout is not a terminal)\n"
          "  --no-color           no colour (colour is used on a terminal only;\n"
          "                       NO_COLOR=1 turns it off too)\n"
          "  -h, --help           this help\n"
          "\nexit codes: 0 shown, 1 stdout could not be written, 2 usage error or a file\n"
          "that cannot be read, is malformed or holds no spans\n",
          VBX_TRACE_MIN_WIDTH, VBX_TRACE_MAX_WIDTH, DEFAULT_WIDTH);
}

static const char *const k_options[] = {"--trace-id", "--json", "--width",
                                        "--no-color", "--help", NULL};

/* The value of option `opt` at argv[*i] ("--opt=v" or "--opt v"), or NULL. */
static const char *value_of(const char *opt, int argc, char **argv, int *i) {
  size_t n = strlen(opt);
  if (strncmp(argv[*i], opt, n) != 0) return NULL;
  if (argv[*i][n] == '=') return argv[*i] + n + 1;
  if (argv[*i][n] == '\0' && *i + 1 < argc) return argv[++*i];
  return NULL;
}

static int is_trace_id(const char *s) {
  return strlen(s) == 32 && strspn(s, "0123456789abcdefABCDEF") == 32;
}

int vbx__cmd_trace(int argc, char **argv) {
  vbx__trace_view v = {.width = DEFAULT_WIDTH};
  const char *file = NULL, *val;
  int no_color = 0, width_set = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      help(stdout);
      return VBX_EXIT_OK;
    } else if (!strcmp(argv[i], "--json")) {
      v.json = 1;
    } else if (!strcmp(argv[i], "--no-color")) {
      no_color = 1;
    } else if ((val = value_of("--trace-id", argc, argv, &i)) != NULL) {
      if (!is_trace_id(val)) {
        vbx__cli_error("trace: --trace-id takes 32 hex digits, not '%s'", val);
        return VBX_EXIT_USAGE;
      }
      v.trace_id = val;
    } else if ((val = value_of("--width", argc, argv, &i)) != NULL) {
      char *end;
      unsigned long w = strtoul(val, &end, 10);
      if (*end != '\0' || val[0] == '\0' || w < VBX_TRACE_MIN_WIDTH || w > VBX_TRACE_MAX_WIDTH) {
        vbx__cli_error("trace: --width takes %d to %d columns, not '%s'", VBX_TRACE_MIN_WIDTH,
                       VBX_TRACE_MAX_WIDTH, val);
        return VBX_EXIT_USAGE;
      }
      v.width = (unsigned)w;
      width_set = 1;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      char opt[128];
      snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(argv[i], "="), argv[i]);
      vbx__cli_error("trace: unknown or incomplete option '%s'%s (see `voidbox trace --help`)",
                     argv[i], vbx__cli_hint(opt, k_options));
      return VBX_EXIT_USAGE;
    } else if (file != NULL) {
      vbx__cli_error("trace: one FILE only, not '%s' after '%s'", argv[i], file);
      return VBX_EXIT_USAGE;
    } else {
      file = argv[i];
    }
  }
  if (file == NULL) {
    vbx__cli_error("trace: FILE is required (see `voidbox trace --help`)");
    return VBX_EXIT_USAGE;
  }
  if (!width_set) v.width = vbx__term_width(STDOUT_FILENO, DEFAULT_WIDTH);
  v.color = !no_color && !v.json && vbx__term_color(STDOUT_FILENO);

  vbx__strbuf out = VBX__STRBUF_INIT;
  char why[1024];
  if (vbx__trace_view_file(file, &v, &out, why, sizeof(why)) != 0) {
    vbx__strbuf_reset(&out);
    vbx__cli_error("%s: %s", file, why);
    return VBX_EXIT_USAGE;
  }
  int rc = VBX_EXIT_OK;
  errno = 0;
  if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
    vbx__cli_error("cannot write to stdout: %s", strerror(errno ? errno : EIO));
    rc = VBX_EXIT_FAILED;
  }
  vbx__strbuf_reset(&out);
  return rc;
}
