/*
 * llm-mock/node.c - the script document tree: loading a YAML or JSON file
 * with libyaml (JSON is read as YAML flow syntax, so both give line and
 * column), converting the host's JSON for inline turns, and scalar reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "llm_mock.h"

static void set_err(lm_err *err, int code, int line, int col, const char *msg) {
  err->code = code;
  err->line = line;
  err->col = col;
  size_t n = strlen(msg);
  if (n >= sizeof err->msg) n = sizeof err->msg - 1; /* messages are cut, never overflow */
  memcpy(err->msg, msg, n);
  err->msg[n] = '\0';
}

void lm_node_free(lm_node *n) {
  if (n == NULL) return;
  for (size_t i = 0; i < n->n; i++) {
    lm_node_free(n->kids[i]);
    if (n->keys != NULL) free(n->keys[i]);
  }
  free(n->kids);
  free(n->keys);
  free(n->key_pos);
  free(n->str);
  free(n);
}

static lm_node *node_new(lm_kind kind, int line, int col) {
  lm_node *n = calloc(1, sizeof *n);
  if (n != NULL) {
    n->kind = kind;
    n->line = line;
    n->col = col;
  }
  return n;
}

static int node_reserve(lm_node *n, size_t count, int with_keys) {
  if (count == 0) return 0;
  n->kids = calloc(count, sizeof *n->kids);
  if (n->kids == NULL) return -1;
  if (with_keys) {
    n->keys = calloc(count, sizeof *n->keys);
    n->key_pos = calloc(count * 2, sizeof *n->key_pos);
    if (n->keys == NULL || n->key_pos == NULL) return -1;
  }
  return 0;
}

typedef struct yconv {
  yaml_document_t *doc;
  size_t count;
  lm_err *err;
} yconv;

static lm_node *from_yaml(yconv *c, yaml_node_t *y, int depth) {
  int line = (int)y->start_mark.line + 1, col = (int)y->start_mark.column + 1;
  if (depth > LM_MAX_DEPTH || ++c->count > LM_MAX_NODES) {
    set_err(c->err, VBX_E_LIMIT, line, col, "document too deep or too large");
    return NULL;
  }
  lm_node *n = NULL;
  switch (y->type) {
  case YAML_SCALAR_NODE:
    n = node_new(LM_SCALAR, line, col);
    if (n == NULL) break;
    n->str = strndup((const char *)y->data.scalar.value, y->data.scalar.length);
    n->len = y->data.scalar.length;
    n->plain = y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (n->str == NULL) goto nomem;
    break;
  case YAML_SEQUENCE_NODE: {
    size_t cnt = (size_t)(y->data.sequence.items.top - y->data.sequence.items.start);
    n = node_new(LM_SEQ, line, col);
    if (n == NULL || node_reserve(n, cnt, 0) != 0) goto nomem;
    for (size_t i = 0; i < cnt; i++) {
      yaml_node_t *k = yaml_document_get_node(c->doc, y->data.sequence.items.start[i]);
      lm_node *kid = k ? from_yaml(c, k, depth + 1) : NULL;
      if (kid == NULL) {
        lm_node_free(n);
        return NULL;
      }
      n->kids[n->n++] = kid;
    }
    return n;
  }
  case YAML_MAPPING_NODE: {
    size_t cnt = (size_t)(y->data.mapping.pairs.top - y->data.mapping.pairs.start);
    n = node_new(LM_MAP, line, col);
    if (n == NULL || node_reserve(n, cnt, 1) != 0) goto nomem;
    for (size_t i = 0; i < cnt; i++) {
      yaml_node_pair_t *pr = &y->data.mapping.pairs.start[i];
      yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
      yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
      if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE) {
        set_err(c->err, VBX_E_SPEC, k ? (int)k->start_mark.line + 1 : line,
                k ? (int)k->start_mark.column + 1 : col, "map keys must be plain strings");
        lm_node_free(n);
        return NULL;
      }
      char *key = strndup((const char *)k->data.scalar.value, k->data.scalar.length);
      for (size_t j = 0; key != NULL && j < n->n; j++) {
        if (strcmp(n->keys[j], key) == 0) {
          char msg[300];
          snprintf(msg, sizeof msg, "duplicate key '%.200s'", key);
          set_err(c->err, VBX_E_SPEC, (int)k->start_mark.line + 1, (int)k->start_mark.column + 1,
                  msg);
          free(key);
          lm_node_free(n);
          return NULL;
        }
      }
      lm_node *kid = key ? from_yaml(c, v, depth + 1) : NULL;
      if (kid == NULL) {
        free(key);
        lm_node_free(n);
        return NULL;
      }
      n->keys[n->n] = key;
      n->key_pos[2 * n->n] = (int)k->start_mark.line + 1;
      n->key_pos[2 * n->n + 1] = (int)k->start_mark.column + 1;
      n->kids[n->n++] = kid;
    }
    return n;
  }
  default: set_err(c->err, VBX_E_SPEC, line, col, "empty node"); return NULL;
  }
  if (n != NULL) return n;
