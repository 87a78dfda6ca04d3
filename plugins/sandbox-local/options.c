/*
 * sandbox-local/options.c - the backend-specific keys of a `sandbox:`
 * block with `backend: local`, and the policy text they become.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "local.h"

static int str_opt(const vbx_host_services *h, const vbx_json *v, const char *key, char **out,
                   vbx_call *call) {
  if (h->json_type(v) != VBX_JSON_STRING || h->json_string_length(v) == 0 ||
      h->json_string_length(v) > 4000)
    return h->set_error(call, VBX_E_SPEC, key, "sandbox option '%s' must be a non-empty string",
                        key);
  *out = strdup(h->json_string_value(v));
  return *out ? 0 : h->set_error(call, VBX_E_NOMEM, key, "out of memory");
}

static int list_opt(const vbx_host_services *h, const vbx_json *v, const char *key, char **out,
                    size_t *n, int absolute, vbx_call *call) {
  if (h->json_type(v) != VBX_JSON_ARRAY || h->json_array_size(v) > LOCAL_MAX_LIST)
    return h->set_error(call, VBX_E_SPEC, key,
                        "sandbox option '%s' must be a list of at most %d strings", key,
                        LOCAL_MAX_LIST);
  for (size_t i = 0; i < h->json_array_size(v); i++) {
    const vbx_json *e = h->json_array_get(v, i);
    const char *s = h->json_string_value(e);
    if (s == NULL || s[0] == '\0' || strlen(s) > 250 || strchr(s, '\n') || strchr(s, '#') ||
        (absolute && s[0] != '/'))
      return h->set_error(call, VBX_E_SPEC, key,
                          "sandbox option '%s': entry %zu must be a%s string without '#' or "
                          "newlines, at most 250 bytes",
                          key, i, absolute ? "n absolute path" : " non-empty");
    if ((out[(*n)++] = strdup(s)) == NULL)
      return h->set_error(call, VBX_E_NOMEM, key, "out of memory");
  }
  return 0;
}

static int u_opt(const vbx_host_services *h, const vbx_json *v, const char *key, uint64_t max,
                 uint64_t *out, vbx_call *call) {
  if (h->json_type(v) != VBX_JSON_INTEGER || h->json_integer_value(v) < 0 ||
      (uint64_t)h->json_integer_value(v) > max)
    return h->set_error(call, VBX_E_SPEC, key,
                        "sandbox option '%s' must be an integer in 0..%llu", key,
                        (unsigned long long)max);
  *out = (uint64_t)h->json_integer_value(v);
  return 0;
}

int local_options_parse(const vbx_host_services *h, const vbx_json *o, local_options *out,
                        vbx_call *call) {
  memset(out, 0, sizeof *out);
  out->uid = out->gid = 65534;
  out->max_procs = 256;
  out->handshake_timeout_ms = 10000;
  if (o == NULL)
    return 0;
  if (h->json_type(o) != VBX_JSON_OBJECT)
    return h->set_error(call, VBX_E_SPEC, NULL, "sandbox options must be a map");
  vbx_json *v;
  const char *k;
  int rc = 0;
  for (size_t i = 0; rc == 0 && (k = h->json_object_key_at(o, i, &v)) != NULL; i++) {
    uint64_t u = 0;
    if (strcmp(k, "agent_path") == 0)
      rc = str_opt(h, v, k, &out->agent_path, call);
    else if (strcmp(k, "work_root") == 0)
      rc = str_opt(h, v, k, &out->work_root, call);
    else if (strcmp(k, "allow") == 0)
      rc = list_opt(h, v, k, out->allow, &out->n_allow, 0, call);
    else if (strcmp(k, "writable") == 0)
      rc = list_opt(h, v, k, out->writable, &out->n_writable, 1, call);
    else if (strcmp(k, "uid") == 0 && (rc = u_opt(h, v, k, 0xfffffffe, &u, call)) == 0)
      out->uid = (uint32_t)u;
    else if (strcmp(k, "gid") == 0 && (rc = u_opt(h, v, k, 0xfffffffe, &u, call)) == 0)
      out->gid = (uint32_t)u;
    else if (strcmp(k, "max_procs") == 0 && (rc = u_opt(h, v, k, 1000000, &u, call)) == 0)
      out->max_procs = u ? (uint32_t)u : 256;
    else if (strcmp(k, "max_output_bytes") == 0 &&
             (rc = u_opt(h, v, k, UINT64_MAX >> 1, &u, call)) == 0)
      out->max_output_bytes = u;
    else if (strcmp(k, "handshake_timeout_ms") == 0 &&
             (rc = u_opt(h, v, k, 600000, &u, call)) == 0)
      out->handshake_timeout_ms = u ? (uint32_t)u : 10000;
    else if (strcmp(k, "agent_path") && strcmp(k, "work_root") && strcmp(k, "allow") &&
             strcmp(k, "writable") && strcmp(k, "uid") && strcmp(k, "gid") &&
             strcmp(k, "max_procs") && strcmp(k, "max_output_bytes") &&
             strcmp(k, "handshake_timeout_ms"))
      rc = h->set_error(call, VBX_E_SPEC, k,
                        "unknown option '%s' for sandbox backend 'local' (known: agent_path, "
                        "work_root, allow, writable, uid, gid, max_procs, max_output_bytes, "
                        "handshake_timeout_ms)",
                        k);
  }
  if (rc != 0)
    local_options_clear(out);
  return rc;
}

void local_options_clear(local_options *o) {
  free(o->agent_path);
  free(o->work_root);
  for (size_t i = 0; i < o->n_allow; i++)
    free(o->allow[i]);
  for (size_t i = 0; i < o->n_writable; i++)
    free(o->writable[i]);
  memset(o, 0, sizeof *o);
}

char *local_policy_text(const vbx_host_services *h, const local_options *o) {
  size_t cap = 1024 + (o->n_allow + o->n_writable) * 270;
  char *t = h->alloc(cap);
  if (t == NULL)
    return NULL;
  size_t n = 0;
  n += (size_t)snprintf(t + n, cap - n,
                        "# written by sandbox-local\nuid = %u\ngid = %u\nmax_procs = %u\n"
                        "rlimit.core = 0\nrlimit.nofile = 4096\n",
                        o->uid, o->gid, o->max_procs);
  if (o->max_output_bytes)
    n += (size_t)snprintf(t + n, cap - n, "max_output_bytes = %llu\n",
                          (unsigned long long)o->max_output_bytes);
  if (o->n_allow == 0)
    n += (size_t)snprintf(t + n, cap - n, "allow = *\n");
  for (size_t i = 0; i < o->n_allow; i++)
    n += (size_t)snprintf(t + n, cap - n, "allow = %s\n", o->allow[i]);
  for (size_t i = 0; i < o->n_writable; i++)
    n += (size_t)snprintf(t + n, cap - n, "writable = %s\n", o->writable[i]);
  return t;
}
