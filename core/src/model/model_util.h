/*
 * model/model_util.h - helpers shared by the C builder API (model/) and the
 * spec loader (spec/) to fill the model of model.h.
 *
 * Not thread-safe: one owner builds an object at a time.
 */
#ifndef VBX_MODEL_MODEL_UTIL_H
#define VBX_MODEL_MODEL_UTIL_H

#include "model/model.h"

/* Longest box / pipeline name accepted. */
#define VBX__NAME_MAX 128

/* Set `key` of o to `value` (reference stolen, also on failure), replacing
 * any previous value and position. pos may be NULL (builder-made option).
 * Returns 0 or VBX_E_NOMEM. */
int vbx__options_set(vbx__options *o, const char *key, json_t *value, const vbx__pos *pos);

/* Merge every key of src into dst (deep copies, positions copied), later
 * keys overriding. Returns 0 or VBX_E_NOMEM. */
int vbx__options_merge(vbx__options *dst, const vbx__options *src);

/* Free the contents of one declaration and zero it. */
void vbx__skill_decl_clear(vbx__skill_decl *s);
void vbx__llm_decl_clear(vbx__llm_decl *l);
void vbx__sandbox_decl_clear(vbx__sandbox_decl *s);

/* Replace *dst by a malloc'd copy of src (NULL allowed: *dst becomes
 * NULL). Returns 0 or VBX_E_NOMEM (then *dst is unchanged). */
int vbx__str_replace(char **dst, const char *src);

/* Split "TYPE:VALUE": TYPE is [a-z0-9_-]+ before the first ':', VALUE the
 * rest (NULL when empty). Both outputs malloc'd. Returns 0, VBX_E_INVAL
 * (malformed; outputs NULL) or VBX_E_NOMEM. */
int vbx__skill_split(const char *text, char **type, char **value);

/* 1 when s is a skill type name: [a-z0-9_-]+. */
int vbx__skill_type_valid(const char *s);

/* 1 when s is a valid environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
int vbx__env_name_valid(const char *s);

/* 1 when s is a valid box or pipeline name: [A-Za-z0-9_.-]{1,VBX__NAME_MAX}. */
int vbx__name_valid(const char *s);

/* Set KEY=VALUE in the sandbox's environment, replacing an existing KEY.
 * Returns 0 or VBX_E_NOMEM. */
int vbx__sandbox_set_env(vbx__sandbox_decl *s, const char *key, const char *value);

/* Replace the sandbox's mounts by deep copies of `mounts`. Returns 0 or
 * VBX_E_NOMEM (then the old mounts are kept). */
int vbx__sandbox_set_mounts(vbx__sandbox_decl *s, const vbx_mount *mounts, size_t n);

/* Append a skill declaration to the box; on success the box owns *s's
 * contents and *s is zeroed. Returns 0 or VBX_E_NOMEM (then *s is kept). */
int vbx__box_add_skill(vbx_box *b, vbx__skill_decl *s);

/* Record a builder failure on the box / pipeline unless one is already
 * recorded (the first failure is sticky). Returns code. */
int vbx__box_fail(vbx_box *b, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vbx__pipeline_fail(vbx_pipeline *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Allocate an empty pipeline: kind "pipeline", spec_dir ".", no spec_path.
 * name is copied (NULL: ""). NULL on OOM. */
vbx_pipeline *vbx__pipeline_alloc(const char *name);

#endif
