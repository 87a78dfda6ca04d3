/*
 * spec/scalar.h - typing plain scalars (YAML 1.2 core schema) and turning
 * node trees into JSON values for plugin options.
 */
#ifndef VBX_SPEC_SCALAR_H
#define VBX_SPEC_SCALAR_H

#include <jansson.h>
#include <stdint.h>

#include "spec/node.h"

/* The core-schema type of a plain scalar's text: null (~, null, empty),
 * bool (true/false in three casings), int (decimal, 0o, 0x), float, else
 * string. */
vbx__scalar_type vbx__scalar_resolve(const char *text);

/* Value of an integer scalar. Returns 0, or VBX_E_INVAL when n is not an
 * integer scalar or does not fit in int64_t. */
int vbx__scalar_int(const vbx__node *n, int64_t *out);

/* 1 when n is a boolean scalar; *out is 0 or 1. */
int vbx__scalar_bool(const vbx__node *n, int *out);

/* Convert a node tree to a new JSON value. On failure returns NULL and sets
 * *bad to the offending node (NULL on OOM). */
json_t *vbx__node_to_json(const vbx__node *n, const vbx__node **bad);

#endif
