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
  size_t end = t->len;
  while (end > 0 && (t->buf[end - 1] == '\n' || t->buf[end - 1] == '\r'))
    end--;
  size_t start = end;
  unsigned seen = 0;
  while (start > 0) {
    if (t->buf[start - 1] == '\n' && ++seen == lines) break;
    start--;
  }
  size_t o = 0;
  for (size_t i = start; i < end && o + 1 < cap; i++) {
    unsigned char c = (unsigned char)t->buf[i];
    if (c == '\n') {
      if (o + 4 >= cap) break;
      memcpy(buf + o, " | ", 3);
      o += 3;
    } else if (c == '\r') {
      continue;
    } else {
      buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
  }
  buf[o] = '\0';
  return o;
}
