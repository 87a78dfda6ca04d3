#include "util/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voidbox/errors.h"

static int strbuf_reserve(vbx__strbuf *sb, size_t extra) {
  if (sb->failed) return VBX_E_NOMEM;
  if (extra > ((size_t)-1) / 2 - sb->len) goto fail;
  size_t need = sb->len + extra + 1;
  if (need <= sb->cap) return 0;
  size_t cap = sb->cap ? sb->cap : 64;
  while (cap < need)
    cap *= 2;
  char *p = realloc(sb->data, cap);
  if (!p) goto fail;
  sb->data = p;
  sb->cap = cap;
  return 0;
fail:
  sb->failed = 1;
  return VBX_E_NOMEM;
}

int vbx__strbuf_append(vbx__strbuf *sb, const char *data, size_t len) {
  int rc = strbuf_reserve(sb, len);
  if (rc) return rc;
  if (len) memcpy(sb->data + sb->len, data, len);
  sb->len += len;
  sb->data[sb->len] = '\0';
  return 0;
}

int vbx__strbuf_puts(vbx__strbuf *sb, const char *s) {
  return vbx__strbuf_append(sb, s, strlen(s));
}

int vbx__strbuf_vprintf(vbx__strbuf *sb, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return VBX_E_INVAL;
  int rc = strbuf_reserve(sb, (size_t)n);
  if (rc) return rc;
  vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
  sb->len += (size_t)n;
  return 0;
}

int vbx__strbuf_printf(vbx__strbuf *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = vbx__strbuf_vprintf(sb, fmt, ap);
  va_end(ap);
  return rc;
}

char *vbx__strbuf_take(vbx__strbuf *sb) {
  char *out = NULL;
  if (!sb->failed)
    out = sb->data ? sb->data : strdup("");
  else
    free(sb->data);
  sb->data = NULL;
  sb->len = sb->cap = 0;
  sb->failed = 0;
  return out;
}

void vbx__strbuf_reset(vbx__strbuf *sb) {
  free(sb->data);
  sb->data = NULL;
  sb->len = sb->cap = 0;
  sb->failed = 0;
}

void vbx__strbuf_clear(vbx__strbuf *sb) {
  sb->len = 0;
  sb->failed = 0;
  if (sb->data != NULL) sb->data[0] = '\0';
}
