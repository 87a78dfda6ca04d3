/*
 * spec/node.c - the positioned document tree: freeing, lookup, naming.
 */
#include <stdlib.h>
#include <string.h>

#include "spec/node.h"

void vbx__node_free(vbx__node *n) {
  if (n == NULL) return;
  /* Iterative over siblings would be nicer; depth is bounded (64). */
  for (size_t i = 0; i < n->n; i++) {
    if (n->keys) vbx__node_free(n->keys[i]);
    vbx__node_free(n->vals[i]);
  }
  free(n->keys);
  free(n->vals);
  free(n->text);
  free(n);
}

const vbx__node *vbx__node_get(const vbx__node *m, const char *key) {
  if (m == NULL || m->kind != VBX__NODE_MAP) return NULL;
  for (size_t i = 0; i < m->n; i++)
    if (strcmp(m->keys[i]->text, key) == 0) return m->vals[i];
  return NULL;
}

const char *vbx__node_describe(const vbx__node *n) {
  if (n == NULL) return "nothing";
  if (n->kind == VBX__NODE_MAP) return "a map";
  if (n->kind == VBX__NODE_SEQ) return "a list";
  switch (n->type) {
  case VBX__SCALAR_INT: return "an integer";
  case VBX__SCALAR_FLOAT: return "a number";
  case VBX__SCALAR_BOOL: return "a boolean";
  case VBX__SCALAR_NULL: return "null";
  default: return "a string";
  }
}
