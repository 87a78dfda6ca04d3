/*
 * sandbox-local/cgroup.c - memory, CPU and process-count limits of a box
 * through cgroup v1 (memory, cpu, pids hierarchies) when mounted, else
 * cgroup v2 when its controllers are available. Whatever cannot be set is
 * reported at WARN: limits are never claimed when they are not enforced.
 *
 * Layout in each hierarchy: voidbox-local/o<pid>-<start>/<box>, the middle
 * directory naming the owning voidbox process (owner.c), so the sweep of a
 * later process finds the cgroups of a dead one (sweep.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "local.h"

#define CG "/sys/fs/cgroup"

static int put(const char *dir, const char *file, const char *val) {
  char p[400];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  int fd = open(p, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n = write(fd, val, strlen(val));
  int e = errno;
  close(fd);
  return n == (ssize_t)strlen(val) ? 0 : -e;
}

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* base/voidbox-local/<owner>/<name>; v2 enables the controllers on the way.
 * A concurrent destroy of this process's last box may remove the owner
 * directory between the two mkdirs: retried. */
static int mkcg(local_cgroup *cg, const char *base, const char *owner, const char *name, int v2) {
  char d[256];
  snprintf(d, sizeof d, "%s/voidbox-local", base);
  mkdir(d, 0755);
  if (v2) put(d, "cgroup.subtree_control", "+memory +cpu +pids");
  char od[sizeof cg->owner_dirs[0]];
  snprintf(od, sizeof od, "%s/voidbox-local/%s", base, owner);
  memcpy(cg->owner_dirs[cg->n], od, sizeof od);
  snprintf(cg->dirs[cg->n], sizeof cg->dirs[0], "%s/%s", od, name);
  for (int t = 0; t < 3; t++) {
    if (mkdir(cg->owner_dirs[cg->n], 0755) != 0 && errno != EEXIST) break;
    if (v2) put(cg->owner_dirs[cg->n], "cgroup.subtree_control", "+memory +cpu +pids");
    if (mkdir(cg->dirs[cg->n], 0755) == 0 || errno == EEXIST) return cg->n++;
    if (errno != ENOENT) break;
  }
  cg->dirs[cg->n][0] = cg->owner_dirs[cg->n][0] = '\0';
  return -1;
}

