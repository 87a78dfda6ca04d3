/*
 * llm-common/sse.c - incremental SSE parser (see sse.h).
 */
#include "sse.h"

#include <stdlib.h>
#include <string.h>

#include "voidbox/errors.h"

void vbx_sse_init(vbx_sse_parser *p, size_t max_line, size_t max_event, vbx_sse_event_fn fn,
                  void *user) {
  memset(p, 0, sizeof(*p));
  p->max_line = max_line;
  p->max_event = max_event;
  p->on_event = fn;
  p->user = user;
}

static int grow(char **buf, size_t *cap, size_t need) {
  if (need <= *cap) return 0;
  size_t n = *cap ? *cap : 256;
  while (n < need)
    n *= 2;
  char *nb = realloc(*buf, n);
  if (!nb) return VBX_E_NOMEM;
  *buf = nb;
  *cap = n;
  return 0;
}

static void copy_name(char *dst, const char *src, size_t len) {
  if (len >= VBX_SSE_NAME_MAX) len = VBX_SSE_NAME_MAX - 1;
  memcpy(dst, src, len);
  dst[len] = 0;
}

static int dispatch(vbx_sse_parser *p) {
  int rc = 0;
  if (p->has_data) {
    if (p->data_len > 0 && p->data[p->data_len - 1] == '\n') p->data_len--;
    if (p->data) p->data[p->data_len] = 0;
    p->events++;
    rc = p->on_event(p->user, p->event[0] ? p->event : "message", p->data ? p->data : "",
                     p->data_len, p->id);
  }
  p->data_len = 0;
  p->has_data = 0;
  p->event[0] = 0;
  return rc;
}

/* Process one complete line (without its terminator). */
static int process_line(vbx_sse_parser *p, const char *line, size_t len) {
  if (len == 0) return dispatch(p);
  if (line[0] == ':') return 0; /* comment */
  const char *colon = memchr(line, ':', len);
  size_t nlen = colon ? (size_t)(colon - line) : len;
  const char *val = colon ? colon + 1 : line + len;
  size_t vlen = colon ? len - nlen - 1 : 0;
  if (vlen > 0 && val[0] == ' ') {
    val++;
    vlen--;
  }
  if (nlen == 5 && memcmp(line, "event", 5) == 0) {
    copy_name(p->event, val, vlen);
  } else if (nlen == 4 && memcmp(line, "data", 4) == 0) {
    if (p->data_len + vlen + 1 > p->max_event) return VBX_E_TOOBIG;
    if (grow(&p->data, &p->data_cap, p->data_len + vlen + 2)) return VBX_E_NOMEM;
    memcpy(p->data + p->data_len, val, vlen);
    p->data_len += vlen;
    p->data[p->data_len++] = '\n';
    p->has_data = 1;
  } else if (nlen == 2 && memcmp(line, "id", 2) == 0) {
    if (!memchr(val, 0, vlen)) copy_name(p->id, val, vlen);
  }
  return 0; /* retry and unknown fields are ignored */
}

int vbx_sse_feed(vbx_sse_parser *p, const char *buf, size_t len) {
  size_t i = 0;
  while (i < len && !p->error) {
    if (p->skip_lf) {
      p->skip_lf = 0;
      if (buf[i] == '\n') {
        i++;
        continue;
      }
    }
    /* find the next line end in this chunk */
    size_t j = i;
    while (j < len && buf[j] != '\n' && buf[j] != '\r')
      j++;
    size_t seg = j - i;
    if (p->line_len + seg > p->max_line) {
      p->error = VBX_E_TOOBIG;
      break;
    }
    if (j == len) { /* no terminator yet: keep the partial line */
      if (grow(&p->line, &p->line_cap, p->line_len + seg + 1)) {
        p->error = VBX_E_NOMEM;
        break;
      }
      memcpy(p->line + p->line_len, buf + i, seg);
      p->line_len += seg;
      break;
    }
    int rc;
    if (p->line_len == 0) {
      rc = process_line(p, buf + i, seg);
    } else {
      if (grow(&p->line, &p->line_cap, p->line_len + seg + 1)) {
        p->error = VBX_E_NOMEM;
        break;
      }
      memcpy(p->line + p->line_len, buf + i, seg);
      p->line_len += seg;
      rc = process_line(p, p->line, p->line_len);
      p->line_len = 0;
    }
    if (rc) {
      p->error = rc;
      break;
    }
    if (buf[j] == '\r') p->skip_lf = 1;
    i = j + 1;
  }
  return p->error;
}

int vbx_sse_finish(vbx_sse_parser *p) {
  if (p->error) return p->error;
  if (p->line_len > 0) {
    int rc = process_line(p, p->line, p->line_len);
    p->line_len = 0;
    if (rc) p->error = rc;
  }
  /* an event not closed by a blank line is discarded */
  p->data_len = 0;
  p->has_data = 0;
  p->event[0] = 0;
  return p->error;
}

void vbx_sse_reset(vbx_sse_parser *p) {
  p->line_len = 0;
  p->data_len = 0;
  p->has_data = 0;
  p->event[0] = 0;
  p->id[0] = 0;
  p->skip_lf = 0;
  p->error = 0;
  p->events = 0;
}

void vbx_sse_free(vbx_sse_parser *p) {
  free(p->line);
  free(p->data);
  p->line = p->data = NULL;
  p->line_cap = p->data_cap = 0;
  p->line_len = p->data_len = 0;
}
