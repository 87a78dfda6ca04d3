/*
 * tests/integration/otlp/otlp_check.c - the validator's machinery (paths,
 * field tables, scalar rules) and the messages every signal shares:
 * KeyValue, AnyValue, Resource, InstrumentationScope.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp_check.h"
#include "otlp_check_int.h"

int ck_fail(ck *c, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (c->cap > 0) snprintf(c->why, c->cap, "%s: %s", c->len ? c->path : "(request)", msg);
  return -1;
}

size_t ck_push_key(ck *c, const char *key) {
  size_t saved = c->len;
  int n = snprintf(c->path + c->len, sizeof c->path - c->len, "%s%s", c->len ? "." : "", key);
  if (n > 0) c->len += (size_t)n;
  if (c->len >= sizeof c->path) c->len = sizeof c->path - 1;
  return saved;
}

size_t ck_push_idx(ck *c, size_t i) {
  size_t saved = c->len;
  int n = snprintf(c->path + c->len, sizeof c->path - c->len, "[%zu]", i);
  if (n > 0) c->len += (size_t)n;
  if (c->len >= sizeof c->path) c->len = sizeof c->path - 1;
  return saved;
}

void ck_pop(ck *c, size_t saved) {
  c->len = saved;
  c->path[saved] = '\0';
}

static const char *type_name(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER: return "an integer";
  case JSON_REAL: return "a real number";
  case JSON_TRUE:
  case JSON_FALSE: return "a boolean";
  default: return "null";
  }
}

/* Decimal digits with an optional '-' (sign): parsed into *out. */
static int parse_dec(const char *s, int sign, uint64_t *mag, int *neg) {
  *neg = 0;
  if (sign && *s == '-') *neg = 1, s++;
  if (*s == '\0' || strlen(s) > 20) return -1;
  for (const char *p = s; *p; p++)
    if (*p < '0' || *p > '9') return -1;
  errno = 0;
  unsigned long long v = strtoull(s, NULL, 10);
  if (errno == ERANGE) return -1;
  *mag = v;
  return 0;
}

static int hex_id(ck *c, const json_t *v, size_t digits, int may_be_empty) {
  if (!json_is_string(v))
    return ck_fail(c, "must be a string of %zu hex digits, got %s", digits, type_name(v));
  const char *s = json_string_value(v);
  size_t n = strlen(s);
  if (n == 0 && may_be_empty) return 0;
  if (n != digits) return ck_fail(c, "'%s' is not %zu hex digits (%zu characters)", s, digits, n);
  int nonzero = 0;
  for (size_t i = 0; i < n; i++) {
    if ((s[i] < '0' || s[i] > '9') && (s[i] < 'a' || s[i] > 'f'))
      return ck_fail(c, "'%s' is not %zu lower-case hex digits", s, digits);
    nonzero |= s[i] != '0';
  }
  return nonzero ? 0 : ck_fail(c, "'%s' is all zero (an invalid id)", s);
}

static int check_any(ck *c, const json_t *v);

static int check_keyvalue(ck *c, const json_t *v) {
  static const ck_field f[] = {{"key", F_NESTR, 1, 0, 0, NULL},
                               {"value", F_ANY, 1, 0, 0, NULL},
                               {NULL, F_STR, 0, 0, 0, NULL}};
  return ck_msg(c, v, f);
}

static int check_values(ck *c, const json_t *v) {
  static const ck_field f[] = {{"values", F_ARR, 0, 0, 0, check_any}, {NULL, F_STR, 0, 0, 0, NULL}};
  return ck_msg(c, v, f);
}

static int check_kvlist(ck *c, const json_t *v) {
  static const ck_field f[] = {{"values", F_ATTRS, 0, 0, 0, NULL}, {NULL, F_STR, 0, 0, 0, NULL}};
  return ck_msg(c, v, f);
}

