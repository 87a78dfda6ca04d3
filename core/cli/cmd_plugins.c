/*
 * cmd_plugins.c - `voidbox plugins` (list what is loaded) and
 * `voidbox plugin inspect PATH` (probe a .so in a forked child).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plugin/inspect.h"
#include "runtime.h"

static void plugins_help(FILE *out) {
  fprintf(out,
          "usage: voidbox plugins [OPTIONS]\n"
          "\n"
          "Load the plugins (the install's plugin directory plus any --plugin) and list\n"
          "each one: name, version, licence, path, and the skill types, LLM providers,\n"
          "sandbox backends and exporters it registers.\n"
          "\n"
          "options:\n"
          "  --output FORMAT      human (default) or json\n");
  vbx__cli_common_help(out);
  fprintf(out, "  -h, --help           this help\n");
}

static json_t *plugin_json(const vbx__plugin *pl) {
  json_t *o = json_object(), *impls = json_array();
  json_object_set_new(o, "name", json_string(vbx__plugin_name(pl)));
  json_object_set_new(o, "version", json_string(vbx__plugin_version(pl)));
  json_object_set_new(o, "license", json_string(vbx__plugin_license(pl)));
  json_object_set_new(o, "description", json_string(vbx__plugin_description(pl)));
  json_object_set_new(o, "path", json_string(vbx__plugin_path(pl)));
  const vbx__impl *im;
  for (size_t k = 0; (im = vbx__plugin_impl_at(pl, k)); k++) {
    json_t *e = json_object();
    json_object_set_new(e, "kind", json_string(vbx__kind_name(im->kind)));
    json_object_set_new(e, "name", json_string(im->name));
    json_array_append_new(impls, e);
  }
  json_object_set_new(o, "registers", impls);
  return o;
}

static void plugin_human(const vbx__plugin *pl) {
  printf("%s %s (%s)\n  %s\n  path: %s\n", vbx__plugin_name(pl), vbx__plugin_version(pl),
         vbx__plugin_license(pl), vbx__plugin_description(pl), vbx__plugin_path(pl));
  const vbx__impl *im;
  for (size_t k = 0; (im = vbx__plugin_impl_at(pl, k)); k++) {
    printf("  %-9s %s", vbx__kind_name(im->kind), im->name);
    if (im->kind == VBX_KIND_SANDBOX) {
      const vbx_sandbox_backend_vtable *vt = im->vtable;
      if (vt->flags & VBX_SANDBOX_IS_VM)
        printf("  [VM isolation]");
      else if (vt->flags & VBX_SANDBOX_IS_SIMULATED)
        printf("  [simulated: runs nothing]");
      else
        printf("  [process isolation, not a VM]");
    }
    printf("\n");
  }
}

int vbx__cmd_plugins(int argc, char **argv) {
  vbx__cli_common common = {0};
  common.log_level = VBX_LOG_WARN;
  int rc = VBX_EXIT_USAGE, json = 0;
  vbx_runtime *rt = NULL;
  for (int i = 1; i < argc; i++) {
    int c = vbx__cli_common_opt(&common, argc, argv, &i);
    if (c < 0) goto out;
    if (c > 0) continue;
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      plugins_help(stdout);
      rc = VBX_EXIT_OK;
      goto out;
    } else if (!strcmp(argv[i], "--output") && i + 1 < argc) {
      const char *f = argv[++i];
      if (strcmp(f, "json") && strcmp(f, "human")) {
        vbx__cli_error("plugins: --output must be human or json, not '%s'", f);
        goto out;
      }
      json = !strcmp(f, "json");
    } else {
      vbx__cli_error("plugins: unknown or incomplete option '%s'", argv[i]);
      goto out;
    }
  }
  if (common.file) {
    vbx__cli_error("plugins: --file is not an option of this command");
    goto out;
  }
  if (!(rt = vbx__cli_runtime(&common))) goto out;
  const vbx__plugin *pl;
  if (json) {
    json_t *arr = json_array();
    for (size_t i = 0; (pl = vbx__registry_plugin_at(rt->reg, i)); i++)
      json_array_append_new(arr, plugin_json(pl));
    char *doc = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (doc) printf("%s\n", doc);
    free(doc);
    json_decref(arr);
  } else {
    size_t n = 0;
    for (size_t i = 0; (pl = vbx__registry_plugin_at(rt->reg, i)); i++, n++)
      plugin_human(pl);
    if (!n) printf("no plugins loaded\n");
  }
  rc = VBX_EXIT_OK;
out:
  if (rt) vbx_runtime_free(rt);
  vbx__cli_common_free(&common);
  return rc;
}

static void plugin_help(FILE *out) {
  fprintf(out,
          "usage: voidbox plugin inspect PATH [--timeout-ms N]\n"
          "\n"
          "Validate a plugin .so without risking this process: it is loaded in a\n"
          "forked child, every ABI check runs, and the result is printed as JSON. A\n"
          "plugin that crashes or hangs while loading is reported, not fatal.\n"
          "exit codes: 0 the plugin is valid, 1 it failed a check or crashed, 2 usage\n");
}

int vbx__cmd_plugin(int argc, char **argv) {
  if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
    plugin_help(stdout);
    return VBX_EXIT_OK;
  }
  if (argc < 3 || strcmp(argv[1], "inspect")) {
    plugin_help(stderr);
    return VBX_EXIT_USAGE;
  }
  const char *path = NULL;
  int timeout_ms = 10000;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      plugin_help(stdout);
      return VBX_EXIT_OK;
    } else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) {
      char *end;
      long v = strtol(argv[++i], &end, 10);
      if (*end || v <= 0 || v > 600000) {
        vbx__cli_error("plugin inspect: --timeout-ms takes 1..600000, not '%s'", argv[i]);
        return VBX_EXIT_USAGE;
      }
      timeout_ms = (int)v;
    } else if (!path && argv[i][0] != '-') {
      path = argv[i];
    } else {
      vbx__cli_error("plugin inspect: unexpected argument '%s'", argv[i]);
      return VBX_EXIT_USAGE;
    }
  }
  if (!path) {
    plugin_help(stderr);
    return VBX_EXIT_USAGE;
  }
  char *report = NULL;
  vbx_error err;
  memset(&err, 0, sizeof(err));
  int rc = vbx__plugin_inspect(path, timeout_ms, &report, &err);
  if (rc != 0) {
    fprintf(stderr, "%s\n", err.message[0] ? err.message : vbx_strerror(rc));
    free(report);
    return VBX_EXIT_FAILED;
  }
  printf("%s\n", report);
  free(report);
  return VBX_EXIT_OK;
}
