/*
 * llm-common/jsonh.h - terse helpers over the host's opaque JSON functions.
 *
 * A vbx_lj builder carries the host table and a sticky failure flag, so a
 * request body can be assembled with many calls and checked once. Setters
 * steal the value (as host->json_object_set does); a NULL value marks the
 * builder failed. Getters return borrowed values or NULL.
 */
#ifndef VBX_LLM_JSONH_H
#define VBX_LLM_JSONH_H

#include <stdint.h>

#include "voidbox/plugin.h"

typedef struct vbx_lj {
  const vbx_host_services *h;
  int failed;
} vbx_lj;

/* obj[key] = v (stolen). */
void vbx_lj_set(vbx_lj *b, vbx_json *obj, const char *key, vbx_json *v);
/* arr += v (stolen). */
void vbx_lj_push(vbx_lj *b, vbx_json *arr, vbx_json *v);
/* New string value (NULL s marks failure). */
vbx_json *vbx_lj_str(vbx_lj *b, const char *s);
/* New reference to a borrowed value (NULL v marks failure). */
vbx_json *vbx_lj_ref(vbx_lj *b, const vbx_json *v);
/* New empty object / array. */
vbx_json *vbx_lj_obj(vbx_lj *b);
vbx_json *vbx_lj_arr(vbx_lj *b);

/* obj[key] as a string, or NULL when absent or not a string. */
const char *vbx_lj_get_str(const vbx_host_services *h, const vbx_json *obj, const char *key);
/* obj[key] when it has the given type, else NULL. */
vbx_json *vbx_lj_get_typed(const vbx_host_services *h, const vbx_json *obj, const char *key,
                           vbx_json_type type);
/* obj[key] as a non-negative integer (0 when absent or not an integer). */
uint64_t vbx_lj_get_u64(const vbx_host_services *h, const vbx_json *obj, const char *key);

#endif