nomem:
  lm_node_free(n);
  set_err(c->err, VBX_E_NOMEM, line, col, "out of memory");
  return NULL;
}

lm_node *lm_node_load_file(const char *path, lm_err *err) {
  lm_node *root = NULL;
  char *buf = NULL;
  char msg[600];
  yaml_parser_t parser;
  yaml_document_t doc;
  int have_parser = 0, have_doc = 0;
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    snprintf(msg, sizeof msg, "cannot open: %s", strerror(errno));
    set_err(err, errno == ENOENT ? VBX_E_NOTFOUND : VBX_E_IO, 0, 0, msg);
    goto out;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    set_err(err, VBX_E_IO, 0, 0, "not a regular file");
    goto out;
  }
  if ((uint64_t)st.st_size > LM_MAX_SCRIPT_BYTES) {
    snprintf(msg, sizeof msg, "file is %lld bytes, over the %u-byte limit", (long long)st.st_size,
             LM_MAX_SCRIPT_BYTES);
    set_err(err, VBX_E_TOOBIG, 0, 0, msg);
    goto out;
  }
  size_t size = (size_t)st.st_size;
  buf = malloc(size + 1);
  if (buf == NULL || fread(buf, 1, size, f) != size) {
    set_err(err, buf ? VBX_E_IO : VBX_E_NOMEM, 0, 0, buf ? "read failed" : "out of memory");
    goto out;
  }
  buf[size] = '\0';
  if (!yaml_parser_initialize(&parser)) {
    set_err(err, VBX_E_NOMEM, 0, 0, "out of memory");
    goto out;
  }
  have_parser = 1;
  yaml_parser_set_input_string(&parser, (const unsigned char *)buf, size);
  if (!yaml_parser_load(&parser, &doc)) {
    snprintf(msg, sizeof msg, "%s%s%s", parser.problem ? parser.problem : "syntax error",
             parser.context ? " " : "", parser.context ? parser.context : "");
    set_err(err, VBX_E_SPEC, (int)parser.problem_mark.line + 1, (int)parser.problem_mark.column + 1,
            msg);
    goto out;
  }
  have_doc = 1;
  yaml_node_t *top = yaml_document_get_root_node(&doc);
  if (top == NULL) {
    set_err(err, VBX_E_SPEC, 1, 1, "the script is empty");
    goto out;
  }
  yconv c = {&doc, 0, err};
  root = from_yaml(&c, top, 0);
out:
  if (have_doc) yaml_document_delete(&doc);
  if (have_parser) yaml_parser_delete(&parser);
  free(buf);
  if (f != NULL) fclose(f);
  return root;
}

