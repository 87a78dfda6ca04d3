/*
 * cli_common.c - options shared by the commands that load plugins, and
 * error printing.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run/plan.h"
#include "util/error.h"

static char g_last_error[1024];

void vbx__cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_last_error, sizeof(g_last_error), fmt, ap);
  va_end(ap);
  fprintf(stderr, "voidbox: %s\n", g_last_error);
}

const char *vbx__cli_last_error(void) { return g_last_error; }

const char *vbx__cli_hint(const char *word, const char *const *names) {
  static char buf[160];
  const char *near = vbx__did_you_mean(word, names);
  if (near == NULL) return "";
  snprintf(buf, sizeof(buf), " (did you mean '%.100s'?)", near);
  return buf;
}

int vbx__cli_log_level(const char *name) {
  static const char *const names[] = {"trace", "debug", "info", "warn", "error"};
  for (int i = 0; i < 5; i++)
    if (!strcmp(name, names[i])) return i;
  return -1;
}

int vbx__cli_log_format(const char *name) {
  if (!strcmp(name, "text")) return VBX_LOG_FORMAT_TEXT;
  if (!strcmp(name, "json")) return VBX_LOG_FORMAT_JSON;
  return -1;
}

vbx_log_format vbx__cli_log_format_of(const vbx__cli_common *c) {
  static int warned;
  if (c->log_format_set) return (vbx_log_format)c->log_format;
  const char *env = getenv("VOIDBOX_LOG_FORMAT");
  if (env == NULL || *env == '\0') return VBX_LOG_FORMAT_TEXT;
  int f = vbx__cli_log_format(env);
  if (f >= 0) return (vbx_log_format)f;
  if (!warned)
    fprintf(stderr, "voidbox: warning: VOIDBOX_LOG_FORMAT: unknown log format '%s' (text, json)\n",
            env);
  warned = 1;
  return VBX_LOG_FORMAT_TEXT;
}

/* Append s to a NULL-terminated array. */
static int push(const char ***arr, size_t *n, const char *s) {
  const char **p = realloc(*arr, (*n + 2) * sizeof(*p));
  if (!p) return -1;
  p[(*n)++] = s;
  p[*n] = NULL;
  *arr = p;
  return 0;
}

/* The value of option argv[*i]: "--opt=value" or "--opt value". */
static const char *opt_value(const char *opt, int argc, char **argv, int *i) {
  const char *arg = argv[*i];
  size_t n = strlen(opt);
  if (arg[n] == '=') return arg + n + 1;
  if (*i + 1 >= argc) {
    vbx__cli_error("option %s needs a value", opt);
    return NULL;
  }
  return argv[++*i];
}

static int is_opt(const char *arg, const char *opt) {
  size_t n = strlen(opt);
  return !strncmp(arg, opt, n) && (arg[n] == '\0' || arg[n] == '=');
}

int vbx__cli_common_opt(vbx__cli_common *c, int argc, char **argv, int *i) {
  const char *arg = argv[*i], *v;
  if (!strcmp(arg, "-f") || is_opt(arg, "--file")) {
    if (!(v = opt_value(arg[1] == 'f' ? "-f" : "--file", argc, argv, i))) return -1;
    c->file = v;
    return 1;
  }
  if (is_opt(arg, "--plugin")) {
    if (!(v = opt_value("--plugin", argc, argv, i))) return -1;
    return push(&c->plugins, &c->n_plugins, v) ? -1 : 1;
  }
  if (is_opt(arg, "--set")) {
    if (!(v = opt_value("--set", argc, argv, i))) return -1;
    if (!strchr(v, '=')) {
      vbx__cli_error("--set takes key=value, got '%s'", v);
      return -1;
    }
    return push(&c->config, &c->n_config, v) ? -1 : 1;
  }
  if (is_opt(arg, "--plugin-dir")) {
    if (!(v = opt_value("--plugin-dir", argc, argv, i))) return -1;
    c->plugin_dir = v;
    return 1;
  }
  if (!strcmp(arg, "--no-plugin-dir")) {
    c->no_plugin_dir = 1;
    return 1;
  }
  if (is_opt(arg, "--log-level")) {
    if (!(v = opt_value("--log-level", argc, argv, i))) return -1;
    int lvl = vbx__cli_log_level(v);
    if (lvl < 0) {
      vbx__cli_error("unknown log level '%s' (trace, debug, info, warn, error)", v);
      return -1;
    }
    c->log_level = (vbx_log_level)lvl;
    return 1;
  }
  if (is_opt(arg, "--log-format")) {
    if (!(v = opt_value("--log-format", argc, argv, i))) return -1;
    int f = vbx__cli_log_format(v);
    if (f < 0) {
      vbx__cli_error("unknown log format '%s' (text, json)", v);
      return -1;
    }
    c->log_format = f;
    c->log_format_set = 1;
    return 1;
  }
  return 0;
}

