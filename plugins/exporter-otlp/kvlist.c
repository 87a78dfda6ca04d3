/*
 * exporter-otlp/kvlist.c - ordered string pairs and their "k=v,..." text
 * form (see kvlist.h).
 */
#include "kvlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "voidbox/errors.h"

static ox_kv *find(const ox_kvlist *l, const char *key) {
  for (size_t i = 0; i < l->n; i++)
    if ((l->nocase ? strcasecmp(l->v[i].key, key) : strcmp(l->v[i].key, key)) == 0) return &l->v[i];
  return NULL;
}

int ox_kvlist_set(ox_kvlist *l, const char *key, const char *value) {
  char *v = strdup(value);
  if (v == NULL) return VBX_E_NOMEM;
  ox_kv *kv = find(l, key);
  if (kv != NULL) {
    free(kv->value);
    kv->value = v;
    return 0;
  }
  if (l->n == OX_KV_MAX) {
    free(v);
    return VBX_E_LIMIT;
  }
  char *k = strdup(key);
  ox_kv *a = k ? realloc(l->v, (l->n + 1) * sizeof(*a)) : NULL;
  if (a == NULL) {
    free(k);
    free(v);
    return VBX_E_NOMEM;
  }
  l->v = a;
  l->v[l->n++] = (ox_kv){k, v};
  return 0;
}

const char *ox_kvlist_get(const ox_kvlist *l, const char *key) {
  const ox_kv *kv = find(l, key);
  return kv ? kv->value : NULL;
}

void ox_kvlist_free(ox_kvlist *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->v[i].key);
    free(l->v[i].value);
  }
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

int ox_kvlist_merge(ox_kvlist *l, const ox_kvlist *from) {
  for (size_t i = 0; i < from->n; i++) {
    int rc = ox_kvlist_set(l, from->v[i].key, from->v[i].value);
    if (rc != 0) return rc;
  }
  return 0;
}

int ox_key_ok(const char *key, size_t len, int kind) {
  if (len == 0 || len > OX_KV_KEY_MAX) return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)key[i];
    if (kind == OX_KEY_HEADER) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("!#$%&'*+-.^_`|~", c) != NULL) ||
          c == '\0')
        return 0;
    } else if (c <= ' ' || c == 0x7F || c == '=' || c == ',') {
      return 0;
    }
  }
  return 1;
}

int ox_value_ok(const char *value, size_t len) {
  if (len > OX_KV_VALUE_MAX) return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)value[i];
    if ((c < ' ' && c != '\t') || c == 0x7F) return 0;
  }
  return 1;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decode s[0..n) into out (at least n + 1 bytes); the decoded
 * length, or -1 for a '%' not followed by two hex digits. */
static long pct_decode(const char *s, size_t n, char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '%') {
      out[o++] = s[i];
      continue;
    }
    int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
    int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) return -1;
    out[o++] = (char)(hi * 16 + lo);
    i += 2;
  }
  out[o] = '\0';
  return (long)o;
}

static void trim(const char **s, size_t *n) {
  while (*n > 0 && (**s == ' ' || **s == '\t'))
    (*s)++, (*n)--;
  while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
    (*n)--;
}

int ox_kvlist_parse(ox_kvlist *l, const char *text, int key_kind, char *why, size_t why_len) {
  size_t len = strnlen(text, OX_KV_TEXT_MAX + 1);
  if (len > OX_KV_TEXT_MAX) {
    snprintf(why, why_len, "longer than %d bytes", OX_KV_TEXT_MAX);
    return VBX_E_INVAL;
  }
  char key[OX_KV_KEY_MAX + 1], *val = malloc(len + 1);
  if (val == NULL) {
    snprintf(why, why_len, "out of memory");
    return VBX_E_NOMEM;
  }
  int rc = 0;
  size_t entry = 0;
  for (const char *p = text; rc == 0 && p <= text + len; entry++) {
    const char *end = memchr(p, ',', (size_t)(text + len - p));
    if (end == NULL) end = text + len;
    const char *s = p;
    size_t n = (size_t)(end - p);
    p = end + 1;
    trim(&s, &n);
    if (n == 0) continue;
    const char *eq = memchr(s, '=', n);
    if (eq == NULL) {
      snprintf(why, why_len, "entry %zu has no '=' (the form is key=value,key=value)", entry + 1);
      rc = VBX_E_INVAL;
      break;
    }
    const char *k = s, *v = eq + 1;
    size_t kn = (size_t)(eq - s), vn = n - kn - 1;
    trim(&k, &kn);
    trim(&v, &vn);
    if (!ox_key_ok(k, kn, key_kind)) {
      snprintf(why, why_len, "entry %zu has a bad key '%.*s'", entry + 1, (int)(kn > 64 ? 64 : kn),
               k);
      rc = VBX_E_INVAL;
      break;
    }
    memcpy(key, k, kn);
    key[kn] = '\0';
    long dn = pct_decode(v, vn, val);
    if (dn < 0 || !ox_value_ok(val, (size_t)dn)) {
      snprintf(why, why_len, "the value of '%s' (entry %zu) is %s", key, entry + 1,
               dn < 0 ? "not percent-encoded correctly (a '%' must start %XX)"
                      : "too long or holds control characters");
      rc = VBX_E_INVAL;
      break;
    }
    rc = ox_kvlist_set(l, key, val);
    if (rc == VBX_E_LIMIT) snprintf(why, why_len, "more than %d entries", OX_KV_MAX);
    if (rc == VBX_E_NOMEM) snprintf(why, why_len, "out of memory");
  }
  free(val);
  return rc;
}
