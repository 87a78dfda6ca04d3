/*
 * guest/agent/log.c - the agent's log sink. As PID 1 it writes only to
 * /dev/kmsg (never the serial console: back-pressure there would stall the
 * guest); as a plain process to stderr.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

static int g_fd = 2;
static int g_verbose;

void vbx__log_init(int kmsg, int verbose) {
  g_verbose = verbose;
  if (kmsg) {
    int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
    g_fd = fd; /* -1: logging is dropped rather than sent to the console */
  }
}

void vbx__log(int level, const char *fmt, ...) {
  if (g_fd < 0 || (level >= 2 && !g_verbose)) return;
  char line[1024];
  /* kmsg priorities: 3 err, 5 notice, 7 debug. Notice, not info: the qemu
   * backend's guests print notice and worse on their console (loglevel=6,
   * sandbox-qemu/cmdline.c), so the agent's lines stay there, the
   * kernel's info lines of a boot do not. */
  int n = snprintf(line, sizeof line, "<%d>voidbox-agent: ", level == 0 ? 3 : level == 1 ? 5 : 7);
  const char *start = line;
  if (g_fd == 2) start = line + 3; /* no priority prefix on stderr */
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  size_t len =
      (size_t)n + (m < 0                                     ? 0
                   : (size_t)m < sizeof line - (size_t)n - 1 ? (size_t)m
                                                             : sizeof line - (size_t)n - 2);
  line[len++] = '\n';
  ssize_t w = write(g_fd, start, len - (size_t)(start - line)); /* one write: one record */
  (void)w;
}
