/*
 * options/popt.c - one plugin option value checked (see popt.h).
 */
#include "popt.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

int vbx_popt_string(const vbx_popt *o, const vbx_json *v, size_t min_len, size_t max_len,
                    char **out) {
  const vbx_host_services *h = o->h;
  const char *rule = min_len > 0 ? "a non-empty string" : "a string";
  if (h->json_type(v) != VBX_JSON_STRING)
    return h->set_error(o->call, o->code, o->field, "%s must be %s", o->what, rule);
  size_t len = h->json_string_length(v);
  if (len > max_len && o->precise == VBX_POPT_PRECISE)
    return h->set_error(o->call, VBX_E_TOOBIG, o->field, "%s is %zu bytes, over the %zu-byte limit",
                        o->what, len, max_len);
  if (len < min_len || len > max_len)
    return h->set_error(o->call, o->code, o->field, "%s must be %s", o->what, rule);
  char *s = malloc(len + 1);
  if (s == NULL) return h->set_error(o->call, VBX_E_NOMEM, o->field, "out of memory");
  memcpy(s, h->json_string_value(v), len);
  s[len] = '\0';
  free(*out);
  *out = s;
  return 0;
}

int vbx_popt_int(const vbx_popt *o, const vbx_json *v, int64_t lo, int64_t hi, int64_t *out) {
  const vbx_host_services *h = o->h;
  int is_int = h->json_type(v) == VBX_JSON_INTEGER;
  int64_t n = is_int ? h->json_integer_value(v) : 0;
  if (is_int && n >= lo && n <= hi) {
    *out = n;
    return 0;
  }
  if (o->precise == VBX_POPT_TERSE)
    return h->set_error(o->call, o->code, o->field, "%s must be an integer in %lld..%lld", o->what,
                        (long long)lo, (long long)hi);
  if (!is_int) return h->set_error(o->call, o->code, o->field, "%s must be an integer", o->what);
  if (o->precise == VBX_POPT_BETWEEN)
    return h->set_error(o->call, o->code, o->field, "%s must be between %lld and %lld (got %lld)",
                        o->what, (long long)lo, (long long)hi, (long long)n);
  return h->set_error(o->call, o->code, o->field, "%s is %lld, must be %lld..%lld", o->what,
                      (long long)n, (long long)lo, (long long)hi);
}

int vbx_popt_bool(const vbx_popt *o, const vbx_json *v, int *out) {
  if (o->h->json_type(v) != VBX_JSON_BOOL)
    return o->h->set_error(o->call, o->code, o->field, "%s must be true or false", o->what);
  *out = o->h->json_is_true(v) != 0;
  return 0;
}

int vbx_popt_none(const vbx_host_services *h, const vbx_json *options, const char *who,
                  vbx_call *call) {
  if (options == NULL || h->json_type(options) != VBX_JSON_OBJECT) return 0;
  vbx_json *v;
  const char *key = h->json_object_key_at(options, 0, &v);
  if (key != NULL) return h->set_error(call, VBX_E_INVAL, key, "%s takes no option `%s`", who, key);
  return 0;
}

vbx_popt vbx_popt_option(const vbx_host_services *h, vbx_call *call, const char *key, char *what,
                         size_t cap) {
  snprintf(what, cap, "option '%s'", key);
  vbx_popt p = {.h = h,
                .call = call,
                .field = key,
                .what = what,
                .code = VBX_E_INVAL,
                .precise = VBX_POPT_BETWEEN};
  return p;
}
