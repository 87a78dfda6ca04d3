/*
 * otlp-common/otlp_read_span.c - one span of an untrusted OTLP/JSON trace
 * file: ids as hex of the right length, times as decimal strings or
 * non-negative integers (end >= start), kind 0..5, status code 0..2,
 * attributes flattened to key -> string/number/bool.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_read_int.h"

/* A hex id of `digits` digits from field `key` (lower-cased into out);
 * an absent optional one, "" or all zeros leave out "". */
static int hex_id(vbx__otlp_rd *r, json_t *sp, const char *key, size_t digits, int required,
                  char *out) {
  out[0] = '\0';
  json_t *v = json_object_get(sp, key);
  if (v == NULL && !required) return 0;
  if (v == NULL) return vbx__otlp_rd_fail(r, VBX_E_INVAL, key, "missing");
  const char *s = json_string_value(v);
  if (s == NULL) return vbx__otlp_rd_fail(r, VBX_E_INVAL, key, "not a string");
  size_t len = json_string_length(v);
  if (len == 0 && !required) return 0;
  int zero = 1;
  for (size_t i = 0; i < len && len == digits; i++) {
    if (!isxdigit((unsigned char)s[i])) {
      len = 0;
      break;
    }
    out[i] = (char)tolower((unsigned char)s[i]);
    if (out[i] != '0') zero = 0;
  }
  if (len != digits) {
    out[0] = '\0';
    return vbx__otlp_rd_fail(r, VBX_E_INVAL, key, "not %zu hex digits", digits);
  }
  out[digits] = '\0';
  if (zero && !required) out[0] = '\0';
  return 0;
}

/* A time in ns from field `key`: decimal string or integer >= 0. */
static int time_ns(vbx__otlp_rd *r, json_t *sp, const char *key, uint64_t *out) {
  json_t *v = json_object_get(sp, key);
  if (v == NULL) return vbx__otlp_rd_fail(r, VBX_E_INVAL, key, "missing");
  if (json_is_integer(v) && json_integer_value(v) >= 0) {
    *out = (uint64_t)json_integer_value(v);
    return 0;
  }
  const char *s = json_string_value(v);
  size_t len = s ? json_string_length(v) : 0;
  uint64_t t = 0;
  int ok = len > 0 && len <= 20;
  for (size_t i = 0; ok && i < len; i++) {
    unsigned d = (unsigned)(s[i] - '0');
    if (d > 9 || t > (UINT64_MAX - d) / 10)
      ok = 0;
    else
      t = t * 10 + d;
  }
  if (!ok)
    return vbx__otlp_rd_fail(r, VBX_E_INVAL, key,
                             "not a decimal string or a non-negative integer of nanoseconds");
  *out = t;
  return 0;
}

/* An optional integer field in lo..hi (absent: 0). */
static int small_int(vbx__otlp_rd *r, json_t *o, const char *key, int lo, int hi, int *out) {
  json_t *v = json_object_get(o, key);
  *out = 0;
  if (v == NULL) return 0;
  if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
    return vbx__otlp_rd_fail(r, VBX_E_INVAL, key, "not an integer from %d to %d", lo, hi);
  *out = (int)json_integer_value(v);
  return 0;
}

/* An optional string field copied into *out (absent: dflt, may be NULL). */
static int opt_string(vbx__otlp_rd *r, json_t *o, const char *key, const char *dflt, char **out) {
  json_t *v = json_object_get(o, key);
  const char *s = v ? json_string_value(v) : dflt;
  if (v != NULL && s == NULL) return vbx__otlp_rd_fail(r, VBX_E_INVAL, key, "not a string");
  if (s == NULL) return 0;
  *out = strdup(s);
  return *out ? 0 : vbx__otlp_rd_fail(r, VBX_E_NOMEM, NULL, "out of memory");
}

/* The flat value of an AnyValue object, or NULL (with *bad) when it is
 * none we know or malformed. New reference. */
static json_t *any_value(json_t *v, const char **bad) {
  json_t *x;
  *bad = NULL;
  if ((x = json_object_get(v, "stringValue")) != NULL) {
    if (!json_is_string(x)) *bad = "stringValue";
    return json_is_string(x) ? json_incref(x) : NULL;
  }
  if ((x = json_object_get(v, "boolValue")) != NULL) {
    if (!json_is_boolean(x)) *bad = "boolValue";
    return json_is_boolean(x) ? json_incref(x) : NULL;
  }
  if ((x = json_object_get(v, "intValue")) != NULL) {
    if (json_is_integer(x)) return json_incref(x);
    const char *s = json_string_value(x);
    char *end = NULL;
    errno = 0;
    long long i = s && s[0] ? strtoll(s, &end, 10) : 0;
    if (s == NULL || s[0] == '\0' || *end != '\0' || errno != 0 || isspace((unsigned char)s[0])) {
      *bad = "intValue";
      return NULL;
    }
    return json_integer(i);
  }
  if ((x = json_object_get(v, "doubleValue")) != NULL) {
    if (!json_is_number(x) && !json_is_string(x)) *bad = "doubleValue"; /* "NaN" is a string */
    return json_is_number(x) ? json_real(json_number_value(x))
                             : (json_is_string(x) ? json_incref(x) : NULL);
  }
  const char *const composite[] = {"arrayValue", "kvlistValue", "bytesValue"};
  for (size_t i = 0; i < 3; i++) {
    if ((x = json_object_get(v, composite[i])) == NULL) continue;
    if (json_is_string(x)) return json_incref(x);
    char *text = json_dumps(x, JSON_COMPACT | JSON_ENCODE_ANY);
    json_t *s = text ? json_string(text) : NULL;
    free(text);
    return s;
  }
  return NULL; /* an empty AnyValue */
}

