/*
 * model/model.h - the in-memory model of boxes and pipelines.
 *
 * One model serves both the spec loader (YAML/JSON) and the C builder API in
 * voidbox.h. The spec loader resolves defaults (top-level `llm:` and
 * `sandbox:` blocks merged into each box, key by key) so that the engine
 * reads only complete boxes. Every declaration keeps the file position it
 * came from (file NULL for builder-made objects) so later checks (unknown
 * plugin, option refused by a plugin) can report FILE:LINE:COLUMN.
 *
 * Ownership: a pipeline owns its boxes, a box owns all its strings and JSON
 * values. Strings are malloc'd. Not thread-safe while built; read-only while
 * run.
 */
#ifndef VBX_MODEL_MODEL_H
#define VBX_MODEL_MODEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "voidbox/voidbox.h"

/* Where a value came from. file is borrowed from the owning pipeline's
 * spec_path (or NULL for builder-made objects). line/col are 1-based. */
typedef struct vbx__pos {
  const char *file;
  int line;
  int col;
} vbx__pos;

/* Position of one key of a plugin-options object, so a plugin's complaint
 * about `field` can be mapped back to the file. */
typedef struct vbx__keypos {
  char *key;
  vbx__pos pos;
} vbx__keypos;

typedef struct vbx__options {
  json_t *obj;       /* JSON object of extra keys, or NULL when none */
  vbx__keypos *keys; /* positions of obj's keys */
  size_t n_keys;
} vbx__options;

typedef struct vbx__skill_decl {
  char *type;           /* "file", "cli", "mcp", ... */
  char *value;          /* may be NULL */
  vbx__options options; /* other keys of the map form */
  vbx__pos pos;         /* the declaration */
  vbx__pos type_pos;    /* the TYPE text */
} vbx__skill_decl;

typedef struct vbx__llm_decl {
  char *provider; /* required by the time a box runs */
  char *model;    /* NULL: provider default */
  char *base_url;
  char *api_key_env;
  vbx__options options; /* provider-specific keys */
  vbx__pos pos;
  vbx__pos provider_pos;
} vbx__llm_decl;

typedef struct vbx__sandbox_decl {
  char *backend;        /* default "mock" */
  uint32_t memory_mb;   /* default 512 */
  uint32_t vcpus;       /* default 1 */
  int network;          /* default 0 */
  char *network_policy; /* with network: the policy as normalized JSON, NULL: the default */
  char **env;           /* "KEY=VALUE", NULL-terminated, may be NULL */
  size_t n_env;
  vbx_mount *mounts; /* host_path/guest_path malloc'd */
  size_t n_mounts;
  uint32_t timeout_secs; /* default 0 (none) */
  uint32_t disk_mb;      /* writable storage (/tmp + /workspace), default 256 */
  vbx__options options;  /* backend-specific keys */
  vbx__pos pos;
  vbx__pos backend_pos;
} vbx__sandbox_decl;

/* Default size of a box's writable storage in MiB (docs/spec.md). */
#define VBX__DEFAULT_DISK_MB 256u

struct vbx_box {
  char *name;
  char *prompt;
  vbx__skill_decl *skills;
  size_t n_skills;
  vbx__llm_decl llm;
  vbx__sandbox_decl sandbox;
  uint32_t max_turns;    /* default 10 */
  uint32_t timeout_secs; /* default 0 (none) */
  char *
      output_file; /* path inside the sandbox whose content is the structured output; may be NULL */
  char *base_dir;  /* directory for relative paths (spec dir or "."); never NULL */
  vbx__pos pos;
  /* Sticky builder error: first failure of a builder call. */
  int error_code;
  char *error;
};

typedef struct vbx__stage {
  char *name;      /* the box name, or "fan_out[a,b]" */
  vbx_box **boxes; /* borrowed from the pipeline's box list */
  size_t n_boxes;
  int is_fan_out;
  int fail_fast; /* fan_out: a failed box cancels its siblings (default 1) */
  vbx__pos pos;
} vbx__stage;

struct vbx_pipeline {
  char *name;
  char *kind;      /* "agent" or "pipeline" */
  char *spec_path; /* NULL for builder-made pipelines */
  char *spec_dir;  /* directory of spec_path, or "." */
  vbx_box **boxes; /* owned, in declaration order */
  size_t n_boxes;
  vbx__stage *stages;
  size_t n_stages;
  unsigned max_parallel; /* boxes of one fan_out run at once; 0: cores x 4 */
  json_t *observe;       /* the reserved `observe:` block, or NULL */
  vbx__options observe_opts;
  int error_code; /* sticky builder error */
  char *error;
};

/* Allocate an empty box with the documented defaults. NULL on OOM. */
vbx_box *vbx__box_alloc(const char *name);
/* Free an options block's contents. */
void vbx__options_clear(vbx__options *o);
/* Look up the position of key `field` in o; NULL when unknown. */
const vbx__pos *vbx__options_pos(const vbx__options *o, const char *field);
/* Append a box to the pipeline's owned list (no stage). Takes ownership. */
int vbx__pipeline_add_box(vbx_pipeline *p, vbx_box *box);
/* Find a box by name; NULL when absent. */
vbx_box *vbx__pipeline_find_box(const vbx_pipeline *p, const char *name);
/* Append a stage of `n` boxes (borrowed from the pipeline's list). */
int vbx__pipeline_add_stage(vbx_pipeline *p, vbx_box **boxes, size_t n, int is_fan_out,
                            vbx__pos pos);

#endif
