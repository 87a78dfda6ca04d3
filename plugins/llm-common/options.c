/*
 * llm-common/options.c - provider option validation (see options.h).
 */
#include "options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "popt.h"

static int apply(const vbx_host_services *h, const char *key, const vbx_json *v, unsigned flags,
                 vbx_llm_opts *o, vbx_call *call) {
  /* the providers' wording: "option 'KEY' must be ...", VBX_E_INVAL at the key */
  char what[64];
  vbx_popt p = vbx_popt_option(h, call, key, what, sizeof(what));
  int64_t i = 0;
  int rc;
  if (!strcmp(key, "max_tokens")) {
    if ((rc = vbx_popt_int(&p, v, 1, 1000000, &i))) return rc;
    o->max_tokens = (uint32_t)i;
  } else if (!strcmp(key, "temperature")) {
    vbx_json_type t = h->json_type(v);
    double d = h->json_number_value(v);
    if ((t != VBX_JSON_INTEGER && t != VBX_JSON_REAL) || !isfinite(d) || d < 0 || d > 2)
      return h->set_error(call, VBX_E_INVAL, key,
                          "option 'temperature' must be a number from 0 to 2");
    o->has_temperature = 1;
    o->temperature = d;
  } else if (!strcmp(key, "stream")) {
    if ((rc = vbx_popt_bool(&p, v, &o->stream))) return rc;
  } else if (!strcmp(key, "max_retries")) {
    if ((rc = vbx_popt_int(&p, v, 0, 10, &i))) return rc;
    o->max_retries = (unsigned)i;
  } else if (!strcmp(key, "retry_base_ms")) {
    if ((rc = vbx_popt_int(&p, v, 1, 60000, &i))) return rc;
    o->retry_base_ms = (uint32_t)i;
  } else if (!strcmp(key, "connect_timeout_ms")) {
    if ((rc = vbx_popt_int(&p, v, 1, 600000, &i))) return rc;
    o->connect_timeout_ms = (uint32_t)i;
  } else if (!strcmp(key, "idle_timeout_ms")) {
    if ((rc = vbx_popt_int(&p, v, 1, 3600000, &i))) return rc;
    o->idle_timeout_ms = (uint32_t)i;
  } else if (!strcmp(key, "max_response_bytes")) {
    if ((rc = vbx_popt_int(&p, v, 1024, (int64_t)1 << 30, &i))) return rc;
    o->max_response_bytes = (size_t)i;
  } else if (!strcmp(key, "pricing_file")) {
    return vbx_popt_string(&p, v, 1, 4096, &o->pricing_file);
  } else if ((flags & VBX_LLM_OPT_OLLAMA) && !strcmp(key, "num_ctx")) {
    if ((rc = vbx_popt_int(&p, v, 1, 10000000, &i))) return rc;
    o->num_ctx = i;
  } else if ((flags & VBX_LLM_OPT_OLLAMA) && !strcmp(key, "keep_alive")) {
    return vbx_popt_string(&p, v, 1, 4096, &o->keep_alive);
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