static int check_bytes(ck *c, const json_t *v) {
  const char *s = json_string_value(v);
  size_t n = strlen(s);
  if (n % 4 != 0) return ck_fail(c, "not base64 (length %zu)", n);
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
             ch == '+' || ch == '/' || (ch == '=' && i >= n - 2 && s[n - 1] == '=');
    if (!ok) return ck_fail(c, "not base64 at offset %zu", i);
  }
  return 0;
}

/* AnyValue: exactly one of its value fields. */
static int check_any(ck *c, const json_t *v) {
  static const ck_field f[] = {
      {"stringValue", F_STR, 0, 0, 0, NULL},        {"boolValue", F_BOOL, 0, 0, 0, NULL},
      {"intValue", F_I64S, 0, 0, 0, NULL},          {"doubleValue", F_DOUBLE, 0, 0, 0, NULL},
      {"arrayValue", F_OBJ, 0, 0, 0, check_values}, {"kvlistValue", F_OBJ, 0, 0, 0, check_kvlist},
      {"bytesValue", F_STR, 0, 0, 0, NULL},         {NULL, F_STR, 0, 0, 0, NULL}};
  if (ck_msg(c, v, f) != 0) return -1;
  if (json_object_size(v) != 1)
    return ck_fail(c,
                   "an AnyValue holds exactly one of stringValue, intValue, doubleValue, "
                   "boolValue, arrayValue, kvlistValue, bytesValue; it has %zu",
                   json_object_size(v));
  const json_t *b = json_object_get(v, "bytesValue");
  if (b != NULL) {
    size_t saved = ck_push_key(c, "bytesValue");
    int rc = check_bytes(c, b);
    ck_pop(c, saved);
    return rc;
  }
  return 0;
}

static int check_attrs(ck *c, const json_t *v) {
  size_t i, j;
  const json_t *e;
  json_array_foreach(v, i, e) {
    size_t saved = ck_push_idx(c, i);
    if (check_keyvalue(c, e) != 0) return -1;
    const char *k = json_string_value(json_object_get(e, "key"));
    for (j = 0; j < i; j++)
      if (strcmp(k, json_string_value(json_object_get(json_array_get(v, j), "key"))) == 0)
        return ck_fail(c, "duplicate attribute key '%s' (also at [%zu])", k, j);
    ck_pop(c, saved);
  }
  return 0;
}

static int scalar(ck *c, const ck_field *f, const json_t *v) {
  uint64_t mag;
  int neg;
  switch (f->type) {
  case F_STR:
  case F_NESTR:
    if (!json_is_string(v)) return ck_fail(c, "must be a string, got %s", type_name(v));
    if (f->type == F_NESTR && json_string_length(v) == 0) return ck_fail(c, "must not be empty");
    return 0;
  case F_U64S:
  case F_I64S:
    if (!json_is_string(v))
      return ck_fail(c, "a 64-bit integer must be a decimal string, got %s", type_name(v));
    if (parse_dec(json_string_value(v), f->type == F_I64S, &mag, &neg) != 0 ||
        (f->type == F_I64S && mag > (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)))
      return ck_fail(c, "'%s' is not a decimal %s", json_string_value(v),
                     f->type == F_I64S ? "int64" : "uint64");
    return 0;
  case F_INT:
    if (!json_is_integer(v)) return ck_fail(c, "must be an integer, got %s", type_name(v));
    if (json_integer_value(v) < f->lo || json_integer_value(v) > f->hi)
      return ck_fail(c, "%lld is out of range %lld..%lld", (long long)json_integer_value(v), f->lo,
                     f->hi);
    return 0;
  case F_DOUBLE:
    return json_is_number(v) ? 0 : ck_fail(c, "must be a number, got %s", type_name(v));
  case F_BOOL:
    return json_is_boolean(v) ? 0 : ck_fail(c, "must be a boolean, got %s", type_name(v));
  case F_TRACEID:
  case F_OPTTID: return hex_id(c, v, 32, f->type == F_OPTTID);
  case F_SPANID:
  case F_OPTSID: return hex_id(c, v, 16, f->type == F_OPTSID);
  case F_ANY:
    if (!json_is_object(v)) return ck_fail(c, "must be an AnyValue object, got %s", type_name(v));
    return check_any(c, v);
  case F_OBJ:
    if (!json_is_object(v)) return ck_fail(c, "must be an object, got %s", type_name(v));
    return f->fn ? f->fn(c, v) : 0;
  default: break;
  }
  /* the array types */
  if (!json_is_array(v)) return ck_fail(c, "must be an array, got %s", type_name(v));
  if (f->type == F_NEARR && json_array_size(v) == 0)
    return ck_fail(c, "is empty (an export carries at least one)");
  if (f->type == F_ATTRS) return check_attrs(c, v);
  ck_field elem = {f->name, F_OBJ, 1, 0, 0, f->fn};
  if (f->type == F_U64SARR) elem.type = F_U64S;
  if (f->type == F_DBLARR) elem.type = F_DOUBLE;
  size_t i;
  const json_t *e;
  json_array_foreach(v, i, e) {
    size_t saved = ck_push_idx(c, i);
    if (scalar(c, &elem, e) != 0) return -1;
    ck_pop(c, saved);
  }
  return 0;
}

