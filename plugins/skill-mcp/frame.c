/*
 * skill-mcp/frame.c - the newline framer of the stdio transport
 * (mcp_frame.h).
 */
#include <stdlib.h>
#include <string.h>

#include "mcp_frame.h"

void vbx_mcp_framer_init(vbx_mcp_framer *f, size_t max) {
  memset(f, 0, sizeof *f);
  f->max = max ? max : VBX_MCP_LINE_MAX;
}

void vbx_mcp_framer_free(vbx_mcp_framer *f) {
  free(f->buf);
  f->buf = NULL;
  f->start = f->len = f->cap = f->scan = 0;
  f->skipping = 0;
}

size_t vbx_mcp_framer_pending(const vbx_mcp_framer *f) { return f->len - f->start; }

/* Move the unread bytes to the front of the buffer. */
static void compact(vbx_mcp_framer *f) {
  if (f->start == 0) return;
  memmove(f->buf, f->buf + f->start, f->len - f->start);
  f->len -= f->start;
  f->start = 0;
}

int vbx_mcp_framer_push(vbx_mcp_framer *f, const char *data, size_t n) {
  if (f->skipping) {
    const char *nl = memchr(data, '\n', n);
    if (nl == NULL) return 0; /* still inside the oversize line */
    f->skipping = 0;
    n -= (size_t)(nl + 1 - data);
    data = nl + 1;
  }
  if (n == 0) return 0;
  if (vbx_mcp_framer_pending(f) > f->max) return VBX_E_TOOBIG;
  compact(f);
  if (f->len + n + 1 > f->cap) {
    size_t want = f->len + n + 1;
    size_t cap = f->cap ? f->cap : 4096;
    while (cap < want)
      cap *= 2;
    char *b = realloc(f->buf, cap);
    if (b == NULL) return VBX_E_NOMEM;
    f->buf = b;
    f->cap = cap;
  }
  memcpy(f->buf + f->len, data, n);
  f->len += n;
  return 0;
}

int vbx_mcp_framer_next(vbx_mcp_framer *f, char **line, size_t *len) {
  for (;;) {
    if (f->skipping) return 0;
    size_t avail = f->len - f->start;
    char *base = f->buf + f->start;
    char *nl = avail > f->scan ? memchr(base + f->scan, '\n', avail - f->scan) : NULL;
    if (nl == NULL) {
      f->scan = avail;
      if (avail <= f->max) return 0;
      /* over the bound without a newline: refuse it, skip the rest */
      f->start = f->len = f->scan = 0;
      f->skipping = 1;
      return VBX_E_TOOBIG;
    }
    size_t n = (size_t)(nl - base);
    f->start += n + 1;
    f->scan = 0;
    if (n > 0 && base[n - 1] == '\r') n--;
    if (n > f->max) return VBX_E_TOOBIG; /* a whole oversize line arrived at once */
    if (n == 0) continue;                /* blank line */
    base[n] = '\0';
    *line = base;
    *len = n;
    f->lines++;
    return 1;
  }
}
