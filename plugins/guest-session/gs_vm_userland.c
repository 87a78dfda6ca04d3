/*
 * guest-session/gs_vm_userland.c - what the host userland (host_userland:
 * the host's /usr and /lib directories as 9p shares, gs_vm_mounts.c) adds
 * to the per-box archive so host programs find what they look for
 * outside those directories: the /lib links of a merged-/usr host
 * (/lib -> usr/lib: the dynamic loader /lib64/ld-linux-x86-64.so.2), the
 * loader's cache /etc/ld.so.cache (libraries in directories that
 * /etc/ld.so.conf adds) and /etc/alternatives (Debian's /usr/bin/awk ->
 * /etc/alternatives/awk -> /usr/bin/mawk). Copied, not shared: a few KiB,
 * written once per box.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gs_vm.h"
#include "image/newc.h"

#define ALT_DIR "/etc/alternatives"
#define ALT_MAX 4096 /* entries of /etc/alternatives copied, at most */
#define LDCACHE "/etc/ld.so.cache"
#define LDCACHE_MAX (4u << 20) /* its bytes, at most */

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in ALT_DIR, sorted, into *out (n of them; free each and the
 * array). 0 (none when the host has no such directory), VBX_E_NOMEM, or
 * VBX_E_TOOBIG past ALT_MAX. */
static int alt_names(char ***out, size_t *n) {
  *out = NULL;
  *n = 0;
  DIR *d = opendir(ALT_DIR);
  if (d == NULL) return 0;
  char **v = calloc(ALT_MAX, sizeof *v);
  int rc = v ? 0 : VBX_E_NOMEM;
  struct dirent *e;
  while (rc == 0 && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' && (e->d_name[1] == '\0' || strcmp(e->d_name, "..") == 0)) continue;
    if (*n == ALT_MAX)
      rc = VBX_E_TOOBIG;
    else if ((v[*n] = strdup(e->d_name)) == NULL)
      rc = VBX_E_NOMEM;
    else
      (*n)++;
  }
  closedir(d);
  if (rc == 0) qsort(v, *n, sizeof *v, cmp_name);
  *out = v;
  return rc;
}

/* ALT_DIR as a directory entry and its symlinks (other types are left
 * out). 0 or a code with msg. */
static int add_alternatives(vbx__newc *w, char *msg, size_t cap) {
  char **names;
  size_t n;
  int rc = alt_names(&names, &n);
  if (rc == 0 && names != NULL) {
    const vbx__newc_entry dir = {"etc/alternatives", S_IFDIR | 0755, 0, 0, 0, 0, NULL, 0};
    rc = vbx__newc_add(w, &dir);
  }
  for (size_t i = 0; rc == 0 && i < n; i++) {
    char path[600], name[600], target[4096];
    snprintf(path, sizeof path, ALT_DIR "/%.500s", names[i]);
    ssize_t len = readlink(path, target, sizeof target);
    if (len <= 0 || (size_t)len >= sizeof target) continue; /* not a link: left out */
    snprintf(name, sizeof name, "etc/alternatives/%.500s", names[i]);
    const vbx__newc_entry e = {name, S_IFLNK | 0777, 0, 0, 0, 0, target, (size_t)len};
    rc = vbx__newc_add(w, &e);
  }
  if (rc == VBX_E_TOOBIG)
    snprintf(msg, cap, ALT_DIR " has more than %d entries", ALT_MAX);
  else if (rc != 0)
    snprintf(msg, cap, "copying " ALT_DIR ": %s",
             rc == VBX_E_NOMEM ? "out of memory" : strerror(errno));
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  return rc;
}

/* The host's LDCACHE as etc/ld.so.cache (0644), if it has one. 0 or a
 * code with msg. */
static int add_ldcache(vbx__newc *w, char *msg, size_t cap) {
  int fd = open(LDCACHE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return 0;
  struct stat st;
  char *buf = NULL;
  size_t got = 0;
  int rc = fstat(fd, &st) == 0 ? 0 : VBX_E_IO;
  if (rc == 0 && (!S_ISREG(st.st_mode) || st.st_size > (off_t)LDCACHE_MAX)) rc = VBX_E_TOOBIG;
  if (rc == 0 && (buf = malloc((size_t)st.st_size + 1)) == NULL) rc = VBX_E_NOMEM;
  while (rc == 0 && got < (size_t)st.st_size) {
    ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      rc = VBX_E_IO;
    else
      got += (size_t)r;
  }
  close(fd);
  if (rc == 0) {
    const vbx__newc_entry e = {"etc/ld.so.cache", S_IFREG | 0644, 0, 0, 0, 0, buf, got};
    rc = vbx__newc_add(w, &e);
  }
  if (rc != 0)
    snprintf(msg, cap, "copying " LDCACHE ": %s",
             rc == VBX_E_TOOBIG  ? "not a regular file of at most 4 MiB"
             : rc == VBX_E_NOMEM ? "out of memory"
                                 : strerror(errno));
  free(buf);
  return rc;
}

int gs_vm_userland_etc(struct vbx__newc *w, const gs_vm_mounts *m, char *msg, size_t cap) {
  if (m == NULL || !m->host_userland) return 0;
  int rc = add_alternatives(w, msg, cap);
  return rc == 0 ? add_ldcache(w, msg, cap) : rc;
}

int gs_vm_userland_links(struct vbx__newc *w, const gs_vm_mounts *m) {
  int rc = 0;
  for (unsigned i = 0; m != NULL && rc == 0 && i < m->n_link; i++) {
    const gs_vm_link *l = &m->link[i];
    const vbx__newc_entry e = {l->name, S_IFLNK | 0777, 0, 0, 0, 0, l->target, strlen(l->target)};
    rc = vbx__newc_add(w, &e);
  }
  return rc;
}
