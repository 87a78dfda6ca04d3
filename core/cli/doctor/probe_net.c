/*
 * doctor/probe_net.c - can VM boxes have a network here: the helper
 * voidbox-netstack beside the running voidbox (BUILD/bin and PREFIX/bin
 * alike: netstack/CMakeLists.txt) answers --version, which names the
 * libslirp it runs on (docs/network.md).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor/doctor.h"
#include "image/proc.h"

void vbx__doctor_probe_netstack(json_t *caps) {
  char exe[PATH_MAX], path[PATH_MAX + 32] = "", detail[PATH_MAX + 300] = "",
                                      reason[PATH_MAX + 200] = "";
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
  int ok = 0;
  if (slash == NULL) {
    snprintf(reason, sizeof(reason), "the running binary's directory is unknown");
  } else {
    *slash = '\0';
    snprintf(path, sizeof(path), "%s/voidbox-netstack", exe);
    const char *argv[] = {path, "--version", NULL};
    char *out = NULL;
    if (access(path, X_OK) != 0)
      snprintf(reason, sizeof(reason),
               "%s is missing: build the voidbox-netstack target (netstack/); qemu and kvm boxes "
               "with network fail to start without it",
               path);
    else if (vbx__img_capture(argv, 4096, &out) != 0 || out == NULL ||
             strncmp(out, "voidbox-netstack ", 17) != 0)
      snprintf(reason, sizeof(reason), "%s --version did not answer", path);
    else {
      out[strcspn(out, "\n")] = '\0';
      snprintf(detail, sizeof(detail),
               "%s (%s): qemu and kvm boxes get networks with an egress policy", out, path);
      ok = 1;
    }
    free(out);
  }
  json_t *o = vbx__doctor_cap(caps, "netstack", ok, detail, reason);
  if (o) json_object_set_new(o, "path", json_string(ok ? path : ""));
}
