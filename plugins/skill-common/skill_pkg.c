/*
 * skill-common/skill_pkg.c - reading a skill directory into memory with
 * bounds (openat with O_NOFOLLOW all the way down, so nothing outside it is
 * read), and installing it into a sandbox.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "skill_pkg.h"

#define REL_MAX 1024

/* The walk of one package directory. */
typedef struct walk {
  skill_pkg *p;
  const char *dir; /* host path of the package directory, for messages */
  size_t cap;      /* allocated entries of p->res */
  char *msg;
  size_t msg_len;
} walk;

static int nomem(walk *w) {
  snprintf(w->msg, w->msg_len, "out of memory");
  return VBX_E_NOMEM;
}

/* Read the regular file `fd` (st from fstat) into a new resource `rel`. */
static int add_file(walk *w, int fd, const struct stat *st, const char *rel) {
  skill_pkg *p = w->p;
  if (p->n_res + 1 >= SKILL_PKG_MAX_FILES) {
    snprintf(w->msg, w->msg_len, "%s: a skill has at most %u files; %s is one too many", w->dir,
             SKILL_PKG_MAX_FILES, rel);
    return VBX_E_TOOBIG;
  }
  if ((unsigned long long)st->st_size > SKILL_PKG_MAX_BYTES - p->bytes) {
    snprintf(w->msg, w->msg_len, "%s: the skill's files exceed %u bytes in all (at %s, %lld bytes)",
             w->dir, SKILL_PKG_MAX_BYTES, rel, (long long)st->st_size);
    return VBX_E_TOOBIG;
  }
  if (p->n_res == w->cap) {
    size_t nc = w->cap ? w->cap * 2 : 16;
    skill_res *n = realloc(p->res, nc * sizeof *n);
    if (n == NULL) return nomem(w);
    p->res = n;
    w->cap = nc;
  }
  skill_res *r = &p->res[p->n_res];
  memset(r, 0, sizeof *r);
  size_t len = (size_t)st->st_size, got = 0;
  r->rel = strdup(rel);
  r->data = malloc(len ? len : 1);
  if (r->rel == NULL || r->data == NULL) {
    free(r->rel);
    free(r->data);
    return nomem(w);
  }
  while (got < len) {
    ssize_t n = read(fd, r->data + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
  }
  if (got != len) {
    free(r->rel);
    free(r->data);
    snprintf(w->msg, w->msg_len, "%s/%s: read failed (the file changed while being read?)", w->dir,
             rel);
    return VBX_E_IO;
  }
  r->len = len;
  r->mode = (st->st_mode & S_IXUSR) ? 0755 : 0644;
  p->n_res++;
  p->bytes += len;
  return 0;
}

static int walk_dir(walk *w, int dfd, const char *prefix, int depth);

/* One directory entry `name` of dfd; rel is its path in the package. */
static int walk_entry(walk *w, int dfd, const char *name, const char *rel, int depth) {
  int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    snprintf(w->msg, w->msg_len, "%s/%s: %s", w->dir, rel,
             e == ELOOP ? "a symbolic link; a skill's files must be regular files in its directory"
                        : strerror(e));
    return e == ELOOP ? VBX_E_PERM : VBX_E_IO;
  }
  struct stat st;
  int rc = 0;
  if (fstat(fd, &st) != 0) {
    snprintf(w->msg, w->msg_len, "%s/%s: %s", w->dir, rel, strerror(errno));
    rc = VBX_E_IO;
  } else if (S_ISDIR(st.st_mode)) {
    if (depth >= SKILL_PKG_MAX_DEPTH) {
      snprintf(w->msg, w->msg_len, "%s/%s: directories nest over %d deep", w->dir, rel,
               SKILL_PKG_MAX_DEPTH);
      rc = VBX_E_TOOBIG;
    } else {
      rc = walk_dir(w, fd, rel, depth + 1);
      fd = -1; /* walk_dir took it */
    }
  } else if (S_ISREG(st.st_mode)) {
    rc = add_file(w, fd, &st, rel);
  } else {
    snprintf(w->msg, w->msg_len, "%s/%s: not a regular file or directory", w->dir, rel);
    rc = VBX_E_PERM;
  }
  if (fd >= 0) close(fd);
  return rc;
}

/* Walk the directory open at dfd (taken over). Entries are visited in name
 * order so a package reads the same on every machine. */
