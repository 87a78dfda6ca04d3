/*
 * main.c - `voidbox` command dispatch.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"run", vbx__cmd_run, "run an agent or pipeline spec"},
    {"validate", vbx__cmd_validate, "check a spec file without running it"},
    {"plugins", vbx__cmd_plugins, "list loaded plugins and what they register"},
    {"plugin", vbx__cmd_plugin, "plugin tools: `plugin inspect PATH`"},
    {"image", vbx__cmd_image, "build and list guest images: `image build`, `image list`"},
    {"doctor", vbx__cmd_doctor, "report host capabilities (KVM, QEMU, images, cgroups)"},
    {"skills", vbx__cmd_skills, "remote skills: `skills list`, `skills add`, `skills update`"},
    {"trace", vbx__cmd_trace, "show a trace file (`run --trace FILE`) as a waterfall"},
};

static void usage(FILE *out) {
  fprintf(out,
          "usage: voidbox COMMAND [OPTIONS]\n"
          "\n"
          "Composable agent runtime: each agent runs in its own sandbox.\n"
          "\n"
          "commands:\n");
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out,
          "\n"
          "`voidbox COMMAND --help` describes a command.\n"
          "`voidbox --version` prints the version.\n"
          "exit codes: 0 success, 1 run failed or cancelled, 2 usage/spec/plugin error\n");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return VBX_EXIT_USAGE;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return VBX_EXIT_OK;
  }
  if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
    printf("voidbox %s (plugin ABI %d.%d)\n", vbx_version(), VBX_ABI_MAJOR, VBX_ABI_MINOR);
    return VBX_EXIT_OK;
  }
  const char *names[sizeof(commands) / sizeof(commands[0]) + 1];
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    names[i] = commands[i].name;
  }
  names[sizeof(commands) / sizeof(commands[0])] = NULL;
  vbx__cli_error("unknown command '%s'%s (see `voidbox --help`)", argv[1],
                 vbx__cli_hint(argv[1], names));
  return VBX_EXIT_USAGE;
}
