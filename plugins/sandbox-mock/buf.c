/*
 * sandbox-mock/buf.c - the growable output buffer of a simulated command
 * (stdout, stderr, a listing), capped at its limit with a truncation flag.
 */
#include <stdlib.h>
#include <string.h>

#include "mock.h"

void mock_buf_put(mock_buf *b, const char *data, size_t len) {
  if (b->failed || len == 0)
    return;
  if (b->limit != 0 && b->len + len > b->limit) {
    b->truncated = 1;
    len = b->limit - b->len;
    if (len == 0)
      return;
  }
  if (b->len + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + len + 1)
      cap *= 2;
    char *d = realloc(b->data, cap);
    if (d == NULL) {
      b->failed = 1;
      return;
    }
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

void mock_buf_puts(mock_buf *b, const char *s) {
  mock_buf_put(b, s, strlen(s));
}