static int walk_dir(walk *w, int dfd, const char *prefix, int depth) {
  struct dirent **names = NULL;
  DIR *d = fdopendir(dfd);
  if (d == NULL) {
    close(dfd);
    snprintf(w->msg, w->msg_len, "%s: %s", w->dir, strerror(errno));
    return VBX_E_IO;
  }
  int rc = 0;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue; /* ., .., .git, .DS_Store */
    if (depth == 0 && strcmp(e->d_name, "SKILL.md") == 0) continue;
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 32;
      if (nc > SKILL_PKG_MAX_FILES * 2) nc = SKILL_PKG_MAX_FILES * 2;
      if (n == nc) {
        snprintf(w->msg, w->msg_len, "%s/%s: too many entries", w->dir, prefix);
        rc = VBX_E_TOOBIG;
        goto out;
      }
      struct dirent **nn = realloc(names, nc * sizeof *nn);
      if (nn == NULL) {
        rc = nomem(w);
        goto out;
      }
      names = nn, cap = nc;
    }
    names[n] = malloc(sizeof **names);
    if (names[n] == NULL) {
      rc = nomem(w);
      goto out;
    }
    memcpy(names[n++], e, sizeof *e);
  }
  for (size_t i = 1; i < n; i++) /* insertion sort: n is small */
    for (size_t j = i; j > 0 && strcmp(names[j - 1]->d_name, names[j]->d_name) > 0; j--) {
      struct dirent *t = names[j];
      names[j] = names[j - 1], names[j - 1] = t;
    }
  for (size_t i = 0; i < n && rc == 0; i++) {
    char rel[REL_MAX];
    int k = prefix[0] ? snprintf(rel, sizeof rel, "%s/%s", prefix, names[i]->d_name)
                      : snprintf(rel, sizeof rel, "%s", names[i]->d_name);
    if (k < 0 || (size_t)k >= sizeof rel) {
      snprintf(w->msg, w->msg_len, "%s: a path in the skill is over %d bytes", w->dir, REL_MAX);
      rc = VBX_E_TOOBIG;
      break;
    }
    rc = walk_entry(w, dirfd(d), names[i]->d_name, rel, depth);
  }
out:
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  closedir(d);
  return rc;
}

/* The package directory for `path` (a directory, or a file named
 * SKILL.md): *dir malloc'd, *whole set for a directory. The path the user
 * wrote may go through symbolic links; inside the package none is followed. */
static int locate(const char *path, char **dir, int *whole, char *msg, size_t msg_len) {
  struct stat st;
  if (stat(path, &st) != 0) {
    int e = errno;
    snprintf(msg, msg_len, "%s: %s", path, strerror(e));
    return e == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO;
  }
  *whole = S_ISDIR(st.st_mode);
  if (*whole) {
    *dir = strdup(path);
  } else {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strcmp(base, "SKILL.md") != 0) {
      snprintf(msg, msg_len,
               "%s: a skill is a directory holding SKILL.md, or that SKILL.md itself (this "
               "file is named '%s')",
               path, base);
      return VBX_E_INVAL;
    }
    *dir = base == path ? strdup(".") : strndup(path, (size_t)(base - 1 - path));
    if (*dir != NULL && (*dir)[0] == '\0') {
      free(*dir);
      *dir = strdup("/");
    }
  }
  if (*dir == NULL) {
    snprintf(msg, msg_len, "out of memory");
    return VBX_E_NOMEM;
  }
  size_t n = strlen(*dir); /* "skills/x/" -> "skills/x" */
  while (n > 1 && (*dir)[n - 1] == '/')
    (*dir)[--n] = '\0';
  return 0;
}

/* The last component of a directory path; for "." or "/" the real name. */
static int dir_name(const char *dir, char *out, size_t cap) {
  char real[4096];
  const char *d = dir;
  const char *base = strrchr(d, '/');
  base = base ? base + 1 : d;
  if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || base[0] == '\0') {
    if (realpath(dir, real) == NULL) return -1;
    base = strrchr(real, '/');
    base = base ? base + 1 : real;
  }
  size_t n = strlen(base);
  if (n >= cap) n = cap - 1; /* longer than any valid name: it will not match */
  memcpy(out, base, n);
  out[n] = '\0';
  return 0;
}

