/*
 * llm-common/options.c - provider option validation (see options.h).
 */
#include "options.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int want_int(const vbx_host_services *h, const vbx_json *v, const char *key, int64_t lo,
                    int64_t hi, int64_t *out, vbx_call *call) {
  if (h->json_type(v) != VBX_JSON_INTEGER)
    return h->set_error(call, VBX_E_INVAL, key, "option '%s' must be an integer", key);
  int64_t i = h->json_integer_value(v);
  if (i < lo || i > hi)
    return h->set_error(call, VBX_E_INVAL, key, "option '%s' must be between %lld and %lld (got %lld)",
                        key, (long long)lo, (long long)hi, (long long)i);
  *out = i;
  return 0;
}

static int want_str(const vbx_host_services *h, const vbx_json *v, const char *key, char **out,
                    vbx_call *call) {
  const char *s = h->json_string_value(v);
  if (!s || !*s || strlen(s) > 4096)
    return h->set_error(call, VBX_E_INVAL, key, "option '%s' must be a non-empty string", key);
  free(*out);
  *out = strdup(s);
  if (!*out) return h->set_error(call, VBX_E_NOMEM, key, "out of memory");
  return 0;
}

static int apply(const vbx_host_services *h, const char *key, const vbx_json *v, unsigned flags,
                 vbx_llm_opts *o, vbx_call *call) {
  int64_t i = 0;
  int rc;
  if (!strcmp(key, "max_tokens")) {
    if ((rc = want_int(h, v, key, 1, 1000000, &i, call))) return rc;
    o->max_tokens = (uint32_t)i;
  } else if (!strcmp(key, "temperature")) {
    vbx_json_type t = h->json_type(v);
    double d = h->json_number_value(v);
    if ((t != VBX_JSON_INTEGER && t != VBX_JSON_REAL) || !isfinite(d) || d < 0 || d > 2)
      return h->set_error(call, VBX_E_INVAL, key, "option 'temperature' must be a number from 0 to 2");
    o->has_temperature = 1;
    o->temperature = d;
  } else if (!strcmp(key, "stream")) {
    vbx_json_type t = h->json_type(v);
    if (t != VBX_JSON_BOOL)
      return h->set_error(call, VBX_E_INVAL, key, "option 'stream' must be true or false");
    o->stream = h->json_is_true(v) ? 1 : 0;
  } else if (!strcmp(key, "max_retries")) {
    if ((rc = want_int(h, v, key, 0, 10, &i, call))) return rc;
    o->max_retries = (unsigned)i;
  } else if (!strcmp(key, "retry_base_ms")) {
    if ((rc = want_int(h, v, key, 1, 60000, &i, call))) return rc;
    o->retry_base_ms = (uint32_t)i;
  } else if (!strcmp(key, "connect_timeout_ms")) {
    if ((rc = want_int(h, v, key, 1, 600000, &i, call))) return rc;
    o->connect_timeout_ms = (uint32_t)i;
  } else if (!strcmp(key, "idle_timeout_ms")) {
    if ((rc = want_int(h, v, key, 1, 3600000, &i, call))) return rc;
    o->idle_timeout_ms = (uint32_t)i;
  } else if (!strcmp(key, "max_response_bytes")) {
    if ((rc = want_int(h, v, key, 1024, (int64_t)1 << 30, &i, call))) return rc;
    o->max_response_bytes = (size_t)i;
  } else if (!strcmp(key, "pricing_file")) {
    return want_str(h, v, key, &o->pricing_file, call);
  } else if ((flags & VBX_LLM_OPT_OLLAMA) && !strcmp(key, "num_ctx")) {
    if ((rc = want_int(h, v, key, 1, 10000000, &i, call))) return rc;
    o->num_ctx = i;
  } else if ((flags & VBX_LLM_OPT_OLLAMA) && !strcmp(key, "keep_alive")) {
    return want_str(h, v, key, &o->keep_alive, call);
  } else {
    return h->set_error(call, VBX_E_INVAL, key, "unknown option '%s'", key);
  }
  return 0;
}

int vbx_llm_opts_parse(const vbx_host_services *h, const vbx_json *options, unsigned flags,
                       vbx_llm_opts *out, vbx_call *call) {
  memset(out, 0, sizeof(*out));
  out->stream = 1;
  out->max_retries = 3;
  out->retry_base_ms = 500;
  out->connect_timeout_ms = 10000;
  out->idle_timeout_ms = 120000;
  out->max_response_bytes = (size_t)32 << 20;
  if (!options) return 0;
  if (h->json_type(options) != VBX_JSON_OBJECT)
    return h->set_error(call, VBX_E_INVAL, NULL, "provider options must be an object");
  int rc = 0;
  vbx_json *v = NULL;
  const char *key;
  for (size_t i = 0; (key = h->json_object_key_at(options, i, &v)) != NULL; i++) {
    rc = apply(h, key, v, flags, out, call);
    if (rc) break;
  }
  if (rc) vbx_llm_opts_free(out);
  return rc;
}

void vbx_llm_opts_free(vbx_llm_opts *o) {
  free(o->pricing_file);
  free(o->keep_alive);
  o->pricing_file = o->keep_alive = NULL;
}