int vbx__cli_common_set(vbx__cli_common *c, const char *kv) {
  if (push(&c->config, &c->n_config, kv) == 0) return 0;
  vbx__cli_error("out of memory");
  return -1;
}

void vbx__cli_common_free(vbx__cli_common *c) {
  free(c->plugins);
  free(c->config);
  c->plugins = c->config = NULL;
  c->n_plugins = c->n_config = 0;
}

int vbx__cli_runtime_new(const vbx__cli_common *c, vbx_runtime **out, vbx_error *err) {
  vbx_runtime_options o;
  memset(&o, 0, sizeof(o));
  o.struct_size = sizeof(o);
  o.plugin_paths = c->plugins;
  o.skip_plugin_dir = c->no_plugin_dir;
  o.plugin_dir = c->plugin_dir;
  o.log_level_set = 1;
  o.log_level = c->log_level;
  o.config = c->config;
  o.log_format = vbx__cli_log_format_of(c);
  return vbx_runtime_new(&o, out, err);
}

vbx_runtime *vbx__cli_runtime(const vbx__cli_common *c) {
  vbx_runtime *rt = NULL;
  vbx_error err;
  memset(&err, 0, sizeof(err));
  if (vbx__cli_runtime_new(c, &rt, &err) != 0) {
    vbx__cli_error("%s", err.message[0] ? err.message : vbx_strerror(err.code));
    return NULL;
  }
  return rt;
}

int vbx__cli_open_spec(const vbx__cli_common *c, const char *cmd, vbx_runtime **rt,
                       vbx_pipeline **p, vbx__plan **plan) {
  vbx_error err;
  memset(&err, 0, sizeof(err));
  *rt = NULL;
  *p = NULL;
  *plan = NULL;
  if (!c->file) {
    vbx__cli_error("%s: --file SPEC is required (see `voidbox %s --help`)", cmd, cmd);
    return VBX_EXIT_USAGE;
  }
  if (vbx_pipeline_load_file(c->file, p, &err) != 0) goto fail;
  if (!(*rt = vbx__cli_runtime(c))) goto fail_quiet;
  if (vbx__pipeline_check_plan(*rt, *p, plan, &err) != 0) goto fail;
  return VBX_EXIT_OK;
fail:
  fprintf(stderr, "%s\n", err.message[0] ? err.message : vbx_strerror(err.code));
fail_quiet:
  vbx_pipeline_free(*p);
  if (*rt) vbx_runtime_free(*rt);
  *rt = NULL;
  *p = NULL;
  return VBX_EXIT_USAGE;
}

void vbx__cli_common_help(FILE *out) {
  fprintf(out,
          "  --plugin PATH        load a plugin .so (repeatable)\n"
          "  --plugin-dir DIR     load plugins from DIR instead of the install's directory\n"
          "  --no-plugin-dir      load only the plugins named with --plugin\n"
          "  --set KEY=VALUE      host setting readable by plugins (repeatable)\n"
          "  --log-level LEVEL    trace, debug, info, warn (default), error\n"
          "  --log-format FORMAT  text (default) or json: one JSON object per log line\n"
          "                       (default from VOIDBOX_LOG_FORMAT)\n");
}
