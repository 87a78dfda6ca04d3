/*
 * sandbox-local/plan.c - the clone child's plan for one box (plan.h): a
 * tmpfs root of disk_mb MiB (so /tmp, /workspace and whatever else the box
 * writes never reach the host's disk, and no host path of the box
 * directory shows in the box's mountinfo), read-only recursive binds of
 * the system directories and /etc essentials, a private /dev and /proc,
 * the spec's mounts. Runs in the parent, before clone().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan.h"

static struct plan_op *add(struct plan *p, int kind, int required) {
  if (p->n >= PLAN_MAX_OPS) {
    if (!p->err[0])
      snprintf(p->err, sizeof p->err, "too many mounts for one box (at most %d steps)",
               PLAN_MAX_OPS);
    return NULL;
  }
  struct plan_op *o = &p->ops[p->n++];
  memset(o, 0, sizeof *o);
  o->kind = kind;
  o->required = required;
  return o;
}

/* The box path rel under the root into dst; fails the plan when it does
 * not fit (a truncated target would land somewhere else). */
static int boxpath(struct plan *p, char *dst, size_t cap, const char *rel) {
  int n = snprintf(dst, cap, "%s%s", p->root, rel);
  if (n < 0 || (size_t)n >= cap) {
    if (!p->err[0]) snprintf(p->err, sizeof p->err, "box path too long: %.200s", rel);
    return -1;
  }
  return 0;
}

static void plan_dir(struct plan *p, const char *rel, mode_t mode) {
  struct plan_op *o = add(p, OP_MKDIR, 1);
  if (o && boxpath(p, o->b, sizeof o->b, rel) == 0) o->mode = mode;
}

/* Bind host onto rel; read-only (recursively) when ro. A missing host
 * path fails the plan when required, else is skipped. */
static void plan_bind(struct plan *p, const char *host, const char *rel, int ro, int required) {
  struct stat st;
  if (strlen(host) >= sizeof p->ops[0].a) {
    snprintf(p->err, sizeof p->err, "mount source too long: %.200s", host);
    return;
  }
  if (lstat(host, &st) != 0) {
    if (required && !p->err[0])
      snprintf(p->err, sizeof p->err, "mount source %.200s: %s", host, strerror(errno));
    return;
  }
  if (S_ISLNK(st.st_mode)) { /* /bin -> usr/bin on merged-/usr systems */
    char t[512];
    ssize_t n = readlink(host, t, sizeof t - 1);
    struct plan_op *o = add(p, OP_SYMLINK, required);
    if (o && n > 0) {
      t[n] = '\0';
      snprintf(o->a, sizeof o->a, "%s", t);
      boxpath(p, o->b, sizeof o->b, rel);
    }
    return;
  }
  struct plan_op *o = add(p, S_ISDIR(st.st_mode) ? OP_MKDIR : OP_FILE, required);
  if (o == NULL || boxpath(p, o->b, sizeof o->b, rel) != 0) return;
  o->mode = 0755;
  o = add(p, OP_MOUNT, required);
  if (o == NULL || boxpath(p, o->b, sizeof o->b, rel) != 0) return;
  snprintf(o->a, sizeof o->a, "%s", host);
  o->flags = MS_BIND | MS_REC;
  if (ro) { /* every mount of the bind, submounts included (child.c) */
    struct plan_op *r = add(p, OP_RDONLY, 1);
    if (r && boxpath(p, r->b, sizeof r->b, rel) == 0) {
      snprintf(r->a, sizeof r->a, "%s", rel);
      r->flags = MS_NOSUID;
    }
  }
}

static void plan_fs(struct plan *p, const char *rel, const char *type, unsigned long fl,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void plan_fs(struct plan *p, const char *rel, const char *type, unsigned long fl,
                    const char *fmt, ...) {
  if (rel[0]) plan_dir(p, rel, 0755);
  struct plan_op *o = add(p, OP_MOUNT, 1);
  if (o == NULL || boxpath(p, o->b, sizeof o->b, rel) != 0) return;
  snprintf(o->a, sizeof o->a, "%s", strcmp(type, "proc") == 0 ? "proc" : "voidbox");
  snprintf(o->fstype, sizeof o->fstype, "%s", type);
  o->flags = fl;
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->data, sizeof o->data, fmt, ap);
    va_end(ap);
  }
}

int plan_build(struct plan *p, const local_box *b, const vbx_sandbox_config *cfg) {
  static const char *const sys_dirs[] = {"/usr",   "/bin",   "/sbin",  "/lib",
                                         "/lib32", "/lib64", "/libx32"};
  static const char *const etc[] = {
      "/etc/passwd",        "/etc/group",       "/etc/hosts",       "/etc/resolv.conf",
      "/etc/nsswitch.conf", "/etc/ld.so.cache", "/etc/ld.so.conf",  "/etc/ld.so.conf.d",
      "/etc/alternatives",  "/etc/localtime",   "/etc/ssl",         "/etc/ca-certificates",
      "/etc/mime.types",    "/etc/python3",     "/etc/bash.bashrc", "/etc/profile"};
  static const char *const devs[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                     "/dev/urandom"};
  p->n = 0;
  p->err[0] = '\0';
  /* The root: one tmpfs per box holding /tmp and /workspace (disk_mb). */
  plan_fs(p, "", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=%um", b->disk_mb);
  for (size_t i = 0; i < sizeof sys_dirs / sizeof sys_dirs[0]; i++)
    plan_bind(p, sys_dirs[i], sys_dirs[i], 1, 0);
  plan_dir(p, "/etc", 0755);
  for (size_t i = 0; i < sizeof etc / sizeof etc[0]; i++)
    plan_bind(p, etc[i], etc[i], 1, 0);
  plan_fs(p, "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k");
  for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++)
    plan_bind(p, devs[i], devs[i], 0, 1);
  plan_fs(p, "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m");
  struct plan_op *o = add(p, OP_SYMLINK, 0);
  if (o) {
    snprintf(o->a, sizeof o->a, "/proc/self/fd");
    boxpath(p, o->b, sizeof o->b, "/dev/fd");
  }
  plan_fs(p, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  plan_dir(p, "/tmp", 01777);
  plan_dir(p, "/run", 0755);
  static const char *const owned[] = {GUEST_WORKSPACE, GUEST_SKILLS};
  for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
    plan_dir(p, owned[i], 0755);
    o = add(p, OP_CHOWN, 1);
    if (o && boxpath(p, o->b, sizeof o->b, owned[i]) == 0)
      o->uid = b->opt.pol.uid, o->gid = b->opt.pol.gid;
  }
  for (size_t i = 0; i < cfg->n_mounts; i++) {
    const vbx_mount *m = &cfg->mounts[i];
    if (m->host_path == NULL || m->guest_path == NULL || m->guest_path[0] != '/') {
      snprintf(p->err, sizeof p->err, "mount %zu needs a host path and an absolute box path", i);
      break;
    }
    /* a relative host path is relative to the spec's directory */
    char host[sizeof p->ops[0].a + 1];
    int rel = m->host_path[0] != '/' && cfg->spec_dir != NULL && cfg->spec_dir[0] != '\0';
    int n = snprintf(host, sizeof host, "%s%s%s", rel ? cfg->spec_dir : "", rel ? "/" : "",
                     m->host_path);
    if (n < 0 || (size_t)n >= sizeof host) {
      snprintf(p->err, sizeof p->err, "mount %zu: source path too long: %.200s", i, m->host_path);
      break;
    }
    plan_bind(p, host, m->guest_path, m->read_only, 1);
  }
  return p->err[0] ? -1 : 0;
}
