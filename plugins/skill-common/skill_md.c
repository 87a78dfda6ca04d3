/*
 * skill-common/skill_md.c - reading a SKILL.md with a size bound and
 * checking its YAML front matter (libyaml) against the Agent Skills format.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "skill_md.h"
#include "voidbox/errors.h"

int skill_md_valid_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > SKILL_NAME_MAX || s[0] == '-' || s[n - 1] == '-') return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return 0;
    if (c == '-' && s[i + 1] == '-') return 0;
  }
  return 1;
}

/* Characters (UTF-8 code points) in s: every byte that does not continue a
 * sequence. */
static size_t count_chars(const char *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) c++;
  return c;
}

/* The parse of one front matter block. */
typedef struct fm {
  skill_md *md;
  yaml_document_t *doc;
  int line0; /* file line of the block's first line */
  char *msg;
  size_t msg_len;
} fm;

/* Report at node n: "PATH:LINE:COL: front matter `KEY` ...". */
static int fm_fail(const fm *f, const yaml_node_t *n, const char *key, const char *what) {
  snprintf(f->msg, f->msg_len, "%s:%d:%d: front matter `%s` %s", f->md->path,
           (int)n->start_mark.line + f->line0, (int)n->start_mark.column + 1, key, what);
  return VBX_E_SPEC;
}

static int fm_nomem(const fm *f) {
  snprintf(f->msg, f->msg_len, "out of memory");
  return VBX_E_NOMEM;
}

/* A scalar that is a string: plain scalars YAML would read as a number or a
 * boolean are still text here, as the format's fields are all strings. */
static int fm_string(const fm *f, const yaml_node_t *v, const char *key, size_t min, size_t max,
                     char **out) {
  char what[96];
  if (v->type != YAML_SCALAR_NODE) return fm_fail(f, v, key, "must be a string");
  size_t len = v->data.scalar.length;
  size_t chars = count_chars((const char *)v->data.scalar.value, len);
  if (chars < min || chars > max) {
    if (min > 0)
      snprintf(what, sizeof what, "must be %zu..%zu characters (it has %zu)", min, max, chars);
    else
      snprintf(what, sizeof what, "must be at most %zu characters (it has %zu)", max, chars);
    return fm_fail(f, v, key, what);
  }
  if (out == NULL) return 0;
  free(*out);
  *out = strndup((const char *)v->data.scalar.value, len);
  return *out ? 0 : fm_nomem(f);
}

/* metadata: a map of string keys to string values. */
static int fm_metadata(const fm *f, const yaml_node_t *v) {
  if (v->type != YAML_MAPPING_NODE)
    return fm_fail(f, v, "metadata", "must be a map of string keys to string values");
  for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(f->doc, p->key);
    yaml_node_t *val = yaml_document_get_node(f->doc, p->value);
    if (k == NULL || val == NULL || k->type != YAML_SCALAR_NODE || val->type != YAML_SCALAR_NODE)
      return fm_fail(f, val ? val : v, "metadata", "must map string keys to string values");
  }
  return 0;
}

static int fm_key(const fm *f, const char *key, const yaml_node_t *v) {
  skill_md *md = f->md;
  if (strcmp(key, "name") == 0) {
    int rc = fm_string(f, v, key, 1, SKILL_NAME_MAX, &md->name);
    if (rc != 0) return rc;
    md->name_line = (int)v->start_mark.line + f->line0;
    md->name_col = (int)v->start_mark.column + 1;
    if (!skill_md_valid_name(md->name)) {
      char what[160];
      snprintf(what, sizeof what,
               "'%.64s' must be lowercase letters, digits and '-' (not at either end, "
               "never two in a row)",
               md->name);
      return fm_fail(f, v, key, what);
    }
    return 0;
  }
  if (strcmp(key, "description") == 0)
    return fm_string(f, v, key, 1, SKILL_DESCRIPTION_MAX, &md->description);
  if (strcmp(key, "compatibility") == 0)
    return fm_string(f, v, key, 1, SKILL_COMPATIBILITY_MAX, NULL);
  if (strcmp(key, "license") == 0 || strcmp(key, "allowed-tools") == 0)
    return fm_string(f, v, key, 0, 4096, NULL);
  if (strcmp(key, "metadata") == 0) return fm_metadata(f, v);
  return 0; /* another key: kept in the file, not ours to judge */
}