static int v2_has(const char *ctrl) {
  char buf[512] = "";
  int fd = open(CG "/cgroup.controllers", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  return strstr(buf, ctrl) != NULL;
}

static int v1(void) {
  return access(CG "/memory/cgroup.procs", F_OK) == 0 || access(CG "/pids/cgroup.procs", F_OK) == 0;
}

int local_cgroup_roots(const char *roots[3]) {
  int n = 0;
  if (v1()) {
    static const char *const v1_roots[] = {CG "/memory", CG "/cpu", CG "/pids"};
    for (int i = 0; i < 3; i++) {
      char p[64];
      snprintf(p, sizeof p, "%s/cgroup.procs", v1_roots[i]);
      if (access(p, F_OK) == 0) roots[n++] = v1_roots[i];
    }
  } else if (access(CG "/cgroup.controllers", F_OK) == 0) {
    roots[n++] = CG;
  }
  return n;
}

void local_cgroup_create(const vbx_host_services *h, local_cgroup *cg, const char *owner,
                         const char *name, uint64_t memory_mb, uint32_t vcpus, uint32_t pids) {
  memset(cg, 0, sizeof *cg);
  char v[64];
  int mem_ok = memory_mb == 0, cpu_ok = vcpus == 0, pids_ok = 0;
  if (v1()) {
    cg->version = 1;
    int i;
    if (memory_mb && access(CG "/memory/cgroup.procs", F_OK) == 0 &&
        (i = mkcg(cg, CG "/memory", owner, name, 0)) >= 0) {
      snprintf(v, sizeof v, "%llu", (unsigned long long)memory_mb * 1024 * 1024);
      mem_ok = put(cg->dirs[i], "memory.limit_in_bytes", v) == 0;
    }
    if (vcpus && access(CG "/cpu/cgroup.procs", F_OK) == 0 &&
        (i = mkcg(cg, CG "/cpu", owner, name, 0)) >= 0)
      cpu_ok = put(cg->dirs[i], "cpu.cfs_period_us", "100000") == 0 &&
               (snprintf(v, sizeof v, "%u", vcpus * 100000u),
                put(cg->dirs[i], "cpu.cfs_quota_us", v) == 0);
    if (access(CG "/pids/cgroup.procs", F_OK) == 0 &&
        (i = mkcg(cg, CG "/pids", owner, name, 0)) >= 0) {
      snprintf(v, sizeof v, "%u", pids);
      pids_ok = put(cg->dirs[i], "pids.max", v) == 0;
    }
  } else if (access(CG "/cgroup.controllers", F_OK) == 0 && v2_has("memory")) {
    cg->version = 2;
    put(CG, "cgroup.subtree_control", "+memory +cpu +pids");
    int i = mkcg(cg, CG, owner, name, 1);
    if (i >= 0) {
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
           "box %s: cgroup limits NOT enforced for:%s%s%s (cgroup v%d%s); only rlimits apply", name,
           mem_ok ? "" : " memory", cpu_ok ? "" : " cpu", pids_ok ? "" : " pids", cg->version,
           cg->version ? "" : ": no usable cgroup hierarchy");
}

int local_cgroup_join_fds(const local_cgroup *cg, int fds[3]) {
  int n = 0;
  for (int i = 0; i < 3; i++) {
    fds[i] = -1;
    if (cg->version != 1 || i >= cg->n || !cg->dirs[i][0]) continue;
    char p[400];
    snprintf(p, sizeof p, "%s/tasks", cg->dirs[i]);
    if ((fds[i] = open(p, O_WRONLY | O_CLOEXEC)) >= 0) n++;
  }
  return n;
}

static int count_member(pid_t pid, const char *rel);

int local_cgroup_attach(local_cgroup *cg, pid_t pid) {
  int want = 0;
  for (int i = 0; i < cg->n; i++)
    want += cg->dirs[i][0] != '\0';
  const char *rel = cg->n > 0 ? strstr(cg->dirs[0], "/voidbox-local/") : NULL;
  if (want == 0 || (rel && count_member(pid, rel) >= want)) return 0;
  char v[32];
  snprintf(v, sizeof v, "%d", (int)pid);
  int rc = 0;
  for (int i = 0; i < cg->n; i++)
    if (cg->dirs[i][0] && put(cg->dirs[i], "cgroup.procs", v) != 0) rc = -1;
  return rc;
}

void local_cgroup_destroy(local_cgroup *cg) {
  for (int i = 0; i < cg->n; i++) {
    if (!cg->dirs[i][0]) continue;
    for (int t = 0; t < 50 && rmdir(cg->dirs[i]) != 0 && errno == EBUSY; t++)
      pause_ms(10);
    rmdir(cg->owner_dirs[i]); /* EBUSY while the owner has other boxes */
    cg->dirs[i][0] = cg->owner_dirs[i][0] = '\0';
  }
  cg->n = 0;
}

/* In how many hierarchies is pid in the cgroup whose path below the
 * hierarchy's root is rel? */
static int count_member(pid_t pid, const char *rel) {
  char p[64], buf[4096];
  snprintf(p, sizeof p, "/proc/%d/cgroup", (int)pid);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  size_t rl = strlen(rel);
  int in = 0;
  for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    char *c = strchr(l, ':');
    c = c ? strchr(c + 1, ':') : NULL; /* "id:controllers:path" */
    if (c && strncmp(c + 1, rel, rl) == 0 && (c[1 + rl] == '\n' || c[1 + rl] == '\0')) in++;
  }
  return in;
}

/* SIGKILL pid if it still is the process found in the cgroup: the pidfd
 * pins it, so a pid reused after it exited is never signalled. */
static int kill_member(pid_t pid, const char *rel) {
  int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pfd < 0) return errno == ENOSYS && count_member(pid, rel) > 0 ? kill(pid, SIGKILL) : -1;
  int rc = -1;
  if (count_member(pid, rel) > 0) rc = (int)syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
  close(pfd);
  return rc;
}

int local_cgroup_kill(const char *dir, int wait_ms) {
  const char *rel = strstr(dir, "/voidbox-local/");
  char procs[400];
  snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
  int killed = 0;
  for (int waited = 0;; waited += 10) {
    FILE *f = fopen(procs, "re");
    if (f == NULL) return errno == ENOENT ? killed : -1;
    int pid, any = 0;
    while (fscanf(f, "%d", &pid) == 1) {
      any = 1;
      if (rel && kill_member(pid, rel) == 0 && waited == 0)
        killed++; /* later passes only repeat the signal */
    }
    fclose(f);
    if (!any) return killed;
    if (waited >= wait_ms) return -1;
    pause_ms(10);
  }
}
