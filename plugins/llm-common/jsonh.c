/*
 * llm-common/jsonh.c - JSON helpers over host services (see jsonh.h).
 */
#include "jsonh.h"

#include <string.h>

void vbx_lj_set(vbx_lj *b, vbx_json *obj, const char *key, vbx_json *v) {
  if (!v || !obj) {
    b->failed = 1;
    if (v) b->h->json_decref(v);
    return;
  }
  if (b->h->json_object_set(obj, key, v) != 0) b->failed = 1;
}

void vbx_lj_push(vbx_lj *b, vbx_json *arr, vbx_json *v) {
  if (!v || !arr) {
    b->failed = 1;
    if (v) b->h->json_decref(v);
    return;
  }
  if (b->h->json_array_append(arr, v) != 0) b->failed = 1;
}

vbx_json *vbx_lj_str(vbx_lj *b, const char *s) {
  vbx_json *v = s ? b->h->json_string_new(s, strlen(s)) : NULL;
  if (!v) b->failed = 1;
  return v;
}

vbx_json *vbx_lj_ref(vbx_lj *b, const vbx_json *v) {
  vbx_json *r = v ? b->h->json_incref((vbx_json *)v) : NULL;
  if (!r) b->failed = 1;
  return r;
}

vbx_json *vbx_lj_obj(vbx_lj *b) {
  vbx_json *v = b->h->json_object_new();
  if (!v) b->failed = 1;
  return v;
}

vbx_json *vbx_lj_arr(vbx_lj *b) {
  vbx_json *v = b->h->json_array_new();
  if (!v) b->failed = 1;
  return v;
}

const char *vbx_lj_get_str(const vbx_host_services *h, const vbx_json *obj, const char *key) {
  if (!obj || h->json_type(obj) != VBX_JSON_OBJECT) return NULL;
  vbx_json *v = h->json_object_get(obj, key);
  return v ? h->json_string_value(v) : NULL;
}

vbx_json *vbx_lj_get_typed(const vbx_host_services *h, const vbx_json *obj, const char *key,
                           vbx_json_type type) {
  if (!obj || h->json_type(obj) != VBX_JSON_OBJECT) return NULL;
  vbx_json *v = h->json_object_get(obj, key);
  return v && h->json_type(v) == type ? v : NULL;
}

uint64_t vbx_lj_get_u64(const vbx_host_services *h, const vbx_json *obj, const char *key) {
  vbx_json *v = vbx_lj_get_typed(h, obj, key, VBX_JSON_INTEGER);
  if (!v) return 0;
  int64_t i = h->json_integer_value(v);
  return i > 0 ? (uint64_t)i : 0;
}
