/*
 * sandbox-qemu/owner.c - who a box directory belongs to, so that a later
 * voidbox can tell the directories of a dead process from live ones.
 *
 * A process is named by its pid and its start time (field 22 of
 * /proc/PID/stat, clock ticks since boot): a pid reused by another process
 * has another start time. The record also holds the boot id (a directory
 * from an earlier boot is dead whatever its pid) and the pid namespace (a
 * pid of another namespace cannot be checked from here).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu.h"

/* A small file (at most cap-1 bytes) at dirfd/name (dirfd may be AT_FDCWD)
 * into out, NUL-terminated, without following a symlink. Returns the
 * length or -1. */
static ssize_t read_small(int dirfd, const char *name, char *out, size_t cap) {
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read(fd, out, cap - 1);
  close(fd);
  if (n < 0)
    return -1;
  out[n] = '\0';
  return n;
}

int qemu_proc_start(pid_t pid, unsigned long long *start) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if (pid <= 0 || read_small(AT_FDCWD, path, buf, sizeof buf) <= 0)
    return -1;
  /* "pid (comm) state ppid ...": comm may hold spaces and ')' */
  char *p = strrchr(buf, ')');
  if (p == NULL || p[1] != ' ')
    return -1;
  char state = p[2];
  if (state == 'Z' || state == 'X' || state == 'x')
    return -1; /* exited, not yet reaped */
  /* p[2] is field 3 (state); field 22 (starttime) is 19 fields on */
  p += 2;
  for (int f = 3; f < 22; f++) {
    p = strchr(p, ' ');
    if (p == NULL)
      return -1;
    p++;
  }
  char *end;
  errno = 0;
  unsigned long long v = strtoull(p, &end, 10);
  if (errno != 0 || end == p)
    return -1;
  *start = v;
  return 0;
}

/* This machine's boot id and our pid namespace ("" when unreadable). */
static void host_ids(char *boot, size_t bcap, char *pidns, size_t ncap) {
  if (read_small(AT_FDCWD, "/proc/sys/kernel/random/boot_id", boot, bcap) <= 0)
    boot[0] = '\0';
  boot[strcspn(boot, "\n")] = '\0';
  ssize_t n = readlink("/proc/self/ns/pid", pidns, ncap - 1);
  pidns[n > 0 ? n : 0] = '\0';
}

int qemu_owner_record(const char *dir, const char *file, pid_t pid) {
  unsigned long long start;
  if (qemu_proc_start(pid, &start) != 0)
    return -ESRCH;
  char boot[64], pidns[64], text[256], path[600];
  host_ids(boot, sizeof boot, pidns, sizeof pidns);
  int n = snprintf(text, sizeof text, "pid=%d\nstart=%llu\nboot=%s\npidns=%s\n", (int)pid, start,
                   boot, pidns);
  int p = snprintf(path, sizeof path, "%s/%s", dir, file);
  if (n <= 0 || (size_t)n >= sizeof text || p <= 0 || (size_t)p >= sizeof path)
    return -ENAMETOOLONG;
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return -errno;
  ssize_t w = write(fd, text, (size_t)n);
  int e = w == n ? 0 : w < 0 ? errno : EIO;
  if (close(fd) != 0 && e == 0)
    e = errno;
  if (e != 0)
    unlink(path);
  return -e;
}

/* The value of "key=" in a record, copied into out (at most cap-1 bytes);
 * "" when absent. */
static void field(const char *text, const char *key, char *out, size_t cap) {
  size_t kl = strlen(key);
  out[0] = '\0';
  for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
    if (strncmp(l, key, kl) == 0 && l[kl] == '=') {
      size_t n = strcspn(l + kl + 1, "\n");
      if (n >= cap)
        return;
      memcpy(out, l + kl + 1, n);
      out[n] = '\0';
      return;
    }
  }
}

int qemu_owner_read(int dirfd, const char *file, pid_t *pid, unsigned long long *start,
                    char *why, size_t cap) {
  char text[512], v[80], boot[64], pidns[64];
  if (read_small(dirfd, file, text, sizeof text) <= 0) {
    snprintf(why, cap, "no readable %s record", file);
    return QEMU_OWNER_UNKNOWN;
  }
  char *end;
  field(text, "pid", v, sizeof v);
  long p = strtol(v, &end, 10);
  if (v[0] == '\0' || *end != '\0' || p <= 0 || p > 0x3fffffff) {
    snprintf(why, cap, "%s record without a valid pid", file);
    return QEMU_OWNER_UNKNOWN;
  }
  field(text, "start", v, sizeof v);
  unsigned long long s = strtoull(v, &end, 10);
  if (v[0] == '\0' || *end != '\0') {
    snprintf(why, cap, "%s record without a start time", file);
    return QEMU_OWNER_UNKNOWN;
  }
  *pid = (pid_t)p;
  *start = s;
  char our_boot[64], our_ns[64];
  host_ids(our_boot, sizeof our_boot, our_ns, sizeof our_ns);
  field(text, "boot", boot, sizeof boot);
  field(text, "pidns", pidns, sizeof pidns);
  if (boot[0] && our_boot[0] && strcmp(boot, our_boot) != 0) {
    snprintf(why, cap, "pid %ld ran before the last reboot", p);
    return QEMU_OWNER_DEAD;
  }
  if (pidns[0] && our_ns[0] && strcmp(pidns, our_ns) != 0) {
    snprintf(why, cap, "pid %ld is of another pid namespace (%s)", p, pidns);
    return QEMU_OWNER_UNKNOWN;
  }
  unsigned long long now;
  if (qemu_proc_start((pid_t)p, &now) != 0) {
    snprintf(why, cap, "pid %ld has exited", p);
    return QEMU_OWNER_DEAD;
  }
  if (now != s) {
    snprintf(why, cap, "pid %ld has exited (the pid now names a process started at %llu, not %llu)",
             p, now, s);
    return QEMU_OWNER_DEAD;
  }
  snprintf(why, cap, "pid %ld is running", p);
  return QEMU_OWNER_LIVE;
}
