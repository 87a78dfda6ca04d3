/*
 * guest-session/gs_owner.c - owner records: who made a box directory (or
 * which process a box started), so that a later voidbox can tell the
 * leftovers of a dead process from live boxes (gs_sweep.c).
 *
 * A process is named by its pid and start time (field 22 of
 * /proc/PID/stat): a pid reused by another process has another start time.
 * A process that has exited but is not reaped yet (a SIGKILLed voidbox's
 * worker until its new parent waits) counts as gone. The record also holds
 * the boot id (a directory from an earlier boot is dead whatever its pid)
 * and the pid namespace (a pid of another namespace cannot be checked).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gs_box.h"
#include "host_proc.h"

/* A small file (at most cap-1 bytes) at dirfd/name into out, without
 * following a symlink. Returns the length or -errno. */
static ssize_t read_small(int dirfd, const char *name, char *out, size_t cap) {
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return -errno;
  ssize_t n = read(fd, out, cap - 1);
  int e = errno;
  close(fd);
  if (n < 0) return -e;
  out[n] = '\0';
  return n;
}

int gs_proc_start(pid_t pid, unsigned long long *start) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if (pid <= 0 || read_small(AT_FDCWD, path, buf, sizeof buf) <= 0) return -1;
  const char *state = gs_stat_field(buf, 3), *p = gs_stat_field(buf, 22); /* starttime */
  if (state == NULL || p == NULL) return -1;
  if (*state == 'Z' || *state == 'X' || *state == 'x') return -1; /* exited, not yet reaped: gone */
  char *end;
  errno = 0;
  unsigned long long v = strtoull(p, &end, 10);
  if (errno != 0 || end == p) return -1;
  *start = v;
  return 0;
}

/* This machine's boot id and our pid namespace ("" when unreadable). */
static void host_ids(char *boot, size_t bcap, char *pidns, size_t ncap) {
  if (read_small(AT_FDCWD, "/proc/sys/kernel/random/boot_id", boot, bcap) <= 0) boot[0] = '\0';
  boot[strcspn(boot, "\n")] = '\0';
  ssize_t n = readlink("/proc/self/ns/pid", pidns, ncap - 1);
  pidns[n > 0 ? n : 0] = '\0';
}

int gs_owner_of(pid_t pid, gs_owner *out) {
  memset(out, 0, sizeof *out);
  if (gs_proc_start(pid, &out->start) != 0) return -ESRCH;
  out->pid = pid;
  host_ids(out->boot, sizeof out->boot, out->pidns, sizeof out->pidns);
  return out->boot[0] ? 0 : -EIO;
}

int gs_owner_format(const gs_owner *o, const char *workdir, char *buf, size_t cap) {
  int n = snprintf(buf, cap, "pid=%d\nstart=%llu\nboot=%s\npidns=%s\n%s%s%s", (int)o->pid, o->start,
                   o->boot, o->pidns, workdir ? "workdir=" : "", workdir ? workdir : "",
                   workdir ? "\n" : "");
  return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* The value of "key=" in a record into out (at most cap-1 bytes); 0, or -1
 * when absent or too long. */
static int field(const char *text, const char *key, char *out, size_t cap) {
  size_t kl = strlen(key);
  out[0] = '\0';
  for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
    if (strncmp(l, key, kl) == 0 && l[kl] == '=') {
      size_t n = strcspn(l + kl + 1, "\n");
      if (n >= cap) return -1;
      memcpy(out, l + kl + 1, n);
      out[n] = '\0';
      return 0;
    }
  }
  return -1;
}

/* The `local` backend's record ("voidbox-local owner 1\npid P\nstart S\n
 * boot B\nworkdir W\n"), which it keeps writing: voidbox processes of
 * other versions on the host share its registry and compare records. */
static int parse_local_v1(const char *text, gs_owner *o, char *workdir, size_t wcap) {
  int pid = 0;
  char boot[40], wd[600];
  if (sscanf(text, "voidbox-local owner 1\npid %d\nstart %llu\nboot %39s\nworkdir %599[^\n]\n",
             &pid, &o->start, boot, wd) != 4 ||
      pid <= 0)
    return -1;
  o->pid = pid;
  snprintf(o->boot, sizeof o->boot, "%s", boot);
  if (workdir != NULL && snprintf(workdir, wcap, "%s", wd) >= (int)wcap) return -1;
  return 0;
}

