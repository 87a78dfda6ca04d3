/*
 * guest-session/gs_vm_mounts.c - a VM box's host directories as read-only
 * 9p shares (gs_vm.h): the host userland's (/usr and the /lib directories
 * of the host, so host programs run in the guest as they do on the host)
 * and the config's mounts, each checked and resolved before anything of
 * the box exists, so a refused mount leaves nothing behind. The monitor
 * exports each share read-only; the guest agent mounts them in this order
 * before it serves (--mount TAG:PATH).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gs_vm.h"

/* The host userland, mounted (or linked) at the same paths; /usr first. */
static const char *const userland[GS_VM_MAX_USERLAND] = {"/usr", "/lib", "/lib32", "/lib64",
                                                         "/libx32"};

/* Is path dir or below it? */
static int at_or_under(const char *path, const char *dir) {
  size_t n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Why guest path g cannot be a mount point, or NULL when it can. */
static const char *guest_problem(const char *g, int host_userland) {
  static const char *const kernel[] = {"/proc", "/sys", "/dev"};
  static const char *const own[] = {"/tmp", "/var/tmp", GUEST_WORKSPACE, GUEST_SKILLS};
  if (g == NULL || g[0] != '/') return "is not an absolute path";
  if (strlen(g) > GS_VM_GUEST_PATH_MAX) return "is longer than 240 bytes";
  if (strcmp(g, "/") == 0) return "is the guest's root";
  for (const char *c = g; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f) return "has a control character";
  for (const char *c = g; *c == '/';) {
    const char *e = strchr(c + 1, '/');
    size_t n = e ? (size_t)(e - c - 1) : strlen(c + 1);
    if (n == 0 || (n == 1 && c[1] == '.') || (n == 2 && c[1] == '.' && c[2] == '.'))
      return "has an empty, '.' or '..' component";
    c += n + 1;
  }
  for (size_t i = 0; i < sizeof kernel / sizeof kernel[0]; i++)
    if (at_or_under(g, kernel[i]))
      return "is in a kernel interface file system (/proc, /sys, /dev)";
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
    if (strcmp(g, own[i]) == 0)
      return "is a directory of the box's own (its disk or its skills): mount below it";
  for (size_t i = 0; host_userland && i < GS_VM_MAX_USERLAND; i++)
    if (at_or_under(g, userland[i]))
      return "is in the host userland's /usr, /lib... (host_userland: true mounts them)";
  return NULL;
}

/* Append a share of host directory dir (canonical) at guest. */
static void add_share(gs_vm_mounts *m, const char *dir, const char *guest) {
  gs_vm_share *s = &m->share[m->n_share];
  snprintf(s->tag, sizeof s->tag, "vbx%u", m->n_share);
  snprintf(s->host, sizeof s->host, "%s", dir);
  snprintf(s->guest, sizeof s->guest, "%s", guest);
  m->n_share++;
}

/* The host userland's shares and links. 0 or the code set on call. */
static int plan_userland(const vbx_host_services *h, const char *backend, gs_vm_mounts *m,
                         vbx_call *call) {
  for (size_t i = 0; i < GS_VM_MAX_USERLAND; i++) {
    const char *p = userland[i];
    struct stat st;
    if (lstat(p, &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))) {
      if (i == 0)
        return h->set_error(call, VBX_E_NOTFOUND, "host_userland",
                            "sandbox backend '%s': host_userland: this host has no /usr directory",
                            backend);
      continue; /* no /lib32 here: nothing to give */
    }
    if (S_ISDIR(st.st_mode)) {
      add_share(m, p, p);
      continue;
    }
    if (i == 0)
      return h->set_error(call, VBX_E_INVAL, "host_userland",
                          "sandbox backend '%s': host_userland: /usr is a symbolic link on this "
                          "host; only a /usr directory can be mounted",
                          backend);
    gs_vm_link *l = &m->link[m->n_link];
    ssize_t n = readlink(p, l->target, sizeof l->target);
    if (n <= 0 || (size_t)n >= sizeof l->target || memchr(l->target, '\n', (size_t)n))
      return h->set_error(call, VBX_E_INVAL, "host_userland",
                          "sandbox backend '%s': host_userland: cannot copy the link %s", backend,
                          p);
    l->target[n] = '\0';
    snprintf(l->name, sizeof l->name, "%s", p + 1);
    m->n_link++;
  }
  return 0;
}

/* cfg's mount i's host directory, canonical, into dir. 0 or the code set
 * on call. */
