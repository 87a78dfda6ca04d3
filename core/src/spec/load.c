/*
 * spec/load.c - vbx_pipeline_load_file and vbx__spec_load_buffer: read the
 * file (bounded), pick the format, validate JSON with jansson, parse to a
 * node tree, build the model.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/spec.h"
#include "util/error.h"

/* Directory part of path: "." when there is none. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL) return strdup(".");
  if (slash == path) return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

/* jansson points at the end of the token it complains about; when its
 * message quotes the token ("near '...'") and the text at that offset
 * matches, move line/column to the token's first character (columns count
 * characters, as libyaml's do). */
static void token_start(const char *text, const json_error_t *jerr, int *line, int *col) {
  *line = jerr->line > 0 ? jerr->line : 0;
  *col = jerr->column > 0 ? jerr->column : 0;
  const char *near = strstr(jerr->text, "near '");
  size_t tl = near ? strlen(near + 6) : 0;
  size_t pos = jerr->position > 0 ? (size_t)jerr->position : 0;
  if (near == NULL || tl < 2 || near[6 + tl - 1] != '\'' || tl - 1 > pos) return;
  tl--; /* the token, without the closing quote */
  size_t start = pos - tl;
  if (memcmp(text + start, near + 6, tl) != 0) return;
  int l = 1, c = 1;
  for (size_t i = 0; i < start; i++) {
    if (text[i] == '\n') {
      l++;
      c = 1;
    } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
      c++;
    }
  }
  *line = l;
  *col = c;
}

/* Validate JSON text with jansson. Duplicate keys are left to the YAML
 * reader, which names where the key was first defined. */
static int json_check(const char *text, size_t len, const char *file, vbx_error *err) {
  json_error_t jerr;
  json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (j != NULL) {
    json_decref(j);
    return 0;
  }
  enum json_error_code code = json_error_code(&jerr);
  if (code == json_error_out_of_memory)
    return vbx__error_set(err, VBX_E_NOMEM, "%s: out of memory", file);
  int line, col;
  token_start(text, &jerr, &line, &col);
  if (code == json_error_duplicate_key) {
    vbx__node *root = NULL;
    int rc = vbx__yaml_parse(text, len, file, 1, &root, err);
    vbx__node_free(root);
    if (rc != 0) return rc;
  }
  return vbx__error_at(err, VBX_E_SPEC, file, line, col, "%s%s",
                       code == json_error_duplicate_key ? "" : "JSON syntax error: ", jerr.text);
}

int vbx__spec_load_buffer(const char *text, size_t len, const char *display_name, int is_json,
                          vbx_pipeline **out, vbx_error *err) {
  *out = NULL;
  const char *file = display_name ? display_name : "<spec>";
  if (text == NULL && len != 0) return vbx__error_set(err, VBX_E_INVAL, "%s: no text", file);
  if (len > VBX__SPEC_MAX_BYTES)
    return vbx__error_at(err, VBX_E_SPEC, file, 0, 0, "file is too large (%zu bytes; limit %u)",
                         len, (unsigned)VBX__SPEC_MAX_BYTES);
  if (is_json) {
    int rc = json_check(text ? text : "", len, file, err);
    if (rc != 0) return rc;
  }
  vbx__node *root = NULL;
  int rc = vbx__yaml_parse(text ? text : "", len, file, is_json, &root, err);
  if (rc != 0) return rc;
  vbx_pipeline *p = vbx__pipeline_alloc("");
  if (p == NULL || (p->spec_path = strdup(file)) == NULL) {
    rc = vbx__error_set(err, VBX_E_NOMEM, "%s: out of memory", file);
    goto out;
  }
  free(p->spec_dir);
  if ((p->spec_dir = dir_of(file)) == NULL) {
    rc = vbx__error_set(err, VBX_E_NOMEM, "%s: out of memory", file);
    goto out;
  }
  vbx__spec_ctx c = {p->spec_path, p->spec_dir, err};
  rc = vbx__spec_build(&c, root, p);
out:
  vbx__node_free(root);
  if (rc != 0) {
    vbx_pipeline_free(p);
    return rc;
  }
  *out = p;
  return 0;
}

/* 1 for JSON by extension, else by the first non-blank character. */
static int looks_json(const char *path, const char *text, size_t len) {
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (dot != NULL && (slash == NULL || dot > slash)) {
    if (strcmp(dot, ".json") == 0) return 1;
    if (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0) return 0;
  }
  size_t i = 0;
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) i = 3;
  while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
    i++;
  return i < len && text[i] == '{';
}

/* Read at most VBX__SPEC_MAX_BYTES of a regular file into *buf. */
static int read_file(const char *path, char **buf, size_t *len, vbx_error *err) {
  *buf = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return vbx__error_set(err, errno == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO, "%s: cannot open: %s",
                          path, strerror(errno));
  int rc = 0;
  struct stat st;
  char *b = NULL;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    rc = vbx__error_set(err, VBX_E_IO, "%s: not a regular file", path);
    goto out;
  }
  if ((uint64_t)st.st_size > VBX__SPEC_MAX_BYTES) {
    rc = vbx__error_at(err, VBX_E_SPEC, path, 0, 0, "file is too large (%lld bytes; limit %u)",
                       (long long)st.st_size, (unsigned)VBX__SPEC_MAX_BYTES);
    goto out;
  }
  /* One byte more than the bound tells a file that grew since fstat. */
  size_t cap = (size_t)st.st_size + 1, n = 0;
  if ((b = malloc(cap + 1)) == NULL) {
    rc = vbx__error_set(err, VBX_E_NOMEM, "%s: out of memory", path);
    goto out;
  }
  for (;;) {
    ssize_t r = read(fd, b + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      rc = vbx__error_set(err, VBX_E_IO, "%s: read failed: %s", path, strerror(errno));
      goto out;
    }
    if (r == 0) break;
    n += (size_t)r;
    if (n == cap) {
      rc = vbx__error_set(err, VBX_E_IO, "%s: file changed while being read", path);
      goto out;
    }
  }
  b[n] = '\0';
  *buf = b;
  *len = n;
  b = NULL;
out:
  free(b);
  close(fd);
  return rc;
}

VBX_API int vbx_pipeline_load_file(const char *path, vbx_pipeline **out, vbx_error *err) {
  if (out != NULL) *out = NULL;
  if (path == NULL || out == NULL)
    return vbx__error_set(err, VBX_E_INVAL, "vbx_pipeline_load_file: path or out is NULL");
  char *text;
  size_t len;
  int rc = read_file(path, &text, &len, err);
  if (rc != 0) return rc;
  rc = vbx__spec_load_buffer(text, len, path, looks_json(path, text, len), out, err);
  free(text);
  return rc;
}
