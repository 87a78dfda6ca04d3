/*
 * guest-session/host_proc.c - see host_proc.h; and gs_box_telemetry
 * (gs_box.h), the telemetry method of an agent-backed box: the guest's
 * sample, then the figures of the host process that carries the box.
 */
#include "host_proc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gs_box.h"
#include "voidbox/errors.h"

#define STAT_CAP 2048   /* /proc/PID/stat: 52 fields, a comm of <= 15 bytes */
#define STATUS_CAP 4096 /* /proc/PID/status: VmRSS is in its first ~1 KiB */

/* A decimal u64 at *p (no sign), moving *p past it. 0 or -1. */
static int parse_u64(const char **p, uint64_t *out) {
  if (!isdigit((unsigned char)**p)) return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(*p, &end, 10);
  if (errno != 0) return -1;
  *p = end;
  *out = v;
  return 0;
}

const char *gs_stat_field(const char *text, int field) {
  const char *p = strrchr(text, ')');
  if (p == NULL || field < 3) return NULL;
  p++;
  for (int f = 3;; f++) {
    if (*p != ' ') return NULL;
    while (*p == ' ')
      p++;
    if (*p == '\0' || *p == '\n') return NULL;
    if (f == field) return p;
    while (*p != ' ' && *p != '\0' && *p != '\n')
      p++;
  }
}

int gs_host_proc_parse_stat(const char *text, long hz, uint64_t *cpu_usec) {
  if (hz <= 0) return VBX_E_INVAL;
  uint64_t t[2]; /* fields 14 (utime) and 15 (stime) */
  for (int i = 0; i < 2; i++) {
    const char *p = gs_stat_field(text, 14 + i);
    if (p == NULL || parse_u64(&p, &t[i]) != 0 || (*p != ' ' && *p != '\n' && *p != '\0'))
      return VBX_E_PROTOCOL;
  }
  uint64_t ticks = t[0] + t[1] < t[0] ? UINT64_MAX : t[0] + t[1];
  uint64_t h = (uint64_t)hz;
  *cpu_usec = ticks / h * 1000000u + ticks % h * 1000000u / h;
  return 0;
}

int gs_host_proc_parse_status(const char *text, uint64_t *rss_kib) {
  for (const char *l = text; *l != '\0';) {
    if (strncmp(l, "VmRSS:", 6) == 0) {
      const char *p = l + 6;
      while (*p == ' ' || *p == '\t')
        p++;
      uint64_t v;
      if (parse_u64(&p, &v) != 0 || strncmp(p, " kB", 3) != 0 || (p[3] != '\n' && p[3] != '\0'))
        return VBX_E_PROTOCOL;
      *rss_kib = v;
      return 0;
    }
    const char *nl = strchr(l, '\n');
    if (nl == NULL) break;
    l = nl + 1;
  }
  return VBX_E_NOTFOUND;
}

/* /proc/PID/<name> into buf (NUL-terminated, at most cap-1 bytes). Its
 * length, or VBX_E_NOTFOUND when the process is gone, VBX_E_IO. */
static ssize_t read_proc(pid_t pid, const char *name, char *buf, size_t cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || errno == ESRCH ? VBX_E_NOTFOUND : VBX_E_IO;
  size_t have = 0;
  ssize_t rc = 0;
  while (have + 1 < cap) {
    ssize_t n = read(fd, buf + have, cap - 1 - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) rc = errno == ESRCH ? VBX_E_NOTFOUND : VBX_E_IO;
    if (n <= 0) break;
    have += (size_t)n;
  }
  close(fd);
  buf[have] = '\0';
  return rc != 0 ? rc : (ssize_t)have;
}

int gs_host_proc_read(pid_t pid, gs_host_proc *out) {
  char stat[STAT_CAP], status[STATUS_CAP];
  if (pid <= 0) return VBX_E_NOTFOUND;
  long hz = sysconf(_SC_CLK_TCK);
  ssize_t n = read_proc(pid, "stat", stat, sizeof stat);
  if (n < 0) return (int)n;
  n = read_proc(pid, "status", status, sizeof status);
  if (n < 0) return (int)n;
  int rc = gs_host_proc_parse_stat(stat, hz > 0 ? hz : 100, &out->cpu_usec);
  return rc != 0 ? rc : gs_host_proc_parse_status(status, &out->rss_kib);
}

int gs_box_telemetry(gs_box *b, const char *host_process, vbx_sandbox_telemetry *out,
                     vbx_call *call) {
  int rc = guest_telemetry(&b->gs, out, call);
  if (rc != 0) return rc;
  /* Under pid_lock the process cannot be reaped, so its pid is not reused
   * while /proc/PID is read. */
  gs_host_proc hp;
  pthread_mutex_lock(&b->pid_lock);
  rc = gs_host_proc_read(b->pid, &hp);
  pthread_mutex_unlock(&b->pid_lock);
  if (rc != 0) return 0; /* not reported: host_process stays NULL */
  if (VBX_HAS_MEMBER(out, vbx_sandbox_telemetry, host_process)) out->host_process = host_process;
  if (VBX_HAS_MEMBER(out, vbx_sandbox_telemetry, host_rss_kib)) out->host_rss_kib = hp.rss_kib;
  if (VBX_HAS_MEMBER(out, vbx_sandbox_telemetry, host_cpu_usec)) out->host_cpu_usec = hp.cpu_usec;
  return 0;
}