static int resolve_host(const vbx_host_services *h, const char *backend,
                        const vbx_sandbox_config *cfg, size_t i, char *dir, vbx_call *call) {
  const vbx_mount *mt = &cfg->mounts[i];
  char joined[PATH_MAX + 1];
  const char *host = mt->host_path;
  if (host[0] != '/' && cfg->spec_dir != NULL && cfg->spec_dir[0] != '\0') {
    if ((size_t)snprintf(joined, sizeof joined, "%s/%s", cfg->spec_dir, host) >= sizeof joined)
      return h->set_error(call, VBX_E_TOOBIG, "mounts",
                          "sandbox backend '%s': mount %zu: host path %.200s is too long", backend,
                          i + 1, host);
    host = joined;
  }
  char real[PATH_MAX];
  struct stat st;
  if (realpath(host, real) == NULL || stat(real, &st) != 0) {
    int e = errno;
    return h->set_error(call, e == ENOENT || e == ENOTDIR ? VBX_E_NOTFOUND : VBX_E_IO, "mounts",
                        "sandbox backend '%s': mount %zu: host path %.600s %s", backend, i + 1,
                        host, e == ENOENT || e == ENOTDIR ? "does not exist" : strerror(e));
  }
  if (!S_ISDIR(st.st_mode))
    return h->set_error(call, VBX_E_INVAL, "mounts",
                        "sandbox backend '%s': mount %zu: host path %.600s is %s; a VM mounts "
                        "directories only (9p exports a directory, and exporting this one's "
                        "directory would show the guest its neighbours): mount a directory",
                        backend, i + 1, host, S_ISREG(st.st_mode) ? "a file" : "not a directory");
  if (access(real, R_OK | X_OK) != 0)
    return h->set_error(call, VBX_E_PERM, "mounts",
                        "sandbox backend '%s': mount %zu: host directory %.600s cannot be read "
                        "by uid %u, whom the monitor serves it as",
                        backend, i + 1, real, (unsigned)geteuid());
  if (strlen(real) > GS_VM_HOST_PATH_MAX)
    return h->set_error(call, VBX_E_TOOBIG, "mounts",
                        "sandbox backend '%s': mount %zu: host path %.200s is too long", backend,
                        i + 1, real);
  snprintf(dir, GS_VM_HOST_PATH_MAX + 1, "%s", real);
  return 0;
}

/* cfg's mount i: checked, resolved and appended to m. 0 or the code set
 * on call. */
static int plan_mount(const vbx_host_services *h, const char *backend,
                      const vbx_sandbox_config *cfg, size_t i, gs_vm_mounts *m, vbx_call *call) {
  const vbx_mount *mt = &cfg->mounts[i];
  const char *g = mt->guest_path;
  if (mt->host_path == NULL || mt->host_path[0] == '\0')
    return h->set_error(call, VBX_E_SPEC, "mounts",
                        "sandbox backend '%s': mount %zu has no host path", backend, i + 1);
  if (!mt->read_only)
    return h->set_error(call, VBX_E_UNSUPPORTED, "mounts",
                        "sandbox backend '%s': mount %zu (%.300s -> %.240s) is writable; a VM "
                        "box mounts host directories read-only only (read_only: true): files "
                        "come back out through the box's file reads",
                        backend, i + 1, mt->host_path, g ? g : "");
  const char *why = guest_problem(g, m->host_userland);
  if (why != NULL)
    return h->set_error(call, VBX_E_SPEC, "mounts",
                        "sandbox backend '%s': mount %zu: guest path '%.240s' %s", backend, i + 1,
                        g ? g : "", why);
  for (unsigned k = 0; k < m->n_share; k++)
    if (at_or_under(g, m->share[k].guest) || at_or_under(m->share[k].guest, g))
      return h->set_error(call, VBX_E_SPEC, "mounts",
                          "sandbox backend '%s': mount %zu: guest path %s is %s another mount's "
                          "%s (9p mounts are read-only: one cannot hold another's mount point)",
                          backend, i + 1, g,
                          strcmp(g, m->share[k].guest) == 0   ? "the same as"
                          : at_or_under(g, m->share[k].guest) ? "inside"
                                                              : "around",
                          m->share[k].guest);
  char dir[GS_VM_HOST_PATH_MAX + 1];
  int rc = resolve_host(h, backend, cfg, i, dir, call);
  if (rc == 0) add_share(m, dir, g);
  return rc;
}

int gs_vm_mounts_plan(const vbx_host_services *h, const char *backend,
                      const vbx_sandbox_config *cfg, int host_userland, gs_vm_mounts *out,
                      vbx_call *call) {
  memset(out, 0, sizeof *out);
  out->host_userland = host_userland != 0;
  int rc = host_userland ? plan_userland(h, backend, out, call) : 0;
  unsigned own = out->n_share; /* the host userland's */
  char taken[64] = "";
  if (own) snprintf(taken, sizeof taken, ", and host_userland takes %u here", own);
  if (rc == 0 && cfg->n_mounts > GS_VM_MAX_SHARES - own)
    return h->set_error(call, VBX_E_LIMIT, "mounts",
                        "sandbox backend '%s': %zu mounts; a box shares at most %d host "
                        "directories (one virtio-9p device each: QEMU's microvm has 8 "
                        "virtio-mmio slots and the box's own devices take 3)%s",
                        backend, cfg->n_mounts, GS_VM_MAX_SHARES, taken);
  for (size_t i = 0; rc == 0 && i < cfg->n_mounts; i++)
    rc = plan_mount(h, backend, cfg, i, out, call);
  return rc;
}