int skill_pkg_load(const char *spec_dir, const char *value, skill_pkg *out, char *msg,
                   size_t msg_len) {
  memset(out, 0, sizeof *out);
  if (value == NULL || value[0] == '\0' || strlen(value) > 4096) {
    snprintf(msg, msg_len, "a SKILL.md skill needs a path: a skill directory or its SKILL.md");
    return VBX_E_INVAL;
  }
  char *path = NULL, *dir = NULL, *md_path = NULL;
  int rc = 0, whole = 0;
  if (value[0] == '/' || spec_dir == NULL || spec_dir[0] == '\0')
    path = strdup(value);
  else if (asprintf(&path, "%s/%s", spec_dir, value) < 0)
    path = NULL;
  if (path == NULL) {
    snprintf(msg, msg_len, "out of memory");
    return VBX_E_NOMEM;
  }
  rc = locate(path, &dir, &whole, msg, msg_len);
  if (rc != 0) goto out;
  if (asprintf(&md_path, "%s/SKILL.md", dir) < 0) {
    md_path = NULL;
    snprintf(msg, msg_len, "out of memory");
    rc = VBX_E_NOMEM;
    goto out;
  }
  rc = skill_md_load_file(md_path, &out->md, msg, msg_len);
  if (rc != 0) goto out;
  char name[256];
  if (dir_name(dir, name, sizeof name) != 0) {
    snprintf(msg, msg_len, "%s: %s", dir, strerror(errno));
    rc = VBX_E_IO;
    goto out;
  }
  rc = skill_md_check_dir(&out->md, name, msg, msg_len);
  if (rc != 0) goto out;
  out->bytes = out->md.len;
  if (!whole) goto out; /* a lone SKILL.md */
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    snprintf(msg, msg_len, "%s: %s", dir, strerror(errno));
    rc = VBX_E_IO;
    goto out;
  }
  walk w = {.p = out, .dir = dir, .msg = msg, .msg_len = msg_len};
  rc = walk_dir(&w, dfd, "", 0);
out:
  if (rc != 0) skill_pkg_clear(out);
  free(path);
  free(dir);
  free(md_path);
  return rc;
}

int skill_pkg_provision(const skill_pkg *p, const vbx_host_services *h,
                        const vbx_sandbox_ref *sandbox, const char *root, vbx_call *call) {
  char path[4096];
  if (sandbox == NULL || sandbox->file_write == NULL)
    return h->set_error(call, VBX_E_UNSUPPORTED, NULL, "skill '%s': the sandbox cannot write files",
                        p->md.name);
  snprintf(path, sizeof path, "%s/%s/SKILL.md", root, p->md.name);
  int rc = sandbox->file_write(sandbox->handle, path, p->md.content, p->md.len, 0644, call);
  for (size_t i = 0; rc == 0 && i < p->n_res; i++) {
    const skill_res *r = &p->res[i];
    snprintf(path, sizeof path, "%s/%s/%s", root, p->md.name, r->rel);
    rc = sandbox->file_write(sandbox->handle, path, r->data, r->len, r->mode, call);
  }
  return rc; /* the sandbox set the message */
}

int skill_pkg_install(const skill_pkg *p, const vbx_host_services *h,
                      const vbx_sandbox_ref *sandbox, vbx_skill_contrib *out, vbx_call *call) {
  int rc = skill_pkg_provision(p, h, sandbox, SKILL_PKG_GUEST_ROOT, call);
  if (rc != 0) return rc; /* the message is set */
  out->name = h->strdup(p->md.name);
  out->system_prompt = skill_pkg_prompt(p, h, SKILL_PKG_GUEST_ROOT);
  out->tools = NULL;
  if (out->name == NULL || out->system_prompt == NULL) {
    h->free(out->name);
    h->free(out->system_prompt);
    out->name = out->system_prompt = NULL;
    return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  }
  return 0;
}

char *skill_pkg_prompt(const skill_pkg *p, const vbx_host_services *h, const char *root) {
  static const char fmt[] =
      "## Skill: %s\n%s\nIts full instructions are in %s/%s/SKILL.md%s: read that file "
      "before you use this skill.";
  const char *res = p->n_res ? " (its other files are beside it)" : "";
  int n = snprintf(NULL, 0, fmt, p->md.name, p->md.description, root, p->md.name, res);
  char *s = n >= 0 ? h->alloc((size_t)n + 1) : NULL;
  if (s != NULL)
    snprintf(s, (size_t)n + 1, fmt, p->md.name, p->md.description, root, p->md.name, res);
  return s;
}

void skill_pkg_clear(skill_pkg *p) {
  skill_md_clear(&p->md);
  for (size_t i = 0; i < p->n_res; i++) {
    free(p->res[i].rel);
    free(p->res[i].data);
  }
  free(p->res);
  memset(p, 0, sizeof *p);
}
