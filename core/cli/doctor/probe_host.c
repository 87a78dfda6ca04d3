/*
 * doctor/probe_host.c - QEMU, cgroups, user namespaces.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doctor/doctor.h"
#include "image/fsutil.h"
#include "image/proc.h"

/* First PATH entry holding an executable name, into out. */
static int which(const char *name, char *out, size_t size) {
  const char *path = getenv("PATH");
  if (!path) path = "/usr/local/bin:/usr/bin:/bin";
  while (*path) {
    size_t n = strcspn(path, ":");
    if (n && !vbx__img_path(out, size, "%.*s/%s", (int)n, path, name) && !access(out, X_OK))
      return 0;
    path += n + (path[n] ? 1 : 0);
  }
  return -1;
}

static void probe_qemu(json_t *caps) {
  char path[4096], detail[4700];
  if (which("qemu-system-x86_64", path, sizeof(path))) {
    vbx__doctor_cap(caps, "qemu", 0, "qemu-system-x86_64 not in PATH",
                    "qemu-system-x86_64 not found in PATH (Debian package qemu-system-x86)");
    return;
  }
  const char *argv[] = {path, "--version", NULL};
  char *out = NULL;
  int rc = vbx__img_capture(argv, 64u << 10, &out);
  if (rc) {
    snprintf(detail, sizeof(detail), "%s --version failed", path);
    vbx__doctor_cap(caps, "qemu", 0, detail, detail);
    return;
  }
  char version[64] = "";
  const char *v = strstr(out, "version ");
  if (v) snprintf(version, sizeof(version), "%.*s", (int)strcspn(v + 8, " \n"), v + 8);
  snprintf(detail, sizeof(detail), "%.*s (%s)", (int)strcspn(out, "\n"), out, path);
  free(out);
  json_t *o = vbx__doctor_cap(caps, "qemu", 1, detail, NULL);
  if (o) {
    json_object_set_new(o, "version", json_string(version));
    json_object_set_new(o, "path", json_string(path));
  }
}

/* The controllers of the first cgroup2 mount, and the v1 hierarchies. */
static void probe_cgroups(json_t *caps) {
  char *mounts = NULL, v2path[1024] = "", detail[1200];
  json_t *v1 = json_array(), *v2 = json_array();
  if (!vbx__img_read_file("/proc/self/mounts", 4u << 20, &mounts, NULL)) {
    for (char *line = strtok(mounts, "\n"); line; line = strtok(NULL, "\n")) {
      char dev[256], dir[1024], type[64], opts[1024];
      if (sscanf(line, "%255s %1023s %63s %1023s", dev, dir, type, opts) != 4) continue;
      if (!strcmp(type, "cgroup2") && !v2path[0]) snprintf(v2path, sizeof(v2path), "%s", dir);
      if (strcmp(type, "cgroup")) continue;
      for (char *save = NULL, *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
        if (!strcmp(o, "cpu") || !strcmp(o, "memory") || !strcmp(o, "pids") ||
            !strcmp(o, "cpuset") || !strcmp(o, "cpuacct") || !strcmp(o, "blkio") ||
            !strcmp(o, "devices") || !strcmp(o, "freezer") || !strcmp(o, "io"))
          json_array_append_new(v1, json_string(o));
    }
    free(mounts);
  }
  if (v2path[0]) {
    char path[1100], *ctl = NULL;
    snprintf(path, sizeof(path), "%s/cgroup.controllers", v2path);
    if (!vbx__img_read_file(path, 64u << 10, &ctl, NULL)) {
      for (char *w = strtok(ctl, " \n"); w; w = strtok(NULL, " \n"))
        json_array_append_new(v2, json_string(w));
      free(ctl);
    }
  }
  size_t n2 = json_array_size(v2), i;
  int cpu = 0, mem = 0, pids = 0;
  json_t *c;
  json_array_foreach(v2, i, c) {
    const char *s = json_string_value(c);
    cpu |= !strcmp(s, "cpu"), mem |= !strcmp(s, "memory"), pids |= !strcmp(s, "pids");
  }
  if (!v2path[0])
    snprintf(detail, sizeof(detail), "no cgroup2 mount");
  else
    snprintf(detail, sizeof(detail), "cgroup2 at %s with %zu controller(s)", v2path, n2);
  json_t *o = vbx__doctor_cap(caps, "cgroup_v2", cpu && mem && pids, detail,
                              !v2path[0] ? "no cgroup2 filesystem is mounted"
                                         : "the cgroup2 mount lacks the cpu, memory or pids "
                                           "controller (bound to v1 hierarchies): v2 limits "
                                           "cannot be set");
  if (o) json_object_set(o, "controllers", v2);
  if (o && v2path[0]) json_object_set_new(o, "mount", json_string(v2path));
  cpu = mem = pids = 0;
  json_array_foreach(v1, i, c) {
    const char *s = json_string_value(c);
    cpu |= !strcmp(s, "cpu"), mem |= !strcmp(s, "memory"), pids |= !strcmp(s, "pids");
  }
  snprintf(detail, sizeof(detail), "%zu v1 controller(s) mounted", json_array_size(v1));
  o = vbx__doctor_cap(caps, "cgroup_v1", cpu && mem && pids, detail,
                      "cgroup v1 hierarchies for cpu, memory and pids are not all mounted");
  if (o) json_object_set(o, "controllers", v1);
  json_decref(v1);
  json_decref(v2);
}

static void probe_userns(json_t *caps) {
  char detail[256], reason[256];
  pid_t pid = fork();
  int status = 0;
  if (pid == 0) _exit(unshare(CLONE_NEWUSER) ? (errno & 0x7f) : 0);
  if (pid < 0 || waitpid(pid, &status, 0) != pid) {
    vbx__doctor_cap(caps, "user_namespaces", 0, "probe could not fork",
                    "cannot fork a probe child");
    return;
  }
  int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  snprintf(detail, sizeof(detail), ok ? "unshare(CLONE_NEWUSER) works" : "unshare failed");
  snprintf(reason, sizeof(reason), "unshare(CLONE_NEWUSER) failed: %s",
           WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "child crashed");
  vbx__doctor_cap(caps, "user_namespaces", ok, detail, reason);
}

void vbx__doctor_probe_host(json_t *caps) {
  probe_qemu(caps);
  probe_cgroups(caps);
  probe_userns(caps);
}
