/*
 * skill-mcp/tail.c - the newest bytes of a server's stderr, kept in a fixed
 * buffer, and its last lines made printable for an error message
 * (mcp_transport.h).
 */
#include <string.h>

#include "mcp_transport.h"

void vbx_mcp_tail_add(vbx_mcp_tail *t, const char *data, size_t len) {
  t->total += len;
  if (len >= sizeof t->buf) {
    memcpy(t->buf, data + len - sizeof t->buf, sizeof t->buf);
    t->len = sizeof t->buf;
    return;
  }
  size_t keep = t->len + len > sizeof t->buf ? sizeof t->buf - len : t->len;
  memmove(t->buf, t->buf + t->len - keep, keep);
  memcpy(t->buf + keep, data, len);
  t->len = keep + len;
}

size_t vbx_mcp_tail_lines(const vbx_mcp_tail *t, unsigned lines, char *buf, size_t cap) {
  if (cap == 0) return 0;
  /* the start of the last `lines` non-blank lines */
  size_t start = t->len, end = t->len;
  unsigned seen = 0;
  for (size_t i = t->len; i > 0 && seen < lines; i--) {
    if (t->buf[i - 1] != '\n') continue;
    int blank = 1;
    for (size_t j = i; j < end && blank; j++)
      blank = t->buf[j] == '\r' || t->buf[j] == ' ';
    if (!blank) seen++;
    start = i;
    end = i - 1;
  }
  if (seen < lines) start = 0;
  /* printable, non-blank lines joined with " | " into a scratch buffer */
  char tmp[VBX_MCP_TAIL_BYTES * 3];
  size_t o = 0;
  const char *p = t->buf + start, *stop = t->buf + t->len;
  while (p < stop) {
    const char *nl = memchr(p, '\n', (size_t)(stop - p));
    const char *e = nl ? nl : stop;
    while (e > p && (e[-1] == '\r' || e[-1] == ' '))
      e--;
    if (e > p) {
      if (o > 0) {
        memcpy(tmp + o, " | ", 3);
        o += 3;
      }
      for (const char *c = p; c < e; c++)
        tmp[o++] = ((unsigned char)*c < 0x20 || *c == 0x7f) ? '?' : *c;
    }
    p = nl ? nl + 1 : stop;
  }
  /* keep the end when it does not fit, from a whole character on */
  size_t from = 0;
  if (o + 1 > cap) {
    from = o - (cap > 4 ? cap - 4 : cap - 1);
    while (from < o && ((unsigned char)tmp[from] & 0xC0) == 0x80)
      from++;
  }
  size_t n = 0;
  if (from > 0 && cap > 4) {
    memcpy(buf, "...", 3);
    n = 3;
  }
  memcpy(buf + n, tmp + from, o - from);
  n += o - from;
  buf[n] = '\0';
  return n;
}