static int attributes(vbx__otlp_rd *r, json_t *sp, vbx_otlp_span_rec *o) {
  json_t *arr = json_object_get(sp, "attributes");
  if ((o->attrs = json_object()) == NULL)
    return vbx__otlp_rd_fail(r, VBX_E_NOMEM, NULL, "out of memory");
  if (arr == NULL) return 0;
  if (!json_is_array(arr)) return vbx__otlp_rd_fail(r, VBX_E_INVAL, "attributes", "not an array");
  size_t i;
  json_t *kv;
  char field[96];
  json_array_foreach(arr, i, kv) {
    const char *key = json_string_value(json_object_get(kv, "key"));
    json_t *val = json_object_get(kv, "value");
    const char *bad = NULL;
    if (!json_is_object(kv)) {
      snprintf(field, sizeof(field), "attributes[%zu]", i);
      return vbx__otlp_rd_fail(r, VBX_E_INVAL, field, "not an object");
    }
    if (key == NULL) {
      snprintf(field, sizeof(field), "attributes[%zu].key", i);
      return vbx__otlp_rd_fail(r, VBX_E_INVAL, field, "not a string");
    }
    if (val != NULL && !json_is_object(val)) {
      snprintf(field, sizeof(field), "attributes[%zu].value", i);
      return vbx__otlp_rd_fail(r, VBX_E_INVAL, field, "not an object");
    }
    json_t *flat = val ? any_value(val, &bad) : NULL;
    if (bad != NULL) {
      snprintf(field, sizeof(field), "attributes[%zu].value.%s", i, bad);
      return vbx__otlp_rd_fail(r, VBX_E_INVAL, field, "not a valid %s", bad);
    }
    if (flat != NULL && json_object_set_new(o->attrs, key, flat) != 0)
      return vbx__otlp_rd_fail(r, VBX_E_NOMEM, NULL, "out of memory");
  }
  const char *box = json_string_value(json_object_get(o->attrs, "voidbox.box"));
  if (box != NULL && (o->box = strdup(box)) == NULL)
    return vbx__otlp_rd_fail(r, VBX_E_NOMEM, NULL, "out of memory");
  return 0;
}

static int status(vbx__otlp_rd *r, json_t *sp, vbx_otlp_span_rec *o) {
  json_t *st = json_object_get(sp, "status");
  if (st == NULL) return 0;
  if (!json_is_object(st)) return vbx__otlp_rd_fail(r, VBX_E_INVAL, "status", "not an object");
  size_t at = strlen(r->path);
  snprintf(r->path + at, sizeof(r->path) - at, ".status");
  int rc = small_int(r, st, "code", 0, 2, &o->status_code);
  if (rc == 0) rc = opt_string(r, st, "message", NULL, &o->status_message);
  r->path[at] = '\0';
  return rc;
}

int vbx__otlp_read_span(vbx__otlp_rd *r, json_t *sp, const char *scope, vbx_otlp_span_rec *o) {
  memset(o, 0, sizeof(*o));
  if (!json_is_object(sp)) return vbx__otlp_rd_fail(r, VBX_E_INVAL, NULL, "not an object");
  int rc;
  if ((rc = hex_id(r, sp, "traceId", 32, 1, o->trace_id)) != 0 ||
      (rc = hex_id(r, sp, "spanId", 16, 1, o->span_id)) != 0 ||
      (rc = hex_id(r, sp, "parentSpanId", 16, 0, o->parent_id)) != 0 ||
      (rc = opt_string(r, sp, "name", "", &o->name)) != 0 ||
      (rc = small_int(r, sp, "kind", 0, 5, &o->kind)) != 0 ||
      (rc = time_ns(r, sp, "startTimeUnixNano", &o->start_ns)) != 0 ||
      (rc = time_ns(r, sp, "endTimeUnixNano", &o->end_ns)) != 0)
    return rc;
  if (o->end_ns < o->start_ns)
    return vbx__otlp_rd_fail(r, VBX_E_INVAL, "endTimeUnixNano", "before startTimeUnixNano");
  if ((rc = status(r, sp, o)) != 0 || (rc = attributes(r, sp, o)) != 0) return rc;
  if (scope != NULL && (o->scope = strdup(scope)) == NULL)
    return vbx__otlp_rd_fail(r, VBX_E_NOMEM, NULL, "out of memory");
  return 0;
}

void vbx__otlp_rec_clear(vbx_otlp_span_rec *o) {
  free(o->name);
  free(o->scope);
  free(o->box);
  free(o->status_message);
  json_decref(o->attrs);
  memset(o, 0, sizeof(*o));
}
