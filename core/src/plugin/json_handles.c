/*
 * plugin/json_handles.c - the JSON members of vbx_host_services. A
 * vbx_json* is a jansson json_t* cast to an opaque type; no jansson type
 * crosses the ABI. Objects iterate in insertion order (jansson keeps
 * objects ordered since 2.8).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/internal.h"

#define J(v) ((json_t *)(v))
#define V(j) ((vbx_json *)(j))

static vbx_json *js_parse(const char *text, size_t len, vbx_call *call) {
  if (text == NULL) {
    vbx__call_fail(call, VBX_E_INVAL, NULL, "JSON parse: no text");
    return NULL;
  }
  json_error_t e;
  json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
  if (j == NULL)
    vbx__call_fail(call, VBX_E_PROTOCOL, NULL, "JSON parse error at line %d column %d: %s", e.line,
                   e.column, e.text);
  return V(j);
}

static char *js_dump(const vbx_json *v) {
  if (v == NULL) return NULL;
  return json_dumps(J(v), JSON_COMPACT | JSON_ENCODE_ANY);
}

static vbx_json *js_incref(vbx_json *v) { return V(json_incref(J(v))); }
static void js_decref(vbx_json *v) { json_decref(J(v)); }

static vbx_json_type js_type(const vbx_json *v) {
  switch (v ? json_typeof(J(v)) : JSON_NULL) {
  case JSON_OBJECT: return VBX_JSON_OBJECT;
  case JSON_ARRAY: return VBX_JSON_ARRAY;
  case JSON_STRING: return VBX_JSON_STRING;
  case JSON_INTEGER: return VBX_JSON_INTEGER;
  case JSON_REAL: return VBX_JSON_REAL;
  case JSON_TRUE:
  case JSON_FALSE: return VBX_JSON_BOOL;
  case JSON_NULL: break;
  }
  return VBX_JSON_NULL;
}

static vbx_json *js_object_get(const vbx_json *obj, const char *key) {
  return key ? V(json_object_get(J(obj), key)) : NULL;
}

static size_t js_object_size(const vbx_json *obj) { return json_object_size(J(obj)); }

static const char *js_object_key_at(const vbx_json *obj, size_t idx, vbx_json **value) {
  if (value) *value = NULL;
  if (!json_is_object(J(obj))) return NULL;
  void *it = json_object_iter(J(obj));
  for (size_t i = 0; it != NULL && i < idx; i++)
    it = json_object_iter_next(J(obj), it);
  if (it == NULL) return NULL;
  if (value) *value = V(json_object_iter_value(it));
  return json_object_iter_key(it);
}

static size_t js_array_size(const vbx_json *arr) { return json_array_size(J(arr)); }

static vbx_json *js_array_get(const vbx_json *arr, size_t idx) {
  return V(json_array_get(J(arr), idx));
}

static const char *js_string_value(const vbx_json *v) { return json_string_value(J(v)); }
static size_t js_string_length(const vbx_json *v) { return json_string_length(J(v)); }
static int64_t js_integer_value(const vbx_json *v) { return (int64_t)json_integer_value(J(v)); }
static double js_number_value(const vbx_json *v) { return json_number_value(J(v)); }
static int js_is_true(const vbx_json *v) { return json_is_true(J(v)); }
static vbx_json *js_object_new(void) { return V(json_object()); }
static vbx_json *js_array_new(void) { return V(json_array()); }

static vbx_json *js_string_new(const char *s, size_t len) {
  return s ? V(json_stringn(s, len)) : NULL; /* NULL for invalid UTF-8 */
}

static vbx_json *js_integer_new(int64_t v) { return V(json_integer((json_int_t)v)); }
static vbx_json *js_real_new(double v) { return V(json_real(v)); }
static vbx_json *js_bool_new(int v) { return V(json_boolean(v)); }
static vbx_json *js_null_new(void) { return V(json_null()); }

static int js_object_set(vbx_json *obj, const char *key, vbx_json *value) {
  if (obj == NULL || key == NULL || value == NULL) {
    json_decref(J(value));
    return VBX_E_INVAL;
  }
  return json_object_set_new(J(obj), key, J(value)) == 0 ? 0 : VBX_E_INVAL;
}

static int js_array_append(vbx_json *arr, vbx_json *value) {
  if (arr == NULL || value == NULL) {
    json_decref(J(value));
    return VBX_E_INVAL;
  }
  return json_array_append_new(J(arr), J(value)) == 0 ? 0 : VBX_E_INVAL;
}

void vbx__json_fill(vbx_host_services *h) {
  h->json_parse = js_parse;
  h->json_dump = js_dump;
  h->json_incref = js_incref;
  h->json_decref = js_decref;
  h->json_type = js_type;
  h->json_object_get = js_object_get;
  h->json_object_size = js_object_size;
  h->json_object_key_at = js_object_key_at;
  h->json_array_size = js_array_size;
  h->json_array_get = js_array_get;
  h->json_string_value = js_string_value;
  h->json_string_length = js_string_length;
  h->json_integer_value = js_integer_value;
  h->json_number_value = js_number_value;
  h->json_is_true = js_is_true;
  h->json_object_new = js_object_new;
  h->json_array_new = js_array_new;
  h->json_string_new = js_string_new;
  h->json_integer_new = js_integer_new;
  h->json_real_new = js_real_new;
  h->json_bool_new = js_bool_new;
  h->json_null_new = js_null_new;
  h->json_object_set = js_object_set;
  h->json_array_append = js_array_append;
}
