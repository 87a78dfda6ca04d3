/*
 * image/kconfig.c - Kconfig fragment parsing and drift check.
 */
#include "image/kconfig.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

static int is_sym(const char *s, size_t n) {
  if (n <= 7 || strncmp(s, "CONFIG_", 7)) return 0;
  for (size_t i = 7; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '_') return 0;
  return 1;
}

static int push(vbx__kconfig *k, const char *name, size_t nlen, const char *val, size_t vlen,
                int has_val, int line) {
  vbx__kconfig_opt *o = realloc(k->opts, (k->n + 1) * sizeof(*o));
  if (!o) return VBX_E_NOMEM;
  k->opts = o;
  o = &k->opts[k->n];
  o->name = strndup(name, nlen);
  o->value = has_val ? strndup(val, vlen) : NULL;
  o->line = line;
  if (!o->name || (has_val && !o->value)) {
    free(o->name);
    free(o->value);
    return VBX_E_NOMEM;
  }
  k->n++;
  return 0;
}

int vbx__kconfig_parse(const char *text, size_t len, const char *origin, int strict,
                       vbx__kconfig *out, vbx_error *err) {
  vbx__kconfig k = {0};
  int rc = 0, line = 0;
  const char *p = text, *end = text + len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol) eol = end;
    line++;
    const char *s = p, *e = eol;
    p = eol < end ? eol + 1 : end;
    while (s < e && isspace((unsigned char)*s))
      s++;
    while (e > s && isspace((unsigned char)e[-1]))
      e--;
    if (s == e) continue;
    static const char notset[] = " is not set";
    size_t ns = sizeof(notset) - 1;
    if (*s == '#') {
      const char *q = s + 1;
      while (q < e && *q == ' ')
        q++;
      if ((size_t)(e - q) > ns && !memcmp(e - ns, notset, ns) && is_sym(q, (size_t)(e - ns - q))) {
        if ((rc = push(&k, q, (size_t)(e - ns - q), NULL, 0, 0, line))) goto fail;
      }
      continue;
    }
    const char *eq = memchr(s, '=', (size_t)(e - s));
    if (!eq || !is_sym(s, (size_t)(eq - s)) || eq + 1 == e) {
      if (!strict) continue;
      rc = vbx__error_set(err, VBX_E_SPEC,
                          "%s:%d: expected CONFIG_NAME=value or '# CONFIG_NAME is not set': '%.*s'",
                          origin, line, (int)(e - s), s);
      goto fail;
    }
    if ((rc = push(&k, s, (size_t)(eq - s), eq + 1, (size_t)(e - eq - 1), 1, line))) goto fail;
  }
  if (strict) {
    for (size_t i = 0; i < k.n; i++)
      for (size_t j = 0; j < i; j++)
        if (!strcmp(k.opts[i].name, k.opts[j].name)) {
          rc = vbx__error_set(err, VBX_E_SPEC, "%s:%d: %s already set on line %d", origin,
                              k.opts[i].line, k.opts[i].name, k.opts[j].line);
          goto fail;
        }
  }
  *out = k;
  return 0;
fail:
  if (rc == VBX_E_NOMEM) vbx__error_set(err, rc, "%s: out of memory", origin);
  vbx__kconfig_free(&k);
  return rc;
}

void vbx__kconfig_free(vbx__kconfig *k) {
  for (size_t i = 0; i < k->n; i++) {
    free(k->opts[i].name);
    free(k->opts[i].value);
  }
  free(k->opts);
  k->opts = NULL;
  k->n = 0;
}

const char *vbx__kconfig_get(const vbx__kconfig *k, const char *name, int *present) {
  /* Last occurrence wins, as in Kconfig itself. */
  for (size_t i = k->n; i-- > 0;)
    if (!strcmp(k->opts[i].name, name)) {
      if (present) *present = 1;
      return k->opts[i].value;
    }
  if (present) *present = 0;
  return NULL;
}

int vbx__kconfig_verify(const vbx__kconfig *want, const vbx__kconfig *have, vbx__strbuf *report) {
  int unmet = 0;
  for (size_t i = 0; i < want->n; i++) {
    const vbx__kconfig_opt *w = &want->opts[i];
    int present;
    const char *got = vbx__kconfig_get(have, w->name, &present);
    int ok = w->value ? (got && !strcmp(got, w->value)) : !got;
    if (ok) continue;
    unmet++;
    if (report && vbx__strbuf_printf(report, "%s: wanted %s, got %s (fragment line %d)\n", w->name,
                                     w->value ? w->value : "is not set",
                                     got ? got : (present ? "is not set" : "absent"), w->line))
      return VBX_E_NOMEM;
  }
  return unmet;
}
