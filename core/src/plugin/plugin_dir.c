/*
 * plugin/plugin_dir.c - see plugin_dir.h.
 */
#include "plugin/plugin_dir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef VBX_PLUGIN_DIR
#define VBX_PLUGIN_DIR "/usr/local/lib/voidbox/plugins"
#endif

/* True when the executable lives in the bin/ next to VBX_BUILD_PLUGIN_DIR. */
static int running_from_build_tree(void) {
#ifdef VBX_BUILD_PLUGIN_DIR
  char exe[PATH_MAX], build[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return 0;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (slash == NULL) return 0;
  *slash = '\0'; /* exe is now the executable's directory */
  if (realpath(VBX_BUILD_PLUGIN_DIR, build) == NULL) return 0; /* no BUILD/plugins */
  struct stat st;
  if (stat(build, &st) != 0 || !S_ISDIR(st.st_mode)) return 0;
  slash = strrchr(build, '/');
  if (slash == NULL) return 0;
  *slash = '\0'; /* BUILD */
  char bin[PATH_MAX + 8], real_bin[PATH_MAX];
  snprintf(bin, sizeof(bin), "%s/bin", build);
  if (realpath(bin, real_bin) == NULL) return 0;
  return strcmp(real_bin, exe) == 0;
#else
  return 0;
#endif
}

const char *vbx__plugin_default_dir(char *buf, size_t n) {
  const char *env = getenv("VOIDBOX_PLUGIN_DIR");
  if (env != NULL && env[0] != '\0') {
    snprintf(buf, n, "%s", env);
    return buf;
  }
#ifdef VBX_BUILD_PLUGIN_DIR
  if (running_from_build_tree()) {
    snprintf(buf, n, "%s", VBX_BUILD_PLUGIN_DIR);
    return buf;
  }
#endif
  snprintf(buf, n, "%s", VBX_PLUGIN_DIR);
  return buf;
}
