/*
 * sandbox-qemu/why.c - why a box's guest is gone, in one message: QEMU's
 * exit status (the skeleton has waited a bounded time for it: a connection
 * that ended means QEMU is exiting - it closed its end of the socket, or
 * the guest stopped and -no-reboot ends it), the connection's end, QEMU's
 * last stderr lines, the guest's "Kernel panic" line, then as much of the
 * console tail as fits.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "qemu.h"

#define TAIL_LINES 12

static void describe_status(int st, char *out, size_t cap) {
  if (st == -1)
    snprintf(out, cap, "QEMU is gone (status unknown)");
  else if (WIFEXITED(st))
    snprintf(out, cap, "QEMU exited with status %d", WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    snprintf(out, cap, "QEMU was killed by signal %d", WTERMSIG(st));
  else
    snprintf(out, cap, "QEMU stopped (status 0x%x)", st);
}

void qemu_why_dead(gs_box *box, int gone, int status, const char *why, char *msg, size_t cap) {
  char what[256] = "", qlog[400], panic[200], path[600];
  if (gone) describe_status(status, what, sizeof what);
  gs_box_path(box, "qemu.log", path, sizeof path);
  qemu_file_tail(path, 4, qlog, sizeof qlog);
  gs_box_path(box, "console.log", path, sizeof path);
  qemu_console_panic(path, panic, sizeof panic);
  int n = snprintf(msg, cap, "%s%s%s%s%s%s%s%s", gone ? what : "QEMU is still running",
                   why[0] ? " (" : "", why, why[0] ? ")" : "", qlog[0] ? "; QEMU said: " : "", qlog,
                   panic[0] ? "; guest " : "", panic);
  if (n < 0 || (size_t)n >= cap) return;
  /* The console tail gets what room is left; it is read from the end, so a
   * short budget keeps the newest lines. */
  static const char hdr[] = "; guest console (last lines):\n";
  size_t limit = cap < QEMU_WHY_MAX ? cap : QEMU_WHY_MAX;
  if ((size_t)n + sizeof hdr + 40 >= limit) /* no useful room for a tail */
    return;
  char *t = msg + n + sizeof hdr - 1;
  if (qemu_file_tail(path, TAIL_LINES, t, limit - (size_t)n - (sizeof hdr - 1)) > 0)
    memcpy(msg + n, hdr, sizeof hdr - 1);
  else
    snprintf(msg + n, limit - (size_t)n, "; the guest console is empty");
}
