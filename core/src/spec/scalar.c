/*
 * spec/scalar.c - scalar typing and node-to-JSON conversion.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "spec/scalar.h"

static int all_in(const char *s, const char *set) {
  if (*s == '\0') return 0;
  return strspn(s, set) == strlen(s);
}

static int is_int(const char *t) {
  if (strncmp(t, "0o", 2) == 0) return all_in(t + 2, "01234567");
  if (strncmp(t, "0x", 2) == 0) return all_in(t + 2, "0123456789abcdefABCDEF");
  if (*t == '-' || *t == '+') t++;
  return all_in(t, "0123456789");
}

static int is_float(const char *t) {
  if (*t == '-' || *t == '+') t++;
  if (!strcmp(t, ".inf") || !strcmp(t, ".Inf") || !strcmp(t, ".INF")) return 1;
  size_t digits = strspn(t, "0123456789");
  t += digits;
  if (*t == '.') {
    t++;
    size_t frac = strspn(t, "0123456789");
    t += frac;
    digits += frac;
  }
  if (digits == 0) return 0;
  if (*t == 'e' || *t == 'E') {
    t++;
    if (*t == '-' || *t == '+') t++;
    if (!all_in(t, "0123456789")) return 0;
    return 1;
  }
  return *t == '\0';
}

vbx__scalar_type vbx__scalar_resolve(const char *t) {
  if (!*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL"))
    return VBX__SCALAR_NULL;
  if (!strcmp(t, "true") || !strcmp(t, "True") || !strcmp(t, "TRUE") || !strcmp(t, "false") ||
      !strcmp(t, "False") || !strcmp(t, "FALSE"))
    return VBX__SCALAR_BOOL;
  if (is_int(t)) return VBX__SCALAR_INT;
  if (is_float(t) || !strcmp(t, ".nan") || !strcmp(t, ".NaN") || !strcmp(t, ".NAN"))
    return VBX__SCALAR_FLOAT;
  return VBX__SCALAR_STR;
}

int vbx__scalar_int(const vbx__node *n, int64_t *out) {
  if (n == NULL || n->kind != VBX__NODE_SCALAR || n->type != VBX__SCALAR_INT) return VBX_E_INVAL;
  const char *t = n->text;
  int base = 10;
  if (strncmp(t, "0o", 2) == 0) {
    base = 8;
    t += 2;
  } else if (strncmp(t, "0x", 2) == 0) {
    base = 16;
    t += 2;
  }
  errno = 0;
  char *end;
  long long v = strtoll(t, &end, base);
  if (errno != 0 || *end != '\0' || end == t) return VBX_E_INVAL;
  *out = (int64_t)v;
  return 0;
}

int vbx__scalar_bool(const vbx__node *n, int *out) {
  if (n == NULL || n->kind != VBX__NODE_SCALAR || n->type != VBX__SCALAR_BOOL) return 0;
  *out = n->text[0] == 't' || n->text[0] == 'T';
  return 1;
}

static json_t *scalar_json(const vbx__node *n, const vbx__node **bad) {
  switch (n->type) {
  case VBX__SCALAR_NULL: return json_null();
  case VBX__SCALAR_BOOL: return json_boolean(n->text[0] == 't' || n->text[0] == 'T');
  case VBX__SCALAR_INT: {
    int64_t v;
    if (vbx__scalar_int(n, &v) != 0) {
      *bad = n;
      return NULL;
    }
    return json_integer((json_int_t)v);
  }
  case VBX__SCALAR_FLOAT: {
    /* .inf and .nan (the only forms with an 'n') have no JSON form. */
    double d = strpbrk(n->text, "nN") ? NAN : strtod(n->text, NULL);
    if (!isfinite(d)) {
      *bad = n; /* JSON has no infinity or NaN */
      return NULL;
    }
    return json_real(d);
  }
  default: return json_stringn(n->text, n->len);
  }
}

json_t *vbx__node_to_json(const vbx__node *n, const vbx__node **bad) {
  *bad = NULL;
  if (n->kind == VBX__NODE_SCALAR) return scalar_json(n, bad);
  json_t *out = n->kind == VBX__NODE_MAP ? json_object() : json_array();
  if (out == NULL) return NULL;
  for (size_t i = 0; i < n->n; i++) {
    json_t *v = vbx__node_to_json(n->vals[i], bad);
    int rc = v == NULL                  ? -1
             : n->kind == VBX__NODE_MAP ? json_object_set_new(out, n->keys[i]->text, v)
                                        : json_array_append_new(out, v);
    if (rc != 0) {
      json_decref(out);
      return NULL;
    }
  }
  return out;
}
