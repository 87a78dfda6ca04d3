/*
 * spec/schema.h - typed reads from the node tree with positioned errors;
 * shared by the spec model builder (build.c, blocks.c).
 *
 * Every helper returns 0 or a negative VBX_E_* code; on VBX_E_SPEC the
 * context's err says "FILE:LINE:COLUMN: message" for the offending key or
 * value. Not thread-safe per context.
 */
#ifndef VBX_SPEC_SCHEMA_H
#define VBX_SPEC_SCHEMA_H

#include <stdint.h>

#include "model/model_util.h"
#include "spec/node.h"

typedef struct vbx__spec_ctx {
  const char *file;     /* the pipeline's spec_path: positions borrow it */
  const char *base_dir; /* directory of the spec file */
  vbx_error *err;
} vbx__spec_ctx;

/* Positioned VBX_E_SPEC error at node `at` (NULL: the file alone). */
int vbx__spec_fail(vbx__spec_ctx *c, const vbx__node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* VBX_E_NOMEM error. */
int vbx__spec_oom(vbx__spec_ctx *c);

/* Position of a node (file borrowed from the context). */
vbx__pos vbx__spec_pos(const vbx__spec_ctx *c, const vbx__node *n);

/* Error unless every key of map m is in `known` (NULL-terminated); the
 * message names `where` and suggests the closest known key. */
int vbx__spec_known_keys(vbx__spec_ctx *c, const vbx__node *m, const char *const *known,
                         const char *where);
/* "unknown key 'k' in WHERE (did you mean 'x'?)" at key node k. */
int vbx__spec_unknown_key(vbx__spec_ctx *c, const vbx__node *k, const char *const *known,
                          const char *where);
/* Error at map m unless it has `key`. */
int vbx__spec_require(vbx__spec_ctx *c, const vbx__node *m, const char *key, const char *where);

/* Error unless n is a map (a list). `name` is the key it came from. */
int vbx__spec_map(vbx__spec_ctx *c, const vbx__node *n, const char *name);
int vbx__spec_list(vbx__spec_ctx *c, const vbx__node *n, const char *name);

/* A string scalar (quoted, or plain text that is not a number, boolean or
 * null), copied into *out (previous value freed). */
int vbx__spec_str(vbx__spec_ctx *c, const vbx__node *n, const char *name, char **out);
/* An integer scalar within [lo, hi]. */
int vbx__spec_int(vbx__spec_ctx *c, const vbx__node *n, const char *name, int64_t lo, int64_t hi,
                  int64_t *out);
int vbx__spec_u32(vbx__spec_ctx *c, const vbx__node *n, const char *name, uint32_t lo, uint32_t hi,
                  uint32_t *out);
/* A boolean scalar (true/false). */
int vbx__spec_bool(vbx__spec_ctx *c, const vbx__node *n, const char *name, int *out);

/* Store key k -> value v as a plugin option in o, positioned at the key. */
int vbx__spec_option(vbx__spec_ctx *c, vbx__options *o, const vbx__node *k, const vbx__node *v);

#endif
