/*
 * skill-mcp/content.c - flattening a tools/call result to text
 * (mcp_content.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp_content.h"

#define TRUNCATED "\n[output truncated]"
#define NAME_MAX_SHOWN 200 /* bytes of a URI, name or MIME type shown */

typedef struct sbuf {
  char *s;
  size_t len, cap, max;
  int cut, nomem;
} sbuf;

static void put(sbuf *b, const char *s, size_t n) {
  if (b->cut || b->nomem) return;
  if (b->len + n > b->max) {
    n = b->max - b->len;
    b->cut = 1;
  }
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *s2 = realloc(b->s, cap);
    if (s2 == NULL) {
      b->nomem = 1;
      return;
    }
    b->s = s2;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(sbuf *b, const char *fmt, ...) {
  char tmp[4 * NAME_MAX_SHOWN + 128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A string member, "" when absent or not a string. */
static const char *str(const json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

/* Bytes a base64 text decodes to (padding and whitespace not counted). */
static size_t b64_bytes(const json_t *v) {
  const char *s = json_string_value(v);
  size_t n = 0;
  for (size_t i = 0, len = json_string_length(v); s && i < len; i++)
    if (s[i] != '=' && s[i] != '\n' && s[i] != '\r' && s[i] != ' ') n++;
  return n * 3 / 4;
}

static void block(sbuf *b, const json_t *blk) {
  const char *type = str(blk, "type");
  const int w = NAME_MAX_SHOWN;
  if (strcmp(type, "text") == 0) {
    const json_t *t = json_object_get(blk, "text");
    put(b, json_string_value(t) ? json_string_value(t) : "", json_string_length(t));
  } else if (strcmp(type, "image") == 0 || strcmp(type, "audio") == 0) {
    putf(b, "[%s: %.*s, %zu bytes]", type, w, str(blk, "mimeType"),
         b64_bytes(json_object_get(blk, "data")));
  } else if (strcmp(type, "resource_link") == 0) {
    putf(b, "[resource link: %.*s <%.*s>", w, str(blk, "name"), w, str(blk, "uri"));
    if (*str(blk, "mimeType")) putf(b, " %.*s", w, str(blk, "mimeType"));
    put(b, "]", 1);
  } else if (strcmp(type, "resource") == 0) {
    const json_t *r = json_object_get(blk, "resource");
    const json_t *text = json_object_get(r, "text");
    const json_t *blob = json_object_get(r, "blob");
    putf(b, "[resource %.*s", w, str(r, "uri"));
    if (*str(r, "mimeType")) putf(b, ": %.*s", w, str(r, "mimeType"));
    if (json_is_string(blob)) putf(b, ", %zu bytes", b64_bytes(blob));
    put(b, "]", 1);
    if (json_is_string(text)) {
      put(b, "\n", 1);
      put(b, json_string_value(text), json_string_length(text));
    }
  } else {
    putf(b, "[%.*s content]", w, *type ? type : "untyped");
  }
}

/* Does the text block's text t say v: JSON equal to v, or (v a string) v
 * itself? */
static int says(const json_t *t, const json_t *v) {
  if (json_is_string(v))
    return json_string_length(v) == json_string_length(t) &&
           memcmp(json_string_value(v), json_string_value(t), json_string_length(t)) == 0;
  json_t *j = json_loadb(json_string_value(t), json_string_length(t), JSON_DECODE_ANY, NULL);
  int same = j != NULL && json_equal(j, v);
  json_decref(j);
  return same;
}

/* Does a text block already carry v: the whole of it, or the one member of
 * an object that only wraps it ({"content": TEXT}, {"entities": [...]})? */
static int carried(const json_t *content, const json_t *v) {
  const json_t *inner = NULL;
  if (json_is_object(v) && json_object_size(v) == 1)
    inner = json_object_iter_value(json_object_iter((json_t *)v));
  size_t i;
  const json_t *blk;
  json_array_foreach(content, i, blk) {
    const json_t *t = json_object_get(blk, "text");
    if (strcmp(str(blk, "type"), "text") != 0 || !json_is_string(t)) continue;
    if ((!json_is_string(v) && says(t, v)) || (inner != NULL && says(t, inner))) return 1;
  }
  return 0;
}

int vbx_mcp_content_text(const json_t *result, size_t max, char **out, int *is_error) {
  sbuf b = {NULL, 0, 0, max ? max : VBX_MCP_TEXT_MAX, 0, 0};
  *out = NULL;
  *is_error = 0;
  const json_t *content = json_object_get(result, "content");
  const json_t *sc = json_object_get(result, "structuredContent");
  int rc = 0;
  if (!json_is_object(result) || (content != NULL && !json_is_array(content))) {
    puts_(&b, "the server's tools/call result is not an object with a content list");
    rc = VBX_E_PROTOCOL;
  } else {
    *is_error = json_is_true(json_object_get(result, "isError"));
    size_t i;
    const json_t *blk;
    json_array_foreach(content, i, blk) {
      if (i > 0) put(&b, "\n", 1);
      block(&b, blk);
    }
    if (sc != NULL && !json_is_null(sc) && !carried(content, sc)) {
      char *j = json_dumps(sc, JSON_COMPACT | JSON_ENCODE_ANY);
      if (j == NULL) b.nomem = 1;
      if (b.len > 0) put(&b, "\n", 1);
      puts_(&b, "[structured content] ");
      if (j) puts_(&b, j);
      free(j);
    }
  }
  if (b.cut && !b.nomem) {
    b.cut = 0;
    b.max += sizeof TRUNCATED;
    puts_(&b, TRUNCATED);
  }
  if (b.s == NULL && !b.nomem) put(&b, "", 0);
  if (b.nomem || b.s == NULL) {
    free(b.s);
    return VBX_E_NOMEM;
  }
  *out = b.s;
  return rc;
}
