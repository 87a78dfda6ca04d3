/*
 * guest-session/gs_vm_initrd.c - the per-box initrd of a VM box: the
 * image's initramfs followed by a small newc archive of the box's own
 * (Linux unpacks concatenated archives in order), so the agent's
 * arguments, policy and session secret reach PID 1 without the kernel
 * command line (which the monitors append device parameters to, and which
 * guest users can read in /proc/cmdline).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gs_vm.h"
#include "image/newc.h"

/* The agent's arguments as PID 1, one a line (guest/agent/main.c reads
 * them): the listen endpoint, then these, then the disk size. */
#define AGENT_ARGS_MID                                                                      \
  "\n--policy-file\n/etc/voidbox/policy\n"                                                  \
  "--secret-file\n/etc/voidbox/secret\n--unlink-secret\n--root\n/\n--cwd\n" GUEST_WORKSPACE \
  "\n--shutdown\nreboot\n--disk-mb\n"
/* The agent reads at most 8 KiB of them (guest/agent/main.c); with every
 * share (GS_VM_MAX_SHARES, guest paths of GS_VM_GUEST_PATH_MAX) they
 * take under 4 KiB. */
#define AGENT_ARGS_CAP 4096

static int copy_all(int in, int out) {
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) return 0;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, (size_t)(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return -1;
      off += w;
    }
  }
}

/* The box's own archive after the base one, on out, its entries in name
 * order (the writer refuses an entry that does not sort after the one
 * before it). 0, or a code with msg set for what is not the writer's. */
static int write_box_archive(int out, const gs_vm_initrd *s, const char *args, size_t args_len,
                             const char *policy, const void *secret, size_t secret_len, char *msg,
                             size_t cap) {
  vbx__newc w;
  vbx__newc_init(&w, out, 0);
  const char *resolv = s->resolv_conf;
  const vbx__newc_entry rc_entry = {"etc/resolv.conf",          S_IFREG | 0644, 0, 0, 0, 0, resolv,
                                    resolv ? strlen(resolv) : 0};
  const vbx__newc_entry e[] = {
      {"etc/voidbox", S_IFDIR | 0700, 0, 0, 0, 0, NULL, 0},
      {"etc/voidbox/agent.args", S_IFREG | 0400, 0, 0, 0, 0, args, args_len},
      {"etc/voidbox/policy", S_IFREG | 0400, 0, 0, 0, 0, policy, strlen(policy)},
      {"etc/voidbox/secret", S_IFREG | 0400, 0, 0, 0, 0, secret, secret_len},
  };
  const vbx__newc_entry owned[] = {
      {"skills", S_IFDIR | 0755, s->pol->uid, s->pol->gid, 0, 0, NULL, 0},
      {"workspace", S_IFDIR | 0755, s->pol->uid, s->pol->gid, 0, 0, NULL, 0},
  };
  int rc = gs_vm_userland_etc(&w, s->mounts, msg, cap); /* etc/alternatives, etc/ld.so.cache */
  if (rc == 0 && resolv) rc = vbx__newc_add(&w, &rc_entry);
  for (size_t i = 0; rc == 0 && i < sizeof e / sizeof e[0]; i++)
    rc = vbx__newc_add(&w, &e[i]);
  if (rc == 0) rc = gs_vm_userland_links(&w, s->mounts); /* lib, lib32, lib64, libx32 */
  for (size_t i = 0; rc == 0 && i < sizeof owned / sizeof owned[0]; i++)
    rc = vbx__newc_add(&w, &owned[i]);
  return rc == 0 ? vbx__newc_finish(&w, NULL, NULL) : rc;
}

/* The agent's arguments into args (cap bytes): the listen endpoint, the
 * fixed ones, the disk size, then --mount TAG:PATH for each share. Their
 * length, or -1 when they do not fit or the endpoint has a newline. */
static int agent_args(const gs_vm_initrd *s, char *args, size_t cap) {
  if (strchr(s->listen, '\n') != NULL) return -1;
  int n = snprintf(args, cap, "--listen\n%s" AGENT_ARGS_MID "%u\n", s->listen, s->disk_mb);
  for (unsigned i = 0; s->mounts != NULL && i < s->mounts->n_share && n > 0 && (size_t)n < cap;
       i++) {
    const gs_vm_share *sh = &s->mounts->share[i];
    n += snprintf(args + n, cap - (size_t)n, "--mount\n%s:%s\n", sh->tag, sh->guest);
  }
  return n > 0 && (size_t)n < cap ? n : -1;
}

int gs_vm_initrd_write(const vbx_host_services *h, const char *path, const gs_vm_initrd *s,
                       const void *secret, size_t secret_len, vbx_call *call) {
  char args[AGENT_ARGS_CAP], msg[300] = "";
  int args_len = agent_args(s, args, sizeof args);
  if (args_len < 0)
    return h->set_error(call, VBX_E_INVAL, NULL, "the agent's arguments (listen endpoint '%s') %s",
                        s->listen, "have a newline or pass its bound");
  int in = open(s->base, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return h->set_error(call, VBX_E_IO, NULL, "cannot open %s: %s", s->base, strerror(errno));
  int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    int e = errno;
    close(in);
    return h->set_error(call, VBX_E_IO, NULL, "cannot create %s: %s", path, strerror(e));
  }
  char *policy = guest_policy_text(h, s->pol, s->writer);
  int rc = policy ? 0 : VBX_E_NOMEM, set = 0; /* set: the call's error is */
  if (rc == 0 && copy_all(in, out) != 0) rc = VBX_E_IO;
  off_t base = lseek(out, 0, SEEK_CUR);
  if (rc == 0 && (base < 0 || base % 4 != 0)) {
    rc = h->set_error(call, VBX_E_INVAL, NULL, "%s is not a newc archive (size %lld)", s->base,
                      (long long)base);
    set = 1;
  }
  if (rc == 0)
    rc = write_box_archive(out, s, args, (size_t)args_len, policy, secret, secret_len, msg,
                           sizeof msg);
  if (rc != 0 && !set) {
    if (msg[0]) /* the host userland's files */
      rc = h->set_error(call, rc, "host_userland", "writing %s: %s", path, msg);
    else if (rc == VBX_E_INVAL) /* the newc writer refused an entry */
      rc = h->set_error(call, rc, NULL, "writing %s: the box's archive has an invalid entry", path);
    else
      rc = h->set_error(call, rc, NULL, "writing %s: %s", path,
                        rc == VBX_E_NOMEM ? "out of memory" : strerror(errno));
  }
  if (policy) h->free(policy);
  close(in);
  if (close(out) != 0 && rc == 0)
    rc = h->set_error(call, VBX_E_IO, NULL, "writing %s: %s", path, strerror(errno));
  return rc;
}
