/*
 * image/initramfs.c - the guest initramfs: /init = static guest agent,
 * busybox-static with its applet links, CA certificates, a minimal /etc;
 * written reproducibly as newc (tree.c, newc.c) with a manifest.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/fsutil.h"
#include "image/image.h"
#include "image/locate.h"
#include "image/manifest.h"
#include "image/proc.h"
#include "image/tree.h"
#include "util/error.h"

#define BINARY_MAX (256u << 20)
#define CA_MAX (16u << 20)
#define APPLET_LIST_MAX (256u << 10)

/* Unprivileged user that commands in the guest run as. */
#define SANDBOX_UID 1000

static const char etc_passwd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "sandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char etc_group[] = "root:x:0:\nsandbox:x:1000:\nnogroup:x:65534:\n";
static const char etc_hosts[] = "127.0.0.1\tlocalhost\n::1\tlocalhost\n";
static const char etc_hostname[] = "voidbox\n";

/* Require a static x86-64 ELF executable. */
static int check_static(const char *what, const char *path, vbx_error *err) {
  vbx__elf_info info;
  int rc = vbx__image_elf_info(path, &info);
  if (rc)
    return vbx__error_set(err, rc == VBX_E_INVAL ? VBX_E_INVAL : rc,
                          "%s %s: not an ELF64 file (%s)", what, path, vbx__error_text(rc));
  if (info.machine != 62)
    return vbx__error_set(err, VBX_E_INVAL, "%s %s: not an x86-64 binary (e_machine %d)", what,
                          path, info.machine);
  if (info.has_interp)
    return vbx__error_set(err, VBX_E_INVAL,
                          "%s %s: dynamically linked (has an ELF interpreter); the initramfs "
                          "has no libc, so it must be static",
                          what, path);
  return 0;
}

static int add_host_file(vbx__tree *t, const char *name, uint32_t perm, const char *path,
                         size_t max, char sha[VBX__SHA256_HEX], vbx_error *err) {
  char *data = NULL;
  size_t len = 0;
  int rc = vbx__img_read_file(path, max, &data, &len);
  if (rc)
    return vbx__error_set(err, rc, "initramfs: cannot read %s: %s", path, vbx__error_text(rc));
  rc = vbx__tree_add_file(t, name, perm, data, len);
  if (!rc && sha) vbx__sha256_buf_hex(data, len, sha);
  free(data);
  return rc ? vbx__error_set(err, rc, "initramfs: adding %s: %s", name, vbx__error_text(rc)) : 0;
}

/* Links for every applet `busybox --list-full` names (bin/ls, usr/bin/wc),
 * except init/linuxrc: the kernel runs /init, which is the agent. */
static int add_applets(vbx__tree *t, const char *busybox, char *version, size_t vsize,
                       vbx_error *err) {
  const char *argv[] = {busybox, "--list-full", NULL};
  char *list = NULL;
  int rc = vbx__img_capture(argv, APPLET_LIST_MAX, &list);
  if (rc)
    return vbx__error_set(err, rc, "initramfs: `%s --list-full` failed: %s", busybox,
                          vbx__error_text(rc));
  size_t count = 0;
  int has_bash = 0;
  for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
    size_t n = strlen(line);
    if (!n || n > 128 || line[0] == '/' || strstr(line, "..") || !strcmp(line, "bin/busybox") ||
        !strcmp(line, "linuxrc") || !strcmp(line, "sbin/init"))
      continue;
    char *slash = strrchr(line, '/');
    if (slash) {
      *slash = '\0';
      rc = vbx__tree_add_dirs(t, line, 0755);
      *slash = '/';
      if (rc) break;
    }
    if ((rc = vbx__tree_add_symlink(t, line, "/bin/busybox"))) break;
    has_bash |= !strcmp(line, "bin/bash");
    count++;
  }
  free(list);
  /* The engine's `bash` tool runs `bash -c COMMAND`; without a bash applet,
   * busybox's ash (POSIX sh with some bash extensions) stands in. */
  static const char bash_shim[] =
      "#!/bin/sh\n# voidbox guest image: busybox ash stands in for "
      "bash\nexec /bin/sh \"$@\"\n";
  if (!rc && !has_bash)
    rc = vbx__tree_add_file(t, "bin/bash", 0755, bash_shim, sizeof(bash_shim) - 1);
  if (rc)
    return vbx__error_set(err, rc, "initramfs: busybox applet links: %s", vbx__error_text(rc));
  if (count < 10)
    return vbx__error_set(err, VBX_E_INVAL,
                          "initramfs: %s lists only %zu applets; is it busybox-static?", busybox,
                          count);
  /* "BusyBox v1.35.0 (Debian ...) multi-call binary." */
  const char *hv[] = {busybox, "--help", NULL};
  char *help = NULL;
  version[0] = '\0';
  if (vbx__img_capture(hv, 1u << 20, &help) == 0) {
    help[strcspn(help, "\n")] = '\0';
    snprintf(version, vsize, "%s", help);
  }
  free(help);
  return 0;
}

