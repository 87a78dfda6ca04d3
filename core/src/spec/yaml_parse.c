/*
 * spec/yaml_parse.c - YAML (and JSON) text to a positioned node tree with
 * libyaml's event API.
 *
 * Everything that could make the tree large or ambiguous is refused here,
 * before any model is built: more than VBX__SPEC_MAX_NODES nodes, nesting
 * deeper than VBX__SPEC_MAX_DEPTH, aliases and anchors, tags other than the
 * core ones, several documents, non-scalar or duplicate map keys, NUL
 * characters in scalars.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "spec/node.h"
#include "spec/scalar.h"
#include "util/error.h"

typedef struct frame {
  vbx__node *node;
  vbx__node *key; /* maps: a key waiting for its value */
  size_t cap;
} frame;

typedef struct state {
  const char *file;
  vbx_error *err;
  size_t n_nodes;
  int docs;
  vbx__node *root;
  frame stack[VBX__SPEC_MAX_DEPTH];
  size_t depth;
  int rc; /* code of the last failure */
} state;

static int fail(state *s, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(state *s, yaml_mark_t m, const char *fmt, ...) {
  char msg[900];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  s->rc = VBX_E_SPEC;
  return vbx__error_at(s->err, VBX_E_SPEC, s->file, (int)m.line + 1, (int)m.column + 1, "%s", msg);
}

static int oom(state *s) {
  s->rc = VBX_E_NOMEM;
  return vbx__error_set(s->err, VBX_E_NOMEM, "out of memory");
}

#define CORE_TAG "tag:yaml.org,2002:"

/* Check a node's anchor and tag; *want is the type a core scalar tag asks
 * for (0: none). */
static int check_props(state *s, yaml_mark_t m, const yaml_char_t *anchor, const yaml_char_t *tag,
                       const char *allowed, vbx__scalar_type *want) {
  if (want) *want = 0;
  if (anchor != NULL)
    return fail(s, m, "YAML anchors are not supported (&%.100s); repeat the value instead",
                (const char *)anchor);
  if (tag == NULL) return 0;
  const char *t = (const char *)tag;
  size_t cl = strlen(CORE_TAG);
  if (strncmp(t, CORE_TAG, cl) == 0) {
    const char *name = t + cl;
    if (allowed != NULL && strcmp(name, allowed) == 0) return 0;
    if (want != NULL) {
      static const struct {
        const char *name;
        vbx__scalar_type type;
      } tags[] = {{"str", VBX__SCALAR_STR},
                  {"int", VBX__SCALAR_INT},
                  {"float", VBX__SCALAR_FLOAT},
                  {"bool", VBX__SCALAR_BOOL},
                  {"null", VBX__SCALAR_NULL}};
      for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        if (strcmp(name, tags[i].name) == 0) {
          *want = tags[i].type;
          return 0;
        }
    }
    return fail(s, m, "YAML tag '!!%.100s' is not allowed here", name);
  }
  return fail(s, m,
              "YAML tag '%.100s' is not supported (only the core tags !!str, !!int, !!float, "
              "!!bool, !!null, !!map, !!seq)",
              t);
}

static vbx__node *new_node(state *s, vbx__node_kind kind, yaml_mark_t m) {
  if (++s->n_nodes > VBX__SPEC_MAX_NODES) {
    fail(s, m, "too many values in the file (limit %u)", (unsigned)VBX__SPEC_MAX_NODES);
    return NULL;
  }
  vbx__node *n = calloc(1, sizeof(*n));
  if (n == NULL) {
    oom(s);
    return NULL;
  }
  n->kind = kind;
  n->line = (int)m.line + 1;
  n->col = (int)m.column + 1;
  return n;
}

/* Hang n under the open collection (or make it the root). Takes n. */
static int attach(state *s, vbx__node *n) {
  if (s->depth == 0) {
    s->root = n;
    return 0;
  }
  frame *f = &s->stack[s->depth - 1];
  vbx__node *c = f->node;
  if (c->kind == VBX__NODE_MAP && f->key == NULL) {
    if (n->kind != VBX__NODE_SCALAR) {
      yaml_mark_t m = {0, (size_t)n->line - 1, (size_t)n->col - 1};
      vbx__node_free(n);
      return fail(s, m, "map keys must be strings");
    }
    f->key = n;
    return 0;
  }
  if (c->n == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 4;
    vbx__node **v = realloc(c->vals, cap * sizeof(*v));
    if (v != NULL) c->vals = v;
    if (v != NULL && c->kind == VBX__NODE_MAP) {
      v = realloc(c->keys, cap * sizeof(*v));
      if (v != NULL) c->keys = v;
    }
    if (v == NULL) {
      vbx__node_free(n);
      return oom(s);
    }
    f->cap = cap;
  }
  if (c->kind == VBX__NODE_MAP) {
    c->keys[c->n] = f->key;
    f->key = NULL;
  }
  c->vals[c->n++] = n;
  return 0;
}

static int scalar(state *s, const yaml_event_t *ev) {
  vbx__scalar_type want;
  int rc = check_props(s, ev->start_mark, ev->data.scalar.anchor, ev->data.scalar.tag, NULL, &want);
  if (rc != 0) return rc;
  const char *text = (const char *)ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  if (strlen(text) != len)
    return fail(s, ev->start_mark, "NUL characters in strings are not supported");
  vbx__node *n = new_node(s, VBX__NODE_SCALAR, ev->start_mark);
  if (n == NULL) return s->rc;
  n->text = strndup(text, len);
  if (n->text == NULL) {
    vbx__node_free(n);
    return oom(s);
  }
  n->len = len;
  yaml_scalar_style_t st = ev->data.scalar.style;
  n->quoted = st == YAML_SINGLE_QUOTED_SCALAR_STYLE || st == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
  int plain = st == YAML_PLAIN_SCALAR_STYLE;
  vbx__scalar_type got = plain || want ? vbx__scalar_resolve(text) : VBX__SCALAR_STR;
  if (want == VBX__SCALAR_STR || (want == 0 && !plain)) {
    got = VBX__SCALAR_STR;
  } else if (want != 0) {
    int ok = got == want || (want == VBX__SCALAR_FLOAT && got == VBX__SCALAR_INT);
    if (!ok) {
      vbx__node_free(n);
      return fail(s, ev->start_mark, "'%.100s' is not a valid %s", text,
                  want == VBX__SCALAR_INT     ? "!!int"
                  : want == VBX__SCALAR_FLOAT ? "!!float"
                  : want == VBX__SCALAR_BOOL  ? "!!bool"
                                              : "!!null");
    }
    got = want;
  }
  n->type = got;
  return attach(s, n);
}

static int open_collection(state *s, const yaml_event_t *ev, vbx__node_kind kind) {
  const yaml_char_t *anchor, *tag;
  if (kind == VBX__NODE_MAP) {
    anchor = ev->data.mapping_start.anchor;
    tag = ev->data.mapping_start.tag;
  } else {
    anchor = ev->data.sequence_start.anchor;
    tag = ev->data.sequence_start.tag;
  }
  int rc = check_props(s, ev->start_mark, anchor, tag, kind == VBX__NODE_MAP ? "map" : "seq", NULL);
  if (rc != 0) return rc;
  if (s->depth >= VBX__SPEC_MAX_DEPTH)
    return fail(s, ev->start_mark, "values nested too deeply (limit %d levels)",
                VBX__SPEC_MAX_DEPTH);
  vbx__node *n = new_node(s, kind, ev->start_mark);
  if (n == NULL) return s->rc;
  rc = attach(s, n);
  if (rc != 0) return rc;
  frame *f = &s->stack[s->depth++];
  f->node = n;
  f->key = NULL;
  f->cap = 0;
  return 0;
}

typedef struct keyref {
  const char *text;
  size_t idx;
} keyref;

static int cmp_keys(const void *a, const void *b) {
  const keyref *x = a, *y = b;
  int c = strcmp(x->text, y->text);
  return c ? c : (x->idx < y->idx ? -1 : (x->idx > y->idx));
}

/* Refuse a key used twice in map m: report the first repeated key in
 * document order, naming where it was first defined. O(n log n). */
static int check_duplicates(state *s, const vbx__node *m) {
  if (m->n < 2) return 0;
  keyref *idx = malloc(m->n * sizeof(*idx));
  if (idx == NULL) return oom(s);
  for (size_t i = 0; i < m->n; i++) {
    idx[i].text = m->keys[i]->text;
    idx[i].idx = i;
  }
  qsort(idx, m->n, sizeof(*idx), cmp_keys);
  size_t dup = m->n, first = 0, group = 0;
  for (size_t i = 1; i < m->n; i++) {
    if (strcmp(idx[i].text, idx[i - 1].text) != 0) {
      group = i;
      continue;
    }
    if (i == group + 1 && idx[i].idx < dup) {
      dup = idx[i].idx;
      first = idx[group].idx;
    }
  }
  free(idx);
  if (dup == m->n) return 0;
  const vbx__node *k = m->keys[dup];
  yaml_mark_t mk = {0, (size_t)k->line - 1, (size_t)k->col - 1};
  return fail(s, mk, "duplicate key '%.200s' (first defined at line %d, column %d)", k->text,
              m->keys[first]->line, m->keys[first]->col);
}

static int handle(state *s, const yaml_event_t *ev) {
  switch (ev->type) {
  case YAML_DOCUMENT_START_EVENT:
    if (++s->docs > 1) return fail(s, ev->start_mark, "only one YAML document per file");
    return 0;
  case YAML_ALIAS_EVENT:
    return fail(s, ev->start_mark,
                "YAML aliases are not supported (*%.100s); repeat the value "
                "instead",
                (const char *)ev->data.alias.anchor);
  case YAML_SCALAR_EVENT: return scalar(s, ev);
  case YAML_MAPPING_START_EVENT: return open_collection(s, ev, VBX__NODE_MAP);
  case YAML_SEQUENCE_START_EVENT: return open_collection(s, ev, VBX__NODE_SEQ);
  case YAML_MAPPING_END_EVENT:
  case YAML_SEQUENCE_END_EVENT: {
    if (s->depth == 0) return fail(s, ev->start_mark, "unbalanced YAML events");
    frame *f = &s->stack[--s->depth];
    return f->node->kind == VBX__NODE_MAP ? check_duplicates(s, f->node) : 0;
  }
  default: return 0;
  }
}

int vbx__yaml_parse(const char *text, size_t len, const char *file, int is_json, vbx__node **out,
                    vbx_error *err) {
  *out = NULL;
  state s;
  memset(&s, 0, sizeof(s));
  s.file = file;
  s.err = err;
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return oom(&s);
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  int rc = 0, done = 0;
  while (rc == 0 && !done) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) {
      if (parser.error == YAML_MEMORY_ERROR) {
        rc = oom(&s);
        break;
      }
      char ctx[300] = "";
      if (parser.context) snprintf(ctx, sizeof(ctx), " %.200s:", parser.context);
      /* JSON reaches here only after jansson accepted it: what libyaml
       * refuses is a limit of YAML (keys of more than 1024 characters). */
      rc = fail(&s, parser.problem_mark, "%s:%s %.300s",
                is_json ? "unsupported JSON (object keys are limited to 1024 characters)"
                        : "YAML syntax error",
                ctx, parser.problem ? parser.problem : "unknown");
      break;
    }
    done = ev.type == YAML_STREAM_END_EVENT;
    rc = handle(&s, &ev);
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  /* Open collections are attached to the root, so freeing it frees them;
   * only a key waiting for its value is not. */
  for (size_t i = 0; i < s.depth; i++)
    vbx__node_free(s.stack[i].key);
  if (rc == 0 && s.root == NULL) {
    yaml_mark_t m = {0, 0, 0};
    rc = fail(&s, m, "the file holds no document");
  }
  if (rc != 0) {
    vbx__node_free(s.root);
    return rc;
  }
  *out = s.root;
  return 0;
}
