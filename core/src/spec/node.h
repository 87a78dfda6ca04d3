/*
 * spec/node.h - a small positioned document tree (maps, lists, scalars)
 * parsed from YAML or JSON text, so both formats feed one model builder.
 *
 * A tree is owned by its root; vbx__node_free frees it all. Not
 * thread-safe; read-only once built.
 */
#ifndef VBX_SPEC_NODE_H
#define VBX_SPEC_NODE_H

#include <stddef.h>

#include "voidbox/voidbox.h"

/* Bounds applied while parsing, before any model is built. */
#define VBX__SPEC_MAX_BYTES (4u * 1024u * 1024u)
#define VBX__SPEC_MAX_DEPTH 64
#define VBX__SPEC_MAX_NODES 100000

typedef enum vbx__node_kind {
  VBX__NODE_SCALAR = 1,
  VBX__NODE_MAP = 2,
  VBX__NODE_SEQ = 3
} vbx__node_kind;

/* What a scalar resolves to (YAML 1.2 core schema; JSON gives the same). */
typedef enum vbx__scalar_type {
  VBX__SCALAR_STR = 1,
  VBX__SCALAR_INT = 2,
  VBX__SCALAR_FLOAT = 3,
  VBX__SCALAR_BOOL = 4,
  VBX__SCALAR_NULL = 5
} vbx__scalar_type;

typedef struct vbx__node vbx__node;
struct vbx__node {
  vbx__node_kind kind;
  int line, col; /* 1-based start of the node */
  /* scalars */
  char *text; /* NUL-terminated, never contains NUL */
  size_t len;
  int quoted; /* 1: single- or double-quoted; text starts at col + 1 */
  vbx__scalar_type type;
  /* maps: keys[i] -> vals[i]; lists: vals[i] (keys NULL) */
  vbx__node **keys;
  vbx__node **vals;
  size_t n;
};

/* Parse YAML (or JSON, a subset libyaml reads) text into a tree. Enforces
 * the bounds above, refuses aliases, anchors, non-core tags, several
 * documents, non-scalar and duplicate map keys. `file` names the text in
 * errors ("FILE:LINE:COLUMN: ..."); is_json only changes how syntax errors
 * are worded. On success *out is the root (a
 * document's top node, never NULL); on failure returns VBX_E_SPEC (or
 * VBX_E_NOMEM) with err filled. */
int vbx__yaml_parse(const char *text, size_t len, const char *file, int is_json, vbx__node **out,
                    vbx_error *err);

void vbx__node_free(vbx__node *n);

/* The value of `key` in map m, or NULL. */
const vbx__node *vbx__node_get(const vbx__node *m, const char *key);

/* "a map", "a list", "a string", "an integer", ... for error messages. */
const char *vbx__node_describe(const vbx__node *n);

#endif
