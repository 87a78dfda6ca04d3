/*
 * term_caps.c - terminal width and colour (see term_caps.h).
 */
#include "term_caps.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

unsigned vbx__term_width(int fd, unsigned fallback) {
  if (!isatty(fd)) return fallback;
  const char *env = getenv("COLUMNS");
  if (env != NULL && *env != '\0') {
    char *end;
    unsigned long v = strtoul(env, &end, 10);
    if (*end == '\0' && v > 0 && v < 100000) return (unsigned)v;
  }
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return fallback;
}

int vbx__term_color(int fd) {
  const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
  if (no != NULL && *no != '\0') return 0;
  if (term != NULL && !strcmp(term, "dumb")) return 0;
  return isatty(fd);
}