static int collect(vbx__tree *t, const char *agent, const char *busybox, const char *ca,
                   char agent_sha[VBX__SHA256_HEX], char *bb_version, size_t bb_vsize,
                   vbx_error *err) {
  static const struct {
    const char *path;
    uint32_t perm;
  } dirs[] = {{"bin", 0755},     {"dev", 0755},      {"etc", 0755},     {"etc/ssl/certs", 0755},
              {"home", 0755},    {"mnt", 0755},      {"proc", 0755},    {"root", 0700},
              {"run", 0755},     {"sbin", 0755},     {"sys", 0755},     {"tmp", 01777},
              {"usr/bin", 0755}, {"usr/sbin", 0755}, {"var/tmp", 01777}};
  int rc;
  for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
    if ((rc = vbx__tree_add_dirs(t, dirs[i].path, 0755))) goto oom;
    /* add_dirs uses 0755; fix the leaf's permissions */
    for (size_t k = 0; k < t->n; k++)
      if (!strcmp(t->e[k].name, dirs[i].path)) t->e[k].mode = S_IFDIR | dirs[i].perm;
  }
  if ((rc = vbx__tree_add_dir(t, "home/sandbox", 0755, SANDBOX_UID, SANDBOX_UID))) goto oom;
  if ((rc = vbx__tree_add_chardev(t, "dev/console", 0600, 5, 1))) goto oom;
  if ((rc = vbx__tree_add_file(t, "etc/passwd", 0644, etc_passwd, sizeof(etc_passwd) - 1)) ||
      (rc = vbx__tree_add_file(t, "etc/group", 0644, etc_group, sizeof(etc_group) - 1)) ||
      (rc = vbx__tree_add_file(t, "etc/hosts", 0644, etc_hosts, sizeof(etc_hosts) - 1)) ||
      (rc = vbx__tree_add_file(t, "etc/hostname", 0644, etc_hostname, sizeof(etc_hostname) - 1)) ||
      (rc = vbx__tree_add_symlink(t, "etc/ssl/cert.pem", "certs/ca-certificates.crt")))
    goto oom;
  if ((rc = add_host_file(t, "init", 0755, agent, BINARY_MAX, agent_sha, err)) ||
      (rc = add_host_file(t, "bin/busybox", 0755, busybox, BINARY_MAX, NULL, err)) ||
      (rc = add_host_file(t, "etc/ssl/certs/ca-certificates.crt", 0644, ca, CA_MAX, NULL, err)))
    return rc;
  if ((rc = add_applets(t, busybox, bb_version, bb_vsize, err))) return rc;
  return vbx__tree_finalize(t, err);
oom:
  return vbx__error_set(err, rc, "initramfs: building the file list: %s", vbx__error_text(rc));
}

/* The kernel the CACHE/bzImage link points at, from its kernel.json. */
static int current_kernel(const char *cache, vbx__kernel_result *k) {
  char link[PATH_MAX], target[PATH_MAX], path[PATH_MAX * 2];
  memset(k, 0, sizeof(*k));
  if (vbx__img_path(link, sizeof(link), "%s/bzImage", cache)) return -1;
  ssize_t n = readlink(link, target, sizeof(target) - 1);
  if (n <= 0) return -1;
  target[n] = '\0';
  char *s = strrchr(target, '/');
  if (!s) return -1;
  *s = '\0';
  if (vbx__img_path(path, sizeof(path), "%s/%s/kernel.json", cache, target)) return -1;
  json_t *doc = json_load_file(path, 0, NULL);
  if (!doc) return -1;
  const char *f[4] = {json_string_value(json_object_get(doc, "key")),
                      json_string_value(json_object_get(doc, "release")),
                      json_string_value(json_object_get(doc, "fragment_sha256")),
                      json_string_value(json_object_get(doc, "config_sha256"))};
  int ok = f[0] && f[1] && f[2] && f[3];
  if (ok) {
    snprintf(k->key, sizeof(k->key), "%s", f[0]);
    snprintf(k->release, sizeof(k->release), "%s", f[1]);
    snprintf(k->fragment_sha256, sizeof(k->fragment_sha256), "%s", f[2]);
    snprintf(k->config_sha256, sizeof(k->config_sha256), "%s", f[3]);
  }
  json_decref(doc);
  return ok ? 0 : -1;
}

