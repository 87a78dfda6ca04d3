#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int vbx__error_set(vbx_error *err, int code, const char *fmt, ...) {
  if (!err) return code;
  memset(err, 0, sizeof(*err));
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof(err->message), fmt, ap);
  va_end(ap);
  return code;
}

int vbx__error_at(vbx_error *err, int code, const char *file, int line, int column, const char *fmt,
                  ...) {
  if (!err) return code;
  memset(err, 0, sizeof(*err));
  err->code = code;
  snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
  err->line = line;
  err->column = column;
  char text[sizeof(err->message)];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  /* Position first, then as much of the text as fits. */
  int n;
  if (line > 0 && column > 0)
    n = snprintf(err->message, sizeof(err->message), "%.500s:%d:%d: ", err->file, line, column);
  else if (line > 0)
    n = snprintf(err->message, sizeof(err->message), "%.500s:%d: ", err->file, line);
  else
    n = snprintf(err->message, sizeof(err->message), "%.500s: ", err->file);
  if (n > 0 && (size_t)n < sizeof(err->message))
    memcpy(err->message + n, text, strnlen(text, sizeof(err->message) - (size_t)n - 1));
  return code;
}

/* Levenshtein distance, bounded to short words (keys, plugin names). */
static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 63 || lb > 63) return (size_t)-1;
  size_t prev[64], cur[64];
  for (size_t j = 0; j <= lb; j++)
    prev[j] = j;
  for (size_t i = 1; i <= la; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
      size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
      cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
    }
    memcpy(prev, cur, (lb + 1) * sizeof(size_t));
  }
  return prev[lb];
}

const char *vbx__did_you_mean(const char *word, const char *const *candidates) {
  const char *best = NULL;
  size_t best_d = (size_t)-1;
  size_t limit = strlen(word) <= 4 ? 1 : (strlen(word) <= 8 ? 2 : 3);
  for (size_t i = 0; candidates && candidates[i]; i++) {
    size_t d = edit_distance(word, candidates[i]);
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best_d <= limit ? best : NULL;
}
