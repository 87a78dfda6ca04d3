/*
 * guest-session/gs_vm_helper.c - where a VM backend's helper program
 * (voidbox-vmm, voidbox-netstack) is: a sandbox option naming it, else
 * this plugin's build or install tree, else beside the running executable,
 * else PATH.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gs_vm.h"
#include "layout.h"

static int executable(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* The helper of this plugin's tree (BUILD/bin, PREFIX/bin). */
static int tree_path(const gs_vm_helper *hp, char *out, size_t cap) {
  static const char *const dirs[] = {VBX_LAYOUT_PLUGINDIR, NULL};
  vbx_layout l;
  if (vbx_layout_find((const void *)tree_path, dirs, &l) != 0) return -1;
  return vbx_layout_path(&l, hp->installed, hp->built, out, cap) == 0 ? 0 : -1;
}

/* The helper beside the running executable (bin/voidbox). */
static int exe_path(const gs_vm_helper *hp, char *out, size_t cap) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return -1;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/');
  if (slash == NULL) return -1;
  *slash = '\0';
  int w = snprintf(out, cap, "%s/%s", exe, hp->name);
  return w > 0 && (size_t)w < cap ? 0 : -1;
}

static int path_search(const gs_vm_helper *hp, char *out, size_t cap) {
  const char *path = getenv("PATH");
  if (path == NULL) path = "/usr/local/bin:/usr/bin:/bin";
  while (*path) {
    size_t n = strcspn(path, ":");
    int w = snprintf(out, cap, "%.*s/%s", (int)n, path, hp->name);
    if (n > 0 && w > 0 && (size_t)w < cap && executable(out)) return 0;
    path += n + (path[n] == ':');
  }
  return -1;
}

int gs_vm_helper_find(const gs_vm_helper *hp, const char *opt, char *out, size_t cap, char *msg,
                      size_t mcap) {
  if (opt != NULL) {
    if ((size_t)snprintf(out, cap, "%s", opt) < cap && executable(out)) return 0;
    snprintf(msg, mcap, "sandbox option '%s': %s is not an executable file", hp->option, opt);
    return VBX_E_NOTFOUND;
  }
  char tree[PATH_MAX] = "", beside[PATH_MAX] = "";
  if (tree_path(hp, tree, sizeof tree) == 0 && executable(tree))
    return (size_t)snprintf(out, cap, "%s", tree) < cap ? 0 : VBX_E_TOOBIG;
  if (exe_path(hp, beside, sizeof beside) == 0 && executable(beside))
    return (size_t)snprintf(out, cap, "%s", beside) < cap ? 0 : VBX_E_TOOBIG;
  if (path_search(hp, out, cap) == 0) return 0;
  snprintf(msg, mcap,
           "%s %s was not found (not at %s, not at %s, not in PATH): build the %s target (%s) or "
           "set the sandbox option '%s'",
           hp->what, hp->name, tree[0] ? tree : "(this plugin is in no build or install tree)",
           beside[0] ? beside : "(the running executable's directory is unknown)", hp->name,
           hp->source_dir, hp->option);
  return VBX_E_NOTFOUND;
}