static int write_outputs(const vbx__image_opts *o, const vbx__tree *t,
                         const vbx__manifest_input *mi_in, vbx__initramfs_result *res,
                         vbx_error *err) {
  char tmp[PATH_MAX], file[64], link[PATH_MAX];
  int rc, fd;
  if (vbx__img_path(tmp, sizeof(tmp), "%s/initramfs.tmp.%d", o->cache_dir, (int)getpid()))
    return vbx__error_set(err, VBX_E_TOOBIG, "initramfs: cache path too long");
  if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
    return vbx__error_set(err, VBX_E_IO, "initramfs: cannot create %s: %s", tmp, strerror(errno));
  rc = vbx__tree_write(t, fd, VBX__IMAGE_SOURCE_DATE_EPOCH, res->sha256, &res->size, err);
  if (!rc && (fsync(fd) || close(fd) != 0)) {
    fd = -1;
    rc = vbx__error_set(err, VBX_E_IO, "initramfs: writing %s: %s", tmp, strerror(errno));
  } else if (!rc) {
    fd = -1;
  }
  if (fd >= 0) close(fd);
  snprintf(file, sizeof(file), "initramfs-%.16s.cpio", res->sha256);
  if (!rc && (vbx__img_path(res->path, sizeof(res->path), "%s/%s", o->cache_dir, file) ||
              rename(tmp, res->path)))
    rc = vbx__error_set(err, VBX_E_IO, "initramfs: cannot rename %s: %s", tmp, strerror(errno));
  if (rc) {
    unlink(tmp);
    return rc;
  }
  vbx__manifest_input mi = *mi_in;
  mi.file = file, mi.sha256 = res->sha256, mi.size = res->size;
  json_t *doc = vbx__image_manifest(&mi);
  char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
  json_decref(doc);
  if (!text) return vbx__error_set(err, VBX_E_NOMEM, "initramfs: manifest: out of memory");
  size_t len = strlen(text);
  text[len] = '\0';
  rc = vbx__img_path(res->manifest, sizeof(res->manifest), "%s/initramfs-%.16s.manifest.json",
                     o->cache_dir, res->sha256);
  char *withnl = rc ? NULL : malloc(len + 2);
  if (withnl) {
    memcpy(withnl, text, len);
    withnl[len] = '\n';
    rc = vbx__img_write_file(res->manifest, withnl, len + 1, 0644);
  } else {
    rc = VBX_E_IO;
  }
  free(withnl);
  free(text);
  if (rc) return vbx__error_set(err, VBX_E_IO, "initramfs: cannot write %s", res->manifest);
  char mtarget[96];
  snprintf(mtarget, sizeof(mtarget), "initramfs-%.16s.manifest.json", res->sha256);
  if (vbx__img_path(link, sizeof(link), "%s/initramfs.cpio", o->cache_dir) ||
      vbx__img_symlink_replace(file, link) ||
      vbx__img_path(link, sizeof(link), "%s/initramfs.manifest.json", o->cache_dir) ||
      vbx__img_symlink_replace(mtarget, link))
    return vbx__error_set(err, VBX_E_IO, "initramfs: cannot update the links in %s", o->cache_dir);
  return 0;
}

int vbx__image_build_initramfs(const vbx__image_opts *o, const vbx__kernel_result *kernel,
                               vbx__initramfs_result *res, vbx_error *err) {
  char agent[PATH_MAX], agent_sha[VBX__SHA256_HEX] = "", bb_version[128] = "";
  const char *busybox = o->busybox ? o->busybox : "/bin/busybox";
  const char *ca = o->ca_bundle ? o->ca_bundle : "/etc/ssl/certs/ca-certificates.crt";
  vbx__tree t = {0};
  vbx__kernel_result cur;
  int rc;
  memset(res, 0, sizeof(*res));
  double start = vbx__img_now();
  if ((rc = vbx__image_find_agent(o->agent, agent, sizeof(agent), err))) return rc;
  if ((rc = check_static("guest agent", agent, err))) return rc;
  if (access(busybox, X_OK))
    return vbx__error_set(err, VBX_E_NOTFOUND,
                          "initramfs: %s not found: install busybox-static "
                          "(scripts/install-deps.sh)",
                          busybox);
  if ((rc = check_static("busybox", busybox, err))) return rc;
  if (access(ca, R_OK))
    return vbx__error_set(err, VBX_E_NOTFOUND,
                          "initramfs: CA bundle %s not found: install ca-certificates", ca);
  if (o->progress) {
    fprintf(o->progress, "image: initramfs: /init = %s\n", agent);
    fflush(o->progress);
  }
  if ((rc = collect(&t, agent, busybox, ca, agent_sha, bb_version, sizeof(bb_version), err)))
    goto out;
  if (!kernel && current_kernel(o->cache_dir, &cur) == 0) kernel = &cur;
  vbx__manifest_input mi = {.tree = &t,
                            .kernel = kernel,
                            .agent_path = agent,
                            .agent_sha256 = agent_sha,
                            .busybox_path = busybox,
                            .busybox_version = bb_version[0] ? bb_version : NULL,
                            .ca_bundle_path = ca};
  if ((rc = write_outputs(o, &t, &mi, res, err))) goto out;
  res->entries = t.n;
  res->seconds = vbx__img_now() - start;
  if (o->progress) {
    fprintf(o->progress, "image: initramfs: %zu entries, %llu bytes, done (%.1f s)\n", t.n,
            (unsigned long long)res->size, res->seconds);
    fflush(o->progress);
  }
out:
  vbx__tree_free(&t);
  return rc;
}