int gs_owner_format_local_v1(const gs_owner *o, const char *workdir, char *buf, size_t cap) {
  int n = snprintf(buf, cap, "voidbox-local owner 1\npid %d\nstart %llu\nboot %s\nworkdir %s\n",
                   (int)o->pid, o->start, o->boot, workdir);
  return n < 0 || (size_t)n >= cap ? -1 : n;
}

int gs_owner_parse(const char *text, gs_owner *o, char *workdir, size_t wcap) {
  char v[80], *end;
  memset(o, 0, sizeof *o);
  if (strncmp(text, "voidbox-local owner 1\n", 22) == 0)
    return parse_local_v1(text, o, workdir, wcap);
  if (field(text, "pid", v, sizeof v) != 0) return -1;
  long p = strtol(v, &end, 10);
  if (v[0] == '\0' || *end != '\0' || p <= 0 || p > 0x3fffffff) return -1;
  if (field(text, "start", v, sizeof v) != 0) return -1;
  errno = 0;
  o->start = strtoull(v, &end, 10);
  if (v[0] == '\0' || *end != '\0' || errno != 0) return -1;
  o->pid = (pid_t)p;
  field(text, "boot", o->boot, sizeof o->boot);
  field(text, "pidns", o->pidns, sizeof o->pidns);
  if (workdir != NULL && field(text, "workdir", workdir, wcap) != 0) workdir[0] = '\0';
  return 0;
}

int gs_owner_judge(const gs_owner *o, char *why, size_t cap) {
  char boot[64], pidns[64];
  unsigned long long now;
  host_ids(boot, sizeof boot, pidns, sizeof pidns);
  if (o->boot[0] && boot[0] && strcmp(o->boot, boot) != 0) {
    snprintf(why, cap, "pid %d ran before the last reboot", (int)o->pid);
    return GS_OWNER_DEAD;
  }
  if (o->pidns[0] && pidns[0] && strcmp(o->pidns, pidns) != 0) {
    snprintf(why, cap, "pid %d is of another pid namespace (%s)", (int)o->pid, o->pidns);
    return GS_OWNER_UNKNOWN;
  }
  if (gs_proc_start(o->pid, &now) != 0) {
    snprintf(why, cap, "pid %d has exited", (int)o->pid);
    return GS_OWNER_DEAD;
  }
  if (now != o->start) {
    snprintf(why, cap, "pid %d has exited (the pid now names a process started at %llu, not %llu)",
             (int)o->pid, now, o->start);
    return GS_OWNER_DEAD;
  }
  snprintf(why, cap, "pid %d is running", (int)o->pid);
  return GS_OWNER_LIVE;
}

int gs_owner_read(int dirfd, const char *file, gs_owner *o, char *why, size_t cap) {
  char text[1024];
  gs_owner own;
  if (o == NULL) o = &own;
  if (read_small(dirfd, file, text, sizeof text) <= 0) {
    snprintf(why, cap, "no readable %s record", file);
    return GS_OWNER_UNKNOWN;
  }
  if (gs_owner_parse(text, o, NULL, 0) != 0) {
    snprintf(why, cap, "%s record without a valid pid and start time", file);
    return GS_OWNER_UNKNOWN;
  }
  return gs_owner_judge(o, why, cap);
}

int gs_write_new(int dirfd, const char *name, const char *text, size_t len) {
  int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return -errno;
  ssize_t w = write(fd, text, len);
  int e = w == (ssize_t)len ? 0 : w < 0 ? errno : EIO;
  if (close(fd) != 0 && e == 0) e = errno;
  if (e != 0) unlinkat(dirfd, name, 0);
  return -e;
}

int gs_owner_record_pid(const char *dir, const char *file, pid_t pid) {
  gs_owner o;
  char text[256];
  if (gs_owner_of(pid, &o) == -ESRCH) return -ESRCH;
  int n = gs_owner_format(&o, NULL, text, sizeof text);
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return -errno;
  int rc = n < 0 ? -ENAMETOOLONG : gs_write_new(dfd, file, text, (size_t)n);
  close(dfd);
  return rc;
}