/* Parse front matter text (a YAML map). line0: file line of its first line
 * (the opening `---` is the line before). */
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
  fm f = {.md = s, .doc = &doc, .line0 = line0, .msg = msg, .msg_len = msg_len};
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  if (root == NULL || root->type != YAML_MAPPING_NODE) {
    snprintf(msg, msg_len, "%s:%d:1: front matter must be a map with `name` and `description`",
             s->path, root ? (int)root->start_mark.line + line0 : line0);
    rc = VBX_E_SPEC;
    goto out;
  }
  for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
       rc == 0 && p < root->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(&doc, p->key);
    yaml_node_t *v = yaml_document_get_node(&doc, p->value);
    if (k == NULL || v == NULL) continue;
    if (k->type != YAML_SCALAR_NODE) {
      snprintf(msg, msg_len, "%s:%d:%d: front matter keys must be strings", s->path,
               (int)k->start_mark.line + line0, (int)k->start_mark.column + 1);
      rc = VBX_E_SPEC;
      break;
    }
    rc = fm_key(&f, (const char *)k->data.scalar.value, v);
  }
  if (rc == 0 && (s->name == NULL || s->description == NULL)) {
    snprintf(msg, msg_len,
             "%s:%d:1: front matter has no `%s` (the Agent Skills format requires it)", s->path,
             line0 - 1, s->name == NULL ? "name" : "description");
    rc = VBX_E_SPEC;
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

int skill_md_parse(const char *path, char *content, size_t len, skill_md *out, char *msg,
                   size_t msg_len) {
  int rc = 0;
  memset(out, 0, sizeof *out);
  out->content = content;
  out->len = len;
  out->path = strdup(path);
  if (out->path == NULL) {
    snprintf(msg, msg_len, "out of memory");
    rc = VBX_E_NOMEM;
    goto fail;
  }
  if (strlen(content) != len) {
    snprintf(msg, msg_len, "%s: a SKILL.md is text; this one contains a NUL byte", path);
    rc = VBX_E_INVAL;
    goto fail;
  }
  const char *p = content;
  if (len >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
      (unsigned char)p[2] == 0xBF)
    p += 3; /* a UTF-8 byte order mark */
  size_t first = line_len(p);
  if (first == 0 || !is_fence(p, first)) {
    snprintf(msg, msg_len,
             "%s:1:1: a SKILL.md starts with front matter: a `---` line, `name:` and "
             "`description:`, then `---`",
             path);
    rc = VBX_E_SPEC;
    goto fail;
  }
  const char *q = p + first;
  size_t ll;
  while ((ll = line_len(q)) > 0 && !is_fence(q, ll))
    q += ll;
  if (ll == 0) {
    snprintf(msg, msg_len, "%s:1:1: front matter starts with --- but never ends", path);
    rc = VBX_E_SPEC;
    goto fail;
  }
  rc = parse_front(out, p + first, (size_t)(q - (p + first)), 2, msg, msg_len);
  if (rc != 0) goto fail;
  out->body = q + ll;
  while (*out->body == '\n' || *out->body == '\r')
    out->body++;
  return 0;
fail:
  skill_md_clear(out); /* frees content too */
  return rc;
}

int skill_md_load_file(const char *path, skill_md *out, char *msg, size_t msg_len) {
  memset(out, 0, sizeof *out);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    snprintf(msg, msg_len, "%s: cannot open skill file: %s", path,
             e == ELOOP ? "it is a symbolic link" : strerror(e));
    return e == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO;
  }
  struct stat st;
  char *buf = NULL;
  int rc = 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
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
  size_t len = (size_t)st.st_size, got = 0;
  buf = malloc(len + 1);
  if (buf == NULL) {
    snprintf(msg, msg_len, "out of memory");
    rc = VBX_E_NOMEM;
    goto out;
  }
  while (got < len) {
    ssize_t r = read(fd, buf + got, len - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  if (got != len) {
    snprintf(msg, msg_len, "%s: read failed (the file changed while being read?)", path);
    rc = VBX_E_IO;
    goto out;
  }
  buf[len] = '\0';
  close(fd);
  return skill_md_parse(path, buf, len, out, msg, msg_len);
out:
  free(buf);
  close(fd);
  return rc;
}

int skill_md_check_dir(const skill_md *md, const char *dir_name, char *msg, size_t msg_len) {
  if (strcmp(md->name, dir_name) == 0) return 0;
  snprintf(msg, msg_len,
           "%s:%d:%d: front matter `name` '%s' must equal the skill's directory name '%.64s'",
           md->path, md->name_line, md->name_col, md->name, dir_name);
  return VBX_E_SPEC;
}

void skill_md_clear(skill_md *s) {
  free(s->path);
  free(s->content);
  free(s->name);
  free(s->description);
  memset(s, 0, sizeof *s);
}
