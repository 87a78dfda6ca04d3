/*
 * sandbox-mock/memfs.c - the in-memory file system of one mock sandbox: a
 * flat list of files keyed by normalised absolute path; directories exist
 * implicitly as prefixes of file paths. Total size is bounded.
 */
#include <stdlib.h>
#include <string.h>

#include "mock.h"

#define MOCK_PATH_MAX 4096

char *mock_path_norm(const char *cwd, const char *path) {
  if (path == NULL) return NULL;
  if (cwd == NULL || cwd[0] != '/') cwd = "/workspace";
  size_t n = strlen(cwd) + strlen(path) + 2;
  if (n > MOCK_PATH_MAX) return NULL;
  char *in = malloc(n), *out = malloc(n);
  if (in == NULL || out == NULL) {
    free(in);
    free(out);
    return NULL;
  }
  if (path[0] == '/')
    strcpy(in, path);
  else {
    strcpy(in, cwd);
    strcat(in, "/");
    strcat(in, path);
  }
  size_t o = 0;
  const char *p = in;
  while (*p != '\0') {
    while (*p == '/')
      p++;
    const char *seg = p;
    while (*p != '\0' && *p != '/')
      p++;
    size_t len = (size_t)(p - seg);
    if (len == 0 || (len == 1 && seg[0] == '.')) continue;
    if (len == 2 && seg[0] == '.' && seg[1] == '.') {
      while (o > 0 && out[o - 1] != '/')
        o--;
      if (o > 0) o--; /* drop the slash too */
      continue;
    }
    out[o++] = '/';
    memcpy(out + o, seg, len);
    o += len;
  }
  if (o == 0) out[o++] = '/';
  out[o] = '\0';
  free(in);
  return out;
}

mock_file *mock_fs_find(mock_fs *fs, const char *norm) {
  for (size_t i = 0; i < fs->n; i++)
    if (strcmp(fs->files[i].path, norm) == 0) return &fs->files[i];
  return NULL;
}

int mock_fs_write(mock_fs *fs, const char *norm, const char *data, size_t len, uint32_t mode,
                  int append) {
  mock_file *f = mock_fs_find(fs, norm);
  size_t old = f != NULL ? f->len : 0;
  size_t keep = (f != NULL && append) ? old : 0;
  if (len > MOCK_FS_LIMIT || keep + len > MOCK_FS_LIMIT ||
      fs->total - old + keep + len > MOCK_FS_LIMIT)
    return VBX_E_LIMIT;
  if (mock_fs_is_dir(fs, norm) && f == NULL) return VBX_E_INVAL;
  char *buf = malloc(keep + len + 1);
  if (buf == NULL) return VBX_E_NOMEM;
  if (keep > 0) memcpy(buf, f->data, keep);
  if (len > 0) memcpy(buf + keep, data, len);
  buf[keep + len] = '\0';
  if (f == NULL) {
    if (fs->n >= MOCK_FS_MAX_FILES) {
      free(buf);
      return VBX_E_LIMIT;
    }
    if (fs->n == fs->cap) {
      size_t cap = fs->cap ? fs->cap * 2 : 8;
      mock_file *nf = realloc(fs->files, cap * sizeof *nf);
      if (nf == NULL) {
        free(buf);
        return VBX_E_NOMEM;
      }
      fs->files = nf;
      fs->cap = cap;
    }
    char *p = strdup(norm);
    if (p == NULL) {
      free(buf);
      return VBX_E_NOMEM;
    }
    f = &fs->files[fs->n++];
    f->path = p;
    f->data = NULL;
    f->len = 0;
  }
  fs->total = fs->total - old + keep + len;
  free(f->data);
  f->data = buf;
  f->len = keep + len;
  f->mode = mode;
  return 0;
}

/* Whether file path `p` lies below directory `dir` (both normalised). */
static const char *below(const char *p, const char *dir) {
  if (strcmp(dir, "/") == 0) return p + 1;
  size_t n = strlen(dir);
  if (strncmp(p, dir, n) == 0 && p[n] == '/') return p + n + 1;
  return NULL;
}

int mock_fs_is_dir(const mock_fs *fs, const char *norm) {
  if (strcmp(norm, "/") == 0) return 1;
  for (size_t i = 0; i < fs->n; i++)
    if (below(fs->files[i].path, norm) != NULL) return 1;
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void mock_fs_list(const mock_fs *fs, const char *norm, vbx__strbuf *buf) {
  if (fs->n == 0) return;
  char **names = calloc(fs->n, sizeof *names);
  size_t k = 0;
  if (names == NULL) {
    buf->failed = 1;
    return;
  }
  for (size_t i = 0; i < fs->n; i++) {
    const char *rest = below(fs->files[i].path, norm);
    if (rest == NULL) continue;
    size_t len = strcspn(rest, "/");
    char *nm = strndup(rest, len);
    if (nm == NULL) {
      buf->failed = 1;
      break;
    }
    names[k++] = nm;
  }
  qsort(names, k, sizeof *names, cmp_str);
  for (size_t i = 0; i < k; i++) {
    if (i == 0 || strcmp(names[i], names[i - 1]) != 0) {
      vbx__strbuf_puts(buf, names[i]);
      vbx__strbuf_puts(buf, "\n");
    }
  }
  for (size_t i = 0; i < k; i++)
    free(names[i]);
  free(names);
}

void mock_fs_free(mock_fs *fs) {
  for (size_t i = 0; i < fs->n; i++) {
    free(fs->files[i].path);
    free(fs->files[i].data);
  }
  free(fs->files);
  memset(fs, 0, sizeof *fs);
}
