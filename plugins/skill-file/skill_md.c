/*
 * skill-file/skill_md.c - loading a SKILL.md with a size bound and reading
 * its YAML front matter with libyaml.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "voidbox/errors.h"
#include "skill_md.h"

static int valid_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > SKILL_NAME_MAX || s[0] == '.') return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return 0;
  }
  return 1;
}

/* Name from the path: the parent directory for ".../NAME/SKILL.md", else
 * the file name without its extension. */
static char *name_from_path(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  if (strcasecmp(base, "SKILL.md") == 0 && base > path) {
    const char *end = base - 1; /* the slash */
    const char *start = end;
    while (start > path && start[-1] != '/')
      start--;
    if (end > start) return strndup(start, (size_t)(end - start));
  }
  const char *dot = strrchr(base, '.');
  return strndup(base, dot && dot > base ? (size_t)(dot - base) : strlen(base));
}

static int read_file(const char *path, skill_md *out, char *msg, size_t msg_len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    int e = errno;
    snprintf(msg, msg_len, "%s: cannot open skill file: %s", path, strerror(e));
    return e == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO;
  }
  int rc = 0;
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(msg, msg_len, "%s: not a regular file", path);
    rc = VBX_E_IO;
    goto out;
  }
  if ((unsigned long long)st.st_size > SKILL_MD_MAX_BYTES) {
    snprintf(msg, msg_len, "%s: skill file is %lld bytes, over the %u-byte limit", path,
             (long long)st.st_size, SKILL_MD_MAX_BYTES);
    rc = VBX_E_TOOBIG;
    goto out;
  }
  out->len = (size_t)st.st_size;
  out->content = malloc(out->len + 1);
  if (out->content == NULL) {
    snprintf(msg, msg_len, "out of memory");
    rc = VBX_E_NOMEM;
    goto out;
  }
  if (fread(out->content, 1, out->len, f) != out->len) {
    snprintf(msg, msg_len, "%s: read failed", path);
    rc = VBX_E_IO;
    goto out;
  }
  out->content[out->len] = '\0';
  if (strlen(out->content) != out->len) {
    snprintf(msg, msg_len, "%s: skill file contains a NUL byte", path);
    rc = VBX_E_INVAL;
  }
out:
  fclose(f);
  return rc;
}

/* Parse front matter text (YAML map). line0: file line of its first line. */
static int parse_front(skill_md *s, const char *text, size_t len, int line0, char *msg,
                       size_t msg_len) {
  yaml_parser_t parser;
  yaml_document_t doc;
  int rc = 0;
  if (!yaml_parser_initialize(&parser)) {
    snprintf(msg, msg_len, "out of memory");
    return VBX_E_NOMEM;
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  if (!yaml_parser_load(&parser, &doc)) {
    snprintf(msg, msg_len, "%s:%d:%d: front matter: %s", s->path,
             (int)parser.problem_mark.line + line0, (int)parser.problem_mark.column + 1,
             parser.problem ? parser.problem : "syntax error");
    yaml_parser_delete(&parser);
    return VBX_E_SPEC;
  }
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (root == NULL) goto out; /* empty front matter */
  if (root->type != YAML_MAPPING_NODE) {
    snprintf(msg, msg_len, "%s:%d:%d: front matter must be a map", s->path,
             (int)root->start_mark.line + line0, (int)root->start_mark.column + 1);
    rc = VBX_E_SPEC;
    goto out;
  }
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
       p++) {
    yaml_node_t *k = yaml_document_get_node(&doc, p->key);
    yaml_node_t *v = yaml_document_get_node(&doc, p->value);
    if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE) continue;
    const char *key = (const char *)k->data.scalar.value;
    char **dst = strcmp(key, "name") == 0          ? &s->name
                 : strcmp(key, "description") == 0 ? &s->description
                                                   : NULL;
    if (dst == NULL) continue; /* other SKILL.md keys (license, allowed-tools, ...) are not ours */
    if (v->type != YAML_SCALAR_NODE) {
      snprintf(msg, msg_len, "%s:%d:%d: front matter `%s` must be a string", s->path,
               (int)v->start_mark.line + line0, (int)v->start_mark.column + 1, key);
      rc = VBX_E_SPEC;
      goto out;
    }
    free(*dst);
    *dst = strndup((const char *)v->data.scalar.value, v->data.scalar.length);
    if (*dst == NULL) {
      snprintf(msg, msg_len, "out of memory");
      rc = VBX_E_NOMEM;
      goto out;
    }
    if (dst == &s->name && !valid_name(s->name)) {
      snprintf(msg, msg_len,
               "%s:%d:%d: skill name '%.64s' must be 1..%d characters of A-Z a-z 0-9 . _ -",
               s->path, (int)v->start_mark.line + line0, (int)v->start_mark.column + 1, s->name,
               SKILL_NAME_MAX);
      rc = VBX_E_SPEC;
      goto out;
    }
  }
