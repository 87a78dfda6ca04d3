/*
 * spec/spec.h - loading spec files (YAML or JSON) into the model of
 * model/model.h. The file format is described in docs/spec.md.
 *
 * The loader does not know plugins: names of backends, providers, skill
 * types and exporters, and their options, are checked later by
 * vbx_pipeline_check using the positions stored in the model.
 *
 * Thread-safe: loads share no state.
 */
#ifndef VBX_SPEC_SPEC_H
#define VBX_SPEC_SPEC_H

#include <stddef.h>

#include "model/model.h"
#include "spec/schema.h"

/* Load a spec from memory. display_name is used in error messages, as the
 * pipeline's spec_path and (its directory) as spec_dir and every box's
 * base_dir. is_json: 1 validates the text as JSON first (syntax errors and
 * duplicate keys reported by jansson), 0 reads it as YAML. At most
 * VBX__SPEC_MAX_BYTES. On success *out is a new pipeline the caller frees
 * with vbx_pipeline_free; on failure *out is NULL and the code (VBX_E_SPEC,
 * VBX_E_NOMEM, VBX_E_INVAL) and "FILE:LINE:COLUMN: message" are in err. */
int vbx__spec_load_buffer(const char *text, size_t len, const char *display_name, int is_json,
                          vbx_pipeline **out, vbx_error *err);

/* Build the model from a parsed tree into p (allocated by the caller, with
 * spec_path/spec_dir set). Used by vbx__spec_load_buffer. */
int vbx__spec_build(vbx__spec_ctx *c, const vbx__node *root, vbx_pipeline *p);

#endif
