/*
 * tests/unit/llm/fake_host.c - jansson-backed host services for unit tests.
 */
#include "fake_host.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int fake_logs;

static void f_log(vbx_plugin_ctx *ctx, vbx_log_level l, const char *fmt, ...) {
  (void)ctx;
  (void)l;
  (void)fmt;
  fake_logs++;
}
static void *f_alloc(size_t n) { return calloc(1, n ? n : 1); }
static char *f_strdup(const char *s) { return strdup(s); }
static char *f_strndup(const char *s, size_t n) { return strndup(s, n); }
#define J(v) ((json_t *)(v))
#define V(j) ((vbx_json *)(j))
static vbx_json *f_parse(const char *t, size_t n, vbx_call *c) {
  (void)c;
  return V(json_loadb(t, n, JSON_DECODE_ANY, NULL));
}
static char *f_dump(const vbx_json *v) { return json_dumps(J(v), JSON_COMPACT | JSON_ENCODE_ANY); }
static vbx_json *f_incref(vbx_json *v) { return V(json_incref(J(v))); }
static void f_decref(vbx_json *v) { json_decref(J(v)); }
static vbx_json_type f_type(const vbx_json *v) {
  switch (json_typeof(J(v))) {
  case JSON_OBJECT: return VBX_JSON_OBJECT;
  case JSON_ARRAY: return VBX_JSON_ARRAY;
  case JSON_STRING: return VBX_JSON_STRING;
  case JSON_INTEGER: return VBX_JSON_INTEGER;
  case JSON_REAL: return VBX_JSON_REAL;
  case JSON_TRUE:
  case JSON_FALSE: return VBX_JSON_BOOL;
  default: return VBX_JSON_NULL;
  }
}
static vbx_json *f_oget(const vbx_json *o, const char *k) { return V(json_object_get(J(o), k)); }
static size_t f_osize(const vbx_json *o) { return json_object_size(J(o)); }
static const char *f_okey(const vbx_json *o, size_t idx, vbx_json **val) {
  const char *k;
  json_t *v;
  size_t i = 0;
  json_object_foreach(J(o), k, v) {
    if (i++ == idx) {
      if (val) *val = V(v);
      return k;
    }
  }
  return NULL;
}
static size_t f_asize(const vbx_json *a) { return json_array_size(J(a)); }
static vbx_json *f_aget(const vbx_json *a, size_t i) { return V(json_array_get(J(a), i)); }
static const char *f_sval(const vbx_json *v) { return json_string_value(J(v)); }
static size_t f_slen(const vbx_json *v) { return json_string_length(J(v)); }
static int64_t f_ival(const vbx_json *v) { return json_integer_value(J(v)); }
static double f_nval(const vbx_json *v) { return json_number_value(J(v)); }
static int f_true(const vbx_json *v) { return json_is_true(J(v)); }
static vbx_json *f_onew(void) { return V(json_object()); }
static vbx_json *f_anew(void) { return V(json_array()); }
static vbx_json *f_snew(const char *s, size_t n) { return V(json_stringn(s, n)); }
static vbx_json *f_inew(int64_t i) { return V(json_integer(i)); }
static vbx_json *f_rnew(double d) { return V(json_real(d)); }
static vbx_json *f_bnew(int b) { return V(json_boolean(b)); }
static vbx_json *f_nnew(void) { return V(json_null()); }
static int f_oset(vbx_json *o, const char *k, vbx_json *v) {
  return json_object_set_new(J(o), k, J(v));
}
static int f_apush(vbx_json *a, vbx_json *v) { return json_array_append_new(J(a), J(v)); }
static int f_set_error(vbx_call *call, int code, const char *field, const char *fmt, ...) {
  fake_call *c = (fake_call *)call;
  if (!c) return code;
  c->code = code;
  snprintf(c->field, sizeof(c->field), "%s", field ? field : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->message, sizeof(c->message), fmt, ap);
  va_end(ap);
  return code;
}
static int f_cancelled(const vbx_call *call) {
  return call && ((const fake_call *)call)->cancelled;
}
static uint64_t f_deadline(const vbx_call *call) {
  (void)call;
  return 0;
}
static uint64_t f_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
static uint64_t f_real(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const vbx_host_services *fake_host(void) {
  static vbx_host_services h;
  if (!h.struct_size) {
    h.struct_size = sizeof(h);
    h.abi_major = VBX_ABI_MAJOR;
    h.abi_minor = VBX_ABI_MINOR;
    h.log = f_log;
    h.alloc = f_alloc;
    h.realloc = realloc;
    h.free = free;
    h.strdup = f_strdup;
    h.strndup = f_strndup;
    h.json_parse = f_parse;
    h.json_dump = f_dump;
    h.json_incref = f_incref;
    h.json_decref = f_decref;
    h.json_type = f_type;
    h.json_object_get = f_oget;
    h.json_object_size = f_osize;
    h.json_object_key_at = f_okey;
    h.json_array_size = f_asize;
    h.json_array_get = f_aget;
    h.json_string_value = f_sval;
    h.json_string_length = f_slen;
    h.json_integer_value = f_ival;
    h.json_number_value = f_nval;
    h.json_is_true = f_true;
    h.json_object_new = f_onew;
    h.json_array_new = f_anew;
    h.json_string_new = f_snew;
    h.json_integer_new = f_inew;
    h.json_real_new = f_rnew;
    h.json_bool_new = f_bnew;
    h.json_null_new = f_nnew;
    h.json_object_set = f_oset;
    h.json_array_append = f_apush;
    h.set_error = f_set_error;
    h.is_cancelled = f_cancelled;
    h.deadline_ns = f_deadline;
    h.monotonic_ns = f_mono;
    h.realtime_ns = f_real;
  }
  return &h;
}
