/*
 * llm-common/ndjson.c - NDJSON line splitter (see ndjson.h).
 */
#include "ndjson.h"

#include <stdlib.h>
#include <string.h>

#include "voidbox/errors.h"

void vbx_ndjson_init(vbx_ndjson_splitter *s, size_t max_line, vbx_ndjson_line_fn fn, void *user) {
  memset(s, 0, sizeof(*s));
  s->max_line = max_line;
  s->on_line = fn;
  s->user = user;
}

static int is_blank(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') return 0;
  return 1;
}

static int deliver(vbx_ndjson_splitter *s, char *line, size_t n) {
  if (n > 0 && line[n - 1] == '\r') n--;
  if (is_blank(line, n)) return 0;
  char saved = line[n];
  line[n] = 0;
  s->lines++;
  int rc = s->on_line(s->user, line, n);
  line[n] = saved;
  return rc;
}

static int append(vbx_ndjson_splitter *s, const char *p, size_t n) {
  if (s->len + n > s->max_line) return VBX_E_TOOBIG;
  if (s->len + n + 1 > s->cap) {
    size_t c = s->cap ? s->cap : 256;
    while (c < s->len + n + 1)
      c *= 2;
    char *nb = realloc(s->buf, c);
    if (!nb) return VBX_E_NOMEM;
    s->buf = nb;
    s->cap = c;
  }
  memcpy(s->buf + s->len, p, n);
  s->len += n;
  s->buf[s->len] = 0;
  return 0;
}

int vbx_ndjson_feed(vbx_ndjson_splitter *s, const char *data, size_t len) {
  size_t i = 0;
  while (i < len && !s->error) {
    const char *nl = memchr(data + i, '\n', len - i);
    size_t seg = nl ? (size_t)(nl - (data + i)) : len - i;
    int rc = append(s, data + i, seg);
    if (rc) {
      s->error = rc;
      break;
    }
    if (!nl) break;
    rc = deliver(s, s->buf, s->len);
    s->len = 0;
    if (rc) {
      s->error = rc;
      break;
    }
    i += seg + 1;
  }
  return s->error;
}

int vbx_ndjson_finish(vbx_ndjson_splitter *s) {
  if (s->error) return s->error;
  if (s->len > 0) {
    int rc = deliver(s, s->buf, s->len);
    s->len = 0;
    if (rc) s->error = rc;
  }
  return s->error;
}

void vbx_ndjson_reset(vbx_ndjson_splitter *s) {
  s->len = 0;
  s->error = 0;
  s->lines = 0;
}

void vbx_ndjson_free(vbx_ndjson_splitter *s) {
  free(s->buf);
  s->buf = NULL;
  s->len = s->cap = 0;
}
