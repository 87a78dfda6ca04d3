/*
 * guest-session/gs_console.c - the tail of a log file, the guest's panic
 * line and the guest agent's last line before it, for error messages.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gs_vm.h"

size_t gs_file_tail(const char *file, unsigned lines, char *out, size_t cap) {
  if (cap == 0) return 0;
  out[0] = '\0';
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat st;
  char buf[4096];
  size_t want = cap - 1 < sizeof buf ? cap - 1 : sizeof buf;
  off_t from = 0;
  if (fstat(fd, &st) == 0 && st.st_size > (off_t)want) from = st.st_size - (off_t)want;
  ssize_t n = pread(fd, buf, want, from);
  close(fd);
  if (n <= 0) return 0;
  size_t len = (size_t)n;
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
    len--;
  /* Walk back `lines` newlines. */
  size_t start = len;
  unsigned seen = 0;
  while (start > 0) {
    if (buf[start - 1] == '\n' && ++seen == lines) break;
    start--;
  }
  /* The buffer began mid-file: drop the partial first line, if another
   * line follows it. */
  if (start == 0 && from > 0) {
    const char *nl = memchr(buf, '\n', len);
    if (nl != NULL) start = (size_t)(nl - buf) + 1;
  }
  size_t o = 0;
  for (size_t i = start; i < len && o + 1 < cap; i++) {
    unsigned char c = (unsigned char)buf[i];
    if (c == '\r') continue;
    out[o++] = (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) ? (char)c : '?';
  }
  out[o] = '\0';
  return o;
}

#define PANIC "Kernel panic - not syncing:"

/* The last occurrence of needle in buf before end (NULL: anywhere). */
static const char *last_of(const char *buf, const char *needle, const char *end) {
  const char *last = NULL;
  for (const char *p = buf; (p = strstr(p, needle)) != NULL && (end == NULL || p < end); p++)
    last = p;
  return last;
}

/* The line from at (NULL: none) to its end into out (cap > 0). */
static void copy_line(const char *at, char *out, size_t cap) {
  out[0] = '\0';
  if (at == NULL) return;
  size_t len = strcspn(at, "\n");
  if (len >= cap) len = cap - 1;
  memcpy(out, at, len);
  out[len] = '\0';
}

void gs_console_panic(const char *file, char *out, size_t cap) {
  char buf[16384];
  if (cap == 0) return;
  gs_file_tail(file, 100000, buf, sizeof buf);
  copy_line(last_of(buf, PANIC, NULL), out, cap);
}

void gs_console_agent_last(const char *file, char *out, size_t cap) {
  char buf[16384];
  if (cap == 0) return;
  gs_file_tail(file, 100000, buf, sizeof buf);
  copy_line(last_of(buf, "voidbox-agent: ", last_of(buf, PANIC, NULL)), out, cap);
}