out:
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  return rc;
}

/* Length of the line at p including its newline, 0 at the end. */
static size_t line_len(const char *p) {
  const char *nl = strchr(p, '\n');
  return nl ? (size_t)(nl - p) + 1 : strlen(p);
}

static int is_fence(const char *p, size_t n) {
  while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
    n--;
  return n == 3 && strncmp(p, "---", 3) == 0;
}

int skill_md_load(const char *spec_dir, const char *value, skill_md *out, char *msg,
                  size_t msg_len) {
  int rc = 0;
  memset(out, 0, sizeof *out);
  if (value == NULL || value[0] == '\0' || strlen(value) > 4096) {
    snprintf(msg, msg_len, "a file skill needs a path: file:PATH/SKILL.md");
    return VBX_E_INVAL;
  }
  size_t n = strlen(value) + (spec_dir ? strlen(spec_dir) : 0) + 2;
  out->path = malloc(n);
  if (out->path == NULL) {
    snprintf(msg, msg_len, "out of memory");
    return VBX_E_NOMEM;
  }
  if (value[0] == '/' || spec_dir == NULL || spec_dir[0] == '\0')
    snprintf(out->path, n, "%s", value);
  else
    snprintf(out->path, n, "%s/%s", spec_dir, value);
  rc = read_file(out->path, out, msg, msg_len);
  if (rc != 0) goto fail;
  const char *p = out->content;
  out->body = p;
  size_t first = line_len(p);
  if (first > 0 && is_fence(p, first)) {
    const char *q = p + first;
    size_t ll;
    while ((ll = line_len(q)) > 0 && !is_fence(q, ll))
      q += ll;
    if (ll == 0) {
      snprintf(msg, msg_len, "%s:1:1: front matter starts with --- but never ends", out->path);
      rc = VBX_E_SPEC;
      goto fail;
    }
    rc = parse_front(out, p + first, (size_t)(q - (p + first)), 2, msg, msg_len);
    if (rc != 0) goto fail;
    out->body = q + ll;
  }
  while (*out->body == '\n' || *out->body == '\r')
    out->body++;
  if (out->name == NULL) {
    out->name = name_from_path(out->path);
    if (out->name == NULL) {
      snprintf(msg, msg_len, "out of memory");
      rc = VBX_E_NOMEM;
      goto fail;
    }
    if (!valid_name(out->name)) {
      snprintf(msg, msg_len,
               "%s: skill name '%.64s' (from the path) must be 1..%d characters of A-Z a-z 0-9 "
               ". _ -; set `name:` in the front matter",
               out->path, out->name, SKILL_NAME_MAX);
      rc = VBX_E_SPEC;
      goto fail;
    }
  }
  return 0;
fail:
  skill_md_clear(out);
  return rc;
}

void skill_md_clear(skill_md *s) {
  free(s->path);
  free(s->content);
  free(s->name);
  free(s->description);
  memset(s, 0, sizeof *s);
}
