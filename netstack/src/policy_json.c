/*
 * netstack/policy_json.c - a policy from the normalized JSON object the
 * core passes to sandbox backends (policy.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstack/policy.h"

static int list(json_t *doc, const char *key, bool deny, vbx_np_entry **out, size_t *n, char *err,
                size_t cap) {
  json_t *a = json_object_get(doc, key);
  *out = NULL;
  *n = 0;
  if (a == NULL) return 0;
  if (!json_is_array(a) || json_array_size(a) > VBX_NP_MAX_ENTRIES) {
    snprintf(err, cap, "%s: expected a list of at most %d entries", key, VBX_NP_MAX_ENTRIES);
    return -1;
  }
  *out = calloc(json_array_size(a) + 1, sizeof **out);
  if (*out == NULL) {
    snprintf(err, cap, "out of memory");
    return -1;
  }
  for (size_t i = 0; i < json_array_size(a); i++) {
    const char *s = json_string_value(json_array_get(a, i));
    char why[200];
    if (s == NULL) {
      snprintf(err, cap, "%s[%zu]: expected a string", key, i);
      return -1;
    }
    if (vbx_np_list_entry_parse(s, deny, &(*out)[i], why, sizeof why) != 0) {
      snprintf(err, cap, "%s[%zu]: %s", key, i, why);
      return -1;
    }
    (*n)++;
  }
  return 0;
}

static int number(json_t *doc, const char *key, uint32_t lo, uint32_t hi, uint32_t *out, char *err,
                  size_t cap) {
  json_t *v = json_object_get(doc, key);
  if (v == NULL) return 0;
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
    snprintf(err, cap, "%s: expected an integer from %u to %u", key, lo, hi);
    return -1;
  }
  *out = (uint32_t)json_integer_value(v);
  return 0;
}

int vbx_netpolicy_from_json(const char *json, vbx_netpolicy *out, char *err, size_t errcap) {
  static const char *const known[] = {"allow",           "deny", "dns", "max_connections",
                                      "rate_limit_kbps", NULL};
  memset(out, 0, sizeof *out);
  out->max_connections = VBX_NP_DEFAULT_MAX_CONNECTIONS;
  json_error_t jerr;
  json_t *doc = json_loads(json != NULL ? json : "{}", JSON_REJECT_DUPLICATES, &jerr);
  if (doc == NULL || !json_is_object(doc)) {
    if (doc == NULL)
      snprintf(err, errcap, "network policy: bad JSON at line %d column %d: %s", jerr.line,
               jerr.column, jerr.text);
    else
      snprintf(err, errcap, "network policy: expected a JSON object");
    json_decref(doc);
    return -1;
  }
  int rc = 0;
  const char *key;
  json_t *val;
  json_object_foreach(doc, key, val) {
    size_t i = 0;
    while (known[i] != NULL && strcmp(known[i], key) != 0)
      i++;
    if (known[i] == NULL) {
      snprintf(err, errcap, "network policy: unknown key '%.60s'", key);
      rc = -1;
      break;
    }
  }
  if (rc == 0) rc = list(doc, "allow", false, &out->allow, &out->n_allow, err, errcap);
  out->allow_list = json_object_get(doc, "allow") != NULL;
  if (rc == 0) rc = list(doc, "deny", true, &out->deny, &out->n_deny, err, errcap);
  json_t *dns = json_object_get(doc, "dns");
  if (rc == 0 && dns != NULL && (!json_is_array(dns) || json_array_size(dns) > VBX_NP_MAX_DNS)) {
    snprintf(err, errcap, "dns: expected a list of at most %d servers", VBX_NP_MAX_DNS);
    rc = -1;
  }
  for (size_t i = 0; rc == 0 && dns != NULL && i < json_array_size(dns); i++) {
    const char *s = json_string_value(json_array_get(dns, i));
    char why[200];
    if (s == NULL || vbx_np_dns_parse(s, &out->dns[i], why, sizeof why) != 0) {
      snprintf(err, errcap, "dns[%zu]: %s", i, s == NULL ? "expected a string" : why);
      rc = -1;
    } else {
      out->n_dns++;
    }
  }
  if (rc == 0)
    rc = number(doc, "max_connections", 1, VBX_NP_MAX_CONNECTIONS_CAP, &out->max_connections, err,
                errcap);
  if (rc == 0)
    rc = number(doc, "rate_limit_kbps", 0, 10u * 1000 * 1000, &out->rate_limit_kbps, err, errcap);
  json_decref(doc);
  if (rc != 0) vbx_netpolicy_free(out);
  return rc;
}

void vbx_netpolicy_free(vbx_netpolicy *p) {
  free(p->allow);
  free(p->deny);
  p->allow = p->deny = NULL;
  p->n_allow = p->n_deny = 0;
}