static lm_node *from_json(const vbx_host_services *h, const vbx_json *v, int depth, size_t *count,
                          lm_err *err) {
  if (depth > LM_MAX_DEPTH || ++*count > LM_MAX_NODES) {
    set_err(err, VBX_E_LIMIT, 0, 0, "value too deep or too large");
    return NULL;
  }
  char num[64];
  lm_node *n = NULL;
  switch (h->json_type(v)) {
  case VBX_JSON_OBJECT: {
    size_t cnt = h->json_object_size(v);
    n = node_new(LM_MAP, 0, 0);
    if (n == NULL || node_reserve(n, cnt, 1) != 0) goto nomem;
    vbx_json *val;
    const char *key;
    for (size_t i = 0; i < cnt && (key = h->json_object_key_at(v, i, &val)) != NULL; i++) {
      char *k = strdup(key);
      lm_node *kid = k ? from_json(h, val, depth + 1, count, err) : NULL;
      if (kid == NULL) {
        free(k);
        lm_node_free(n);
        if (k == NULL) goto nomem;
        return NULL;
      }
      n->keys[n->n] = k;
      n->kids[n->n++] = kid;
    }
    return n;
  }
  case VBX_JSON_ARRAY: {
    size_t cnt = h->json_array_size(v);
    n = node_new(LM_SEQ, 0, 0);
    if (n == NULL || node_reserve(n, cnt, 0) != 0) goto nomem;
    for (size_t i = 0; i < cnt; i++) {
      lm_node *kid = from_json(h, h->json_array_get(v, i), depth + 1, count, err);
      if (kid == NULL) {
        lm_node_free(n);
        return NULL;
      }
      n->kids[n->n++] = kid;
    }
    return n;
  }
  case VBX_JSON_STRING:
    n = node_new(LM_SCALAR, 0, 0);
    if (n == NULL) goto nomem;
    n->len = h->json_string_length(v);
    n->str = malloc(n->len + 1);
    if (n->str == NULL) goto nomem;
    memcpy(n->str, h->json_string_value(v), n->len);
    n->str[n->len] = '\0';
    return n;
  case VBX_JSON_INTEGER:
    snprintf(num, sizeof num, "%lld", (long long)h->json_integer_value(v));
    break;
  case VBX_JSON_REAL: snprintf(num, sizeof num, "%.17g", h->json_number_value(v)); break;
  case VBX_JSON_BOOL: snprintf(num, sizeof num, "%s", h->json_is_true(v) ? "true" : "false"); break;
  default: snprintf(num, sizeof num, "null"); break;
  }
  n = node_new(LM_SCALAR, 0, 0);
  if (n == NULL || (n->str = strdup(num)) == NULL) goto nomem;
  n->len = strlen(num);
  n->plain = 1;
  return n;
nomem:
  lm_node_free(n);
  set_err(err, VBX_E_NOMEM, 0, 0, "out of memory");
  return NULL;
}

lm_node *lm_node_from_json(const vbx_host_services *h, const vbx_json *v, lm_err *err) {
  size_t count = 0;
  return from_json(h, v, 0, &count, err);
}

const lm_node *lm_node_get(const lm_node *map, const char *key) {
  if (map == NULL || map->kind != LM_MAP) return NULL;
  for (size_t i = 0; i < map->n; i++)
    if (strcmp(map->keys[i], key) == 0) return map->kids[i];
  return NULL;
}

int lm_node_uint(const lm_node *n, uint64_t *out) {
  if (n == NULL || n->kind != LM_SCALAR || !n->plain || n->len == 0 || n->len > 19) return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < n->len; i++) {
    if (n->str[i] < '0' || n->str[i] > '9') return -1;
    v = v * 10 + (uint64_t)(n->str[i] - '0');
  }
  *out = v;
  return 0;
}

int lm_node_number(const lm_node *n, double *out) {
  if (n == NULL || n->kind != LM_SCALAR || !n->plain || n->len == 0) return -1;
  char *end = NULL;
  errno = 0;
  double v = strtod(n->str, &end);
  if (errno != 0 || end == NULL || *end != '\0' || v != v) return -1;
  *out = v;
  return 0;
}
