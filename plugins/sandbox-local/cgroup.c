/*
 * sandbox-local/cgroup.c - memory, CPU and process-count limits of a box
 * through cgroup v1 (memory, cpu, pids hierarchies) when mounted, else
 * cgroup v2 when its controllers are available. Whatever cannot be set is
 * reported at WARN: limits are never claimed when they are not enforced.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "local.h"

#define V1 "/sys/fs/cgroup"

static int put(const char *dir, const char *file, const char *val) {
  char p[400];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  int fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  ssize_t n = write(fd, val, strlen(val));
  int e = errno;
  close(fd);
  return n == (ssize_t)strlen(val) ? 0 : -e;
}

static int mkcg(local_cgroup *cg, const char *base, const char *name) {
  char d[256];
  snprintf(d, sizeof d, "%s/voidbox-local", base);
  mkdir(d, 0755);
  snprintf(cg->dirs[cg->n], sizeof cg->dirs[0], "%s/voidbox-local/%s", base, name);
  if (mkdir(cg->dirs[cg->n], 0755) != 0 && errno != EEXIST) {
    cg->dirs[cg->n][0] = '\0';
    return -1;
  }
  return cg->n++;
}

static int v2_has(const char *ctrl) {
  char buf[512] = "";
  int fd = open(V1 "/cgroup.controllers", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  return strstr(buf, ctrl) != NULL;
}

void local_cgroup_create(const vbx_host_services *h, local_cgroup *cg, const char *name,
                         uint32_t memory_mb, uint32_t vcpus, uint32_t pids) {
  memset(cg, 0, sizeof *cg);
  char v[64];
  int mem_ok = memory_mb == 0, cpu_ok = vcpus == 0, pids_ok = 0;
  if (access(V1 "/memory/cgroup.procs", F_OK) == 0 || access(V1 "/pids/cgroup.procs", F_OK) == 0) {
    cg->version = 1;
    int i;
    if (memory_mb && access(V1 "/memory/cgroup.procs", F_OK) == 0 &&
        (i = mkcg(cg, V1 "/memory", name)) >= 0) {
      snprintf(v, sizeof v, "%llu", (unsigned long long)memory_mb * 1024 * 1024);
      mem_ok = put(cg->dirs[i], "memory.limit_in_bytes", v) == 0;
    }
    if (vcpus && access(V1 "/cpu/cgroup.procs", F_OK) == 0 && (i = mkcg(cg, V1 "/cpu", name)) >= 0)
      cpu_ok = put(cg->dirs[i], "cpu.cfs_period_us", "100000") == 0 &&
               (snprintf(v, sizeof v, "%u", vcpus * 100000u),
                put(cg->dirs[i], "cpu.cfs_quota_us", v) == 0);
    if (access(V1 "/pids/cgroup.procs", F_OK) == 0 && (i = mkcg(cg, V1 "/pids", name)) >= 0) {
      snprintf(v, sizeof v, "%u", pids);
      pids_ok = put(cg->dirs[i], "pids.max", v) == 0;
    }
  } else if (access(V1 "/cgroup.controllers", F_OK) == 0 && v2_has("memory")) {
    cg->version = 2;
    put(V1, "cgroup.subtree_control", "+memory +cpu +pids");
    int i = mkcg(cg, V1, name);
    if (i >= 0) {
      put(V1 "/voidbox-local", "cgroup.subtree_control", "+memory +cpu +pids");
      if (memory_mb) {
        snprintf(v, sizeof v, "%llu", (unsigned long long)memory_mb * 1024 * 1024);
        mem_ok = put(cg->dirs[i], "memory.max", v) == 0;
      }
      if (vcpus) {
        snprintf(v, sizeof v, "%u 100000", vcpus * 100000u);
        cpu_ok = put(cg->dirs[i], "cpu.max", v) == 0;
      }
      snprintf(v, sizeof v, "%u", pids);
      pids_ok = put(cg->dirs[i], "pids.max", v) == 0;
    }
  }
  if (!mem_ok || !cpu_ok || !pids_ok)
    h->log(h->ctx, VBX_LOG_WARN,
           "box %s: cgroup limits NOT enforced for:%s%s%s (cgroup v%d%s); only rlimits apply",
           name, mem_ok ? "" : " memory", cpu_ok ? "" : " cpu", pids_ok ? "" : " pids",
           cg->version, cg->version ? "" : ": no usable cgroup hierarchy");
}

int local_cgroup_attach(local_cgroup *cg, pid_t pid) {
  char v[32];
  snprintf(v, sizeof v, "%d", (int)pid);
  int rc = 0;
  for (int i = 0; i < cg->n; i++)
    if (cg->dirs[i][0] && put(cg->dirs[i], "cgroup.procs", v) != 0)
      rc = -1;
  return rc;
}

void local_cgroup_destroy(local_cgroup *cg) {
  for (int i = 0; i < cg->n; i++) {
    if (!cg->dirs[i][0])
      continue;
    for (int t = 0; t < 50 && rmdir(cg->dirs[i]) != 0 && errno == EBUSY; t++) {
      struct timespec ts = {0, 10000000};
      nanosleep(&ts, NULL);
    }
    cg->dirs[i][0] = '\0';
  }
  cg->n = 0;
}
