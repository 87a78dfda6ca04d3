/*
 * otlp-common/otlp_attrs.c - the structure every OTLP export request
 * shares: KeyValue attributes, the Resource, instrumentation scopes
 * ("voidbox", "voidbox.plugin.NAME") and the resourceX/scopeX envelope.
 *
 * jansson's json_object_set_new and json_array_append_new consume the value even when they fail,
 * so a value handed to one is never released again here.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_int.h"

json_t *vbx__otlp_kv_str(const char *key, const char *value) {
  json_t *kv = json_object(), *val = json_object();
  if (kv == NULL || val == NULL) goto fail;
  if (json_object_set_new(val, "stringValue", vbx__otlp_str(value)) != 0) goto fail;
  if (json_object_set_new(kv, "key", vbx__otlp_str(key)) != 0) goto fail;
  int rc = json_object_set_new(kv, "value", val);
  val = NULL;
  if (rc != 0) goto fail;
  return kv;
fail:
  json_decref(kv);
  json_decref(val);
  return NULL;
}

/* A KeyValue of the type `type` names ('i' intValue as a decimal string,
 * 'd' doubleValue, 'b' boolValue, else stringValue); a value that does not
 * parse as its type is sent as a string. */
static json_t *kv_typed(const char *key, const char *value, char type) {
  json_t *v = NULL;
  const char *field = NULL;
  char *end = NULL;
  errno = 0;
  if (type == 'i') {
    long long n = strtoll(value, &end, 10);
    if (errno == 0 && end != value && *end == '\0') {
      char buf[32];
      snprintf(buf, sizeof(buf), "%lld", n);
      v = json_string(buf);
      field = "intValue";
    }
  } else if (type == 'd') {
    double d = strtod(value, &end);
    if (errno == 0 && end != value && *end == '\0' && isfinite(d)) {
      v = json_real(d);
      field = "doubleValue";
    }
  } else if (type == 'b' && (strcmp(value, "true") == 0 || strcmp(value, "false") == 0)) {
    v = json_boolean(value[0] == 't');
    field = "boolValue";
  }
  if (field == NULL) return vbx__otlp_kv_str(key, value);
  json_t *kv = json_object(), *val = json_object();
  if (v == NULL || kv == NULL || val == NULL || json_object_set_new(val, field, v) != 0) {
    if (kv == NULL || val == NULL) json_decref(v);
    json_decref(kv);
    json_decref(val);
    return NULL;
  }
  if (json_object_set_new(kv, "key", vbx__otlp_str(key)) != 0 ||
      json_object_set_new(kv, "value", val) != 0) {
    json_decref(kv);
    return NULL;
  }
  return kv;
}

/* Non-zero when the pair at i is shadowed by a later pair with its key. */
static int shadowed(const char *const *attrs, size_t i) {
  for (size_t j = i + 2; attrs[j] != NULL && attrs[j + 1] != NULL; j += 2)
    if (strcmp(attrs[j], attrs[i]) == 0) return 1;
  return 0;
}

int vbx__otlp_attrs_append(json_t *arr, const char *const *attrs) {
  return vbx__otlp_attrs_append_typed(arr, attrs, NULL);
}

int vbx__otlp_attrs_append_typed(json_t *arr, const char *const *attrs, const char *types) {
  size_t n_types = types ? strlen(types) : 0;
  for (size_t i = 0; attrs != NULL && attrs[i] != NULL && attrs[i + 1] != NULL; i += 2) {
    if (attrs[i][0] == '\0' || shadowed(attrs, i)) continue;
    char t = i / 2 < n_types ? types[i / 2] : 's';
    if (json_array_append_new(arr, kv_typed(attrs[i], attrs[i + 1], t)) != 0) return -1;
  }
  return 0;
}

int vbx__otlp_attrs_has(const char *const *attrs, const char *key) {
  for (size_t i = 0; attrs != NULL && attrs[i] != NULL && attrs[i + 1] != NULL; i += 2)
    if (strcmp(attrs[i], key) == 0) return 1;
  return 0;
}

json_t *vbx__otlp_resource(const vbx_otlp_resource *res) {
  json_t *r = json_object(), *attrs = json_array();
  const char *const *a = res ? res->attrs : NULL;
  if (r == NULL || attrs == NULL) goto fail;
  if (res && res->service_name && !vbx__otlp_attrs_has(a, "service.name") &&
      json_array_append_new(attrs, vbx__otlp_kv_str("service.name", res->service_name)) != 0)
    goto fail;
  if (res && res->service_version && !vbx__otlp_attrs_has(a, "service.version") &&
      json_array_append_new(attrs, vbx__otlp_kv_str("service.version", res->service_version)) != 0)
    goto fail;
  if (vbx__otlp_attrs_append(attrs, a) != 0) goto fail;
  int rc = json_object_set_new(r, "attributes", attrs);
  attrs = NULL;
  if (rc != 0) goto fail;
  return r;
fail:
  json_decref(r);
  json_decref(attrs);
  return NULL;
}

const char *vbx__otlp_scope_name(const char *plugin, char *buf, size_t n) {
  if (plugin == NULL || plugin[0] == '\0' || strcmp(plugin, "voidbox") == 0)
    snprintf(buf, n, "voidbox");
  else
    snprintf(buf, n, "%s%s", VBX__OTLP_SCOPE_PREFIX, plugin);
  return buf;
}

json_t *vbx__otlp_scope_list(json_t *scopes, const char *name, const char *version,
                             const char *list_key) {
  size_t i;
  json_t *ss;
  json_array_foreach(scopes, i, ss) {
    const char *have = json_string_value(json_object_get(json_object_get(ss, "scope"), "name"));
    if (have && strcmp(have, name) == 0) return json_object_get(ss, list_key);
  }
  json_t *scope = json_object(), *list = json_array(), *ret;
  ss = json_object();
  if (scope == NULL || list == NULL || ss == NULL) goto fail;
  if (json_object_set_new(scope, "name", vbx__otlp_str(name)) != 0) goto fail;
  if (version && json_object_set_new(scope, "version", vbx__otlp_str(version)) != 0) goto fail;
  int rc = json_object_set_new(ss, "scope", scope);
  scope = NULL;
  if (rc != 0) goto fail;
  ret = list; /* borrowed from ss from here on */
  rc = json_object_set_new(ss, list_key, list);
  list = NULL;
  if (rc != 0) goto fail;
  rc = json_array_append_new(scopes, ss);
  ss = NULL;
  if (rc != 0) goto fail;
  return ret;
fail:
  json_decref(scope);
  json_decref(list);
  json_decref(ss);
  return NULL;
}

json_t *vbx__otlp_request(const vbx_otlp_resource *res, const char *resource_key,
                          const char *scopes_key, json_t *scopes) {
  json_t *root = json_object(), *list = json_array(), *rx = json_object();
  if (root == NULL || list == NULL || rx == NULL || scopes == NULL) goto fail;
  if (json_object_set_new(rx, "resource", vbx__otlp_resource(res)) != 0) goto fail;
  int rc = json_object_set_new(rx, scopes_key, scopes);
  scopes = NULL;
  if (rc != 0) goto fail;
  rc = json_array_append_new(list, rx);
  rx = NULL;
  if (rc != 0) goto fail;
  rc = json_object_set_new(root, resource_key, list);
  list = NULL;
  if (rc != 0) goto fail;
  return root;
fail:
  json_decref(scopes);
  json_decref(rx);
  json_decref(list);
  json_decref(root);
  return NULL;
}
