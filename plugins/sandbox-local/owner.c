/*
 * sandbox-local/owner.c - who owns a box. Every box records the voidbox
 * process that created it - pid, start time (/proc/PID/stat field 22) and
 * boot id, so a later process with the same pid is not taken for it - in
 * three places: <workdir>/owner, the registry entry
 * <run_dir>/boxes/<basename(workdir)> (how the sweep finds box directories
 * under any work_root), and the name of its cgroups' parent directory
 * voidbox-local/o<pid>-<start> (how the sweep finds cgroups). The record:
 *
 *   voidbox-local owner 1
 *   pid 1234
 *   start 56789
 *   boot 0b4c...-...
 *   workdir /tmp/voidbox-local-...
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local.h"

static ssize_t read_small(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -errno;
  ssize_t n = read(fd, buf, cap - 1);
  int e = errno;
  close(fd);
  if (n < 0)
    return -e;
  buf[n] = '\0';
  return n;
}

static int boot_id(char *out, size_t cap) {
  char b[64];
  ssize_t n = read_small("/proc/sys/kernel/random/boot_id", b, sizeof b);
  if (n <= 0)
    return n < 0 ? (int)n : -EIO;
  size_t len = strcspn(b, "\n");
  if (len == 0 || len >= cap)
    return -EIO;
  memcpy(out, b, len);
  out[len] = '\0';
  return 0;
}

int local_owner_of(pid_t pid, local_owner *out) {
  char path[64], st[1024];
  memset(out, 0, sizeof *out);
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  ssize_t n = read_small(path, st, sizeof st);
  if (n < 0)
    return n == -ENOENT ? -ESRCH : (int)n;
  /* after the last ')' (the comm may hold spaces and parentheses): field 3
   * is the state; the start time is field 22, i.e. the 20th from there */
  char *s = strrchr(st, ')');
  if (s == NULL || s[1] != ' ')
    return -EIO;
  if (s[2] == 'Z' || s[2] == 'X' || s[2] == 'x')
    return -ESRCH; /* exited, not yet reaped: its boxes are orphans already */
  s++;
  for (int f = 3; f < 22 && s != NULL; f++)
    if ((s = strchr(s + 1, ' ')) == NULL)
      return -EIO;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s + 1, &end, 10);
  if (errno != 0 || end == s + 1)
    return -EIO;
  out->pid = pid;
  out->start = v;
  return boot_id(out->boot, sizeof out->boot);
}

int local_owner_self(local_state *st, local_owner *out) {
  int rc = 0;
  pthread_mutex_lock(&st->lock);
  if (st->self.pid != getpid())
    rc = local_owner_of(getpid(), &st->self);
  if (rc == 0)
    *out = st->self;
  else
    st->self.pid = 0;
  pthread_mutex_unlock(&st->lock);
  return rc;
}

int local_owner_alive(const local_owner *o) {
  local_owner now;
  if (o->pid <= 0 || local_owner_of(o->pid, &now) != 0)
    return 0;
  return now.start == o->start && strcmp(now.boot, o->boot) == 0;
}

int local_owner_format(const local_owner *o, const char *workdir, char *buf, size_t cap) {
  int n = snprintf(buf, cap, "voidbox-local owner 1\npid %d\nstart %llu\nboot %s\nworkdir %s\n",
                   (int)o->pid, o->start, o->boot, workdir);
  return n < 0 || (size_t)n >= cap ? -1 : n;
}

int local_owner_parse(const char *text, local_owner *o, char *workdir, size_t wcap) {
  memset(o, 0, sizeof *o);
  int pid = 0;
  unsigned long long start = 0;
  char boot[40], wd[600];
  if (sscanf(text, "voidbox-local owner 1\npid %d\nstart %llu\nboot %39s\nworkdir %599[^\n]\n",
             &pid, &start, boot, wd) != 4 || pid <= 0)
    return -1;
  o->pid = pid;
  o->start = start;
  snprintf(o->boot, sizeof o->boot, "%s", boot);
  if (workdir != NULL) {
    if (strlen(wd) >= wcap)
      return -1;
    strcpy(workdir, wd);
  }
  return 0;
}

void local_owner_cgname(const local_owner *o, char *buf, size_t cap) {
  snprintf(buf, cap, "o%d-%llu", (int)o->pid, o->start);
}

static int write_new(int dirfd, const char *name, const char *text, size_t len) {
  int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return -errno;
  ssize_t w = write(fd, text, len);
  int e = errno;
  int c = close(fd);
  if (w != (ssize_t)len)
    return w < 0 ? -e : -EIO;
  return c == 0 ? 0 : -errno;
}

int local_owner_record(local_state *st, const local_owner *o, const char *workdir,
                       vbx_call *call) {
  const vbx_host_services *h = st->host;
  char text[900], err[300];
  int len = local_owner_format(o, workdir, text, sizeof text);
  const char *base = strrchr(workdir, '/');
  if (len < 0 || base == NULL)
    return h->set_error(call, VBX_E_SANDBOX, "work_root", "box directory path too long: %s",
                        workdir);
  int wfd = open(workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  int rc = wfd < 0 ? -errno : write_new(wfd, "owner", text, (size_t)len);
  if (wfd >= 0)
    close(wfd);
  if (rc != 0)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "%s/owner: %s", workdir, strerror(-rc));
  int bfd = local_rundir_open(st, "boxes", err, sizeof err);
  if (bfd < 0)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "%s", err);
  rc = write_new(bfd, base + 1, text, (size_t)len);
  close(bfd);
  if (rc != 0)
    return h->set_error(call, VBX_E_SANDBOX, NULL, "%s/boxes/%s: %s", st->run_dir, base + 1,
                        strerror(-rc));
  return 0;
}

void local_owner_unrecord(const local_state *st, const char *workdir) {
  char err[300];
  const char *base = strrchr(workdir, '/');
  int bfd = base ? local_rundir_open(st, "boxes", err, sizeof err) : -1;
  if (bfd >= 0) {
    unlinkat(bfd, base + 1, 0);
    close(bfd);
  }
}