int ck_msg(ck *c, const json_t *obj, const ck_field *fields) {
  if (!json_is_object(obj)) return ck_fail(c, "must be an object, got %s", type_name(obj));
  const char *key;
  const json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    const ck_field *f = fields;
    while (f->name != NULL && strcmp(f->name, key) != 0)
      f++;
    if (f->name == NULL) {
      size_t saved = ck_push_key(c, key);
      ck_fail(c, "unknown field (misspelled, or not part of this OTLP message)");
      ck_pop(c, saved);
      return -1;
    }
  }
  for (const ck_field *f = fields; f->name != NULL; f++) {
    size_t saved = ck_push_key(c, f->name);
    v = json_object_get(obj, f->name);
    if (v == NULL) {
      if (f->required) return ck_fail(c, "required field missing");
    } else if (scalar(c, f, v) != 0) {
      return -1;
    }
    ck_pop(c, saved);
  }
  return 0;
}

uint64_t ck_u64(const json_t *obj, const char *key) {
  const char *s = json_string_value(json_object_get(obj, key));
  return s ? strtoull(s, NULL, 10) : 0;
}

int ck_times(ck *c, const json_t *obj, const char *start, const char *end, int end_required) {
  uint64_t s = ck_u64(obj, start), e = ck_u64(obj, end);
  if (end_required && e == 0) {
    size_t saved = ck_push_key(c, end);
    ck_fail(c, "must be a time (nanoseconds since the epoch), got 0");
    ck_pop(c, saved);
    return -1;
  }
  if (json_object_get(obj, start) != NULL && e < s)
    return ck_fail(c, "%s %" PRIu64 " is before %s %" PRIu64, end, e, start, s);
  return 0;
}

int ck_resource(ck *c, const json_t *v) {
  static const ck_field f[] = {{"attributes", F_ATTRS, 0, 0, 0, NULL},
                               {"droppedAttributesCount", F_INT, 0, 0, UINT32_MAX, NULL},
                               {"entityRefs", F_ARR, 0, 0, 0, NULL},
                               {NULL, F_STR, 0, 0, 0, NULL}};
  return ck_msg(c, v, f);
}

int ck_scope(ck *c, const json_t *v) {
  static const ck_field f[] = {{"name", F_NESTR, 1, 0, 0, NULL},
                               {"version", F_STR, 0, 0, 0, NULL},
                               {"attributes", F_ATTRS, 0, 0, 0, NULL},
                               {"droppedAttributesCount", F_INT, 0, 0, UINT32_MAX, NULL},
                               {NULL, F_STR, 0, 0, 0, NULL}};
  return ck_msg(c, v, f);
}

int otlp_check_text(otlp_signal sig, const char *text, size_t len, char *why, size_t cap) {
  json_error_t err;
  json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
  if (doc == NULL) {
    snprintf(why, cap, "not JSON: %s (line %d, column %d)", err.text, err.line, err.column);
    return -1;
  }
  int rc = otlp_check(sig, doc, why, cap);
  json_decref(doc);
  return rc;
}
