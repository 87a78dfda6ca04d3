/*
 * guest-session/gs_options.c - a backend's whole `sandbox:` block from a
 * table of its keys (policy.h): the policy keys first, then the table's,
 * each checked with the sandbox family's wording, anything else refused
 * with the list of what is known.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static void *field(void *opts, const gs_option *k) { return (char *)opts + k->offset; }

/* "a, b, c" of the table's keys into out. */
static void known_keys(const gs_options_spec *spec, char *out, size_t cap) {
  size_t n = 0;
  out[0] = '\0';
  for (size_t i = 0; i < spec->n_keys && n < cap; i++)
    n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", spec->keys[i].key);
}

/* GS_OPT_CHOICE: the index of v's string in k->choices, else VBX_E_SPEC
 * "sandbox option 'KEY' must be a, b or c". */
static int parse_choice(const vbx_host_services *h, const gs_option *k, const vbx_json *v, int *out,
                        vbx_call *call) {
  const char *s = h->json_string_value(v);
  char list[200];
  size_t n = 0;
  list[0] = '\0';
  for (int i = 0; k->choices[i] != NULL; i++) {
    if (s != NULL && strcmp(s, k->choices[i]) == 0) {
      *out = i;
      return 0;
    }
    if (n < sizeof list)
      n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
                            i == 0              ? ""
                            : k->choices[i + 1] ? ", "
                                                : " or ",
                            k->choices[i]);
  }
  return h->set_error(call, VBX_E_SPEC, k->key, "sandbox option '%s' must be %s", k->key, list);
}

static int parse_key(const vbx_host_services *h, const gs_option *k, const vbx_json *v, void *opts,
                     vbx_call *call) {
  uint64_t u = 0;
  int rc;
  switch (k->kind) {
  case GS_OPT_STRING: return guest_opt_string(h, v, k->key, field(opts, k), call);
  case GS_OPT_BOOL:
    if (h->json_type(v) != VBX_JSON_BOOL)
      return h->set_error(call, VBX_E_SPEC, k->key, "sandbox option '%s' must be true or false",
                          k->key);
    *(int *)field(opts, k) = h->json_is_true(v) != 0;
    return 0;
  case GS_OPT_MS:
    if ((rc = guest_opt_uint(h, v, k->key, k->max, &u, call)) == 0)
      *(uint32_t *)field(opts, k) = u ? (uint32_t)u : k->dflt;
    return rc;
  default: return parse_choice(h, k, v, field(opts, k), call);
  }
}

int gs_options_parse(const vbx_host_services *h, const gs_options_spec *spec, const vbx_json *o,
                     void *out, vbx_call *call) {
  guest_policy *pol = (guest_policy *)((char *)out + spec->pol_offset);
  memset(out, 0, spec->size);
  guest_policy_defaults(pol);
  for (size_t i = 0; i < spec->n_keys; i++)
    if (spec->keys[i].kind == GS_OPT_MS)
      *(uint32_t *)field(out, &spec->keys[i]) = spec->keys[i].dflt;
  if (o == NULL) return 0;
  if (h->json_type(o) != VBX_JSON_OBJECT)
    return h->set_error(call, VBX_E_SPEC, NULL, "sandbox options must be a map");
  vbx_json *v;
  const char *k;
  int rc = 0;
  for (size_t i = 0; rc == 0 && (k = h->json_object_key_at(o, i, &v)) != NULL; i++) {
    int prc = guest_policy_option(h, k, v, pol, call);
    if (prc <= 0) {
      rc = prc;
      continue;
    }
    const gs_option *key = NULL;
    for (size_t j = 0; key == NULL && j < spec->n_keys; j++)
      if (strcmp(k, spec->keys[j].key) == 0) key = &spec->keys[j];
    if (key != NULL) {
      rc = parse_key(h, key, v, out, call);
    } else {
      char known[300];
      known_keys(spec, known, sizeof known);
      rc = h->set_error(
          call, VBX_E_SPEC, k,
          "unknown option '%s' for sandbox backend '%s' (known: %s, " GUEST_POLICY_KEYS ")", k,
          spec->backend, known);
    }
  }
  if (rc != 0) gs_options_clear(spec, out);
  return rc;
}

void gs_options_clear(const gs_options_spec *spec, void *opts) {
  for (size_t i = 0; i < spec->n_keys; i++)
    if (spec->keys[i].kind == GS_OPT_STRING) free(*(char **)field(opts, &spec->keys[i]));
  guest_policy_clear((guest_policy *)((char *)opts + spec->pol_offset));
  memset(opts, 0, spec->size);
}
