/*
 * guest-session/gs_vm_why.c - why a VM box's guest is gone, in one message:
 * the monitor's exit status (the skeleton has waited a bounded time for
 * it: a connection that ended means the monitor is exiting - it closed its
 * end, or the guest reset and the monitor ends with it), the connection's
 * end, the monitor's last stderr lines, the guest's "Kernel panic" line
 * (after the agent's last line when init died), then as much of the
 * console tail as fits.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "gs_vm.h"

#define TAIL_LINES 12

static void describe_status(const char *who, int st, char *out, size_t cap) {
  if (st == -1)
    snprintf(out, cap, "%s is gone (status unknown)", who);
  else if (WIFEXITED(st))
    snprintf(out, cap, "%s exited with status %d", who, WEXITSTATUS(st));
  else if (WIFSIGNALED(st))
    snprintf(out, cap, "%s was killed by signal %d", who, WTERMSIG(st));
  else
    snprintf(out, cap, "%s stopped (status 0x%x)", who, st);
}

void gs_vm_why_dead(gs_box *box, const char *who, const char *log_file, int gone, int status,
                    const char *why, char *msg, size_t cap) {
  char what[256], mlog[400], panic[200], last[220] = "", path[600];
  if (gone)
    describe_status(who, status, what, sizeof what);
  else
    snprintf(what, sizeof what, "%s is still running", who);
  gs_box_path(box, log_file, path, sizeof path);
  gs_file_tail(path, 4, mlog, sizeof mlog);
  gs_box_path(box, "console.log", path, sizeof path);
  gs_console_panic(path, panic, sizeof panic);
  /* init died: the agent's last line is why (the panic's dump fills the
   * tail below) */
  if (strstr(panic, "Attempted to kill init") != NULL)
    gs_console_agent_last(path, last, sizeof last);
  int n = snprintf(msg, cap, "%s%s%s%s%s%s%s%s%s", what, why[0] ? " (" : "", why, why[0] ? ")" : "",
                   mlog[0] ? "; " : "", mlog[0] ? who : "", mlog[0] ? " said: " : "", mlog,
                   panic[0] ? "; guest " : "");
  if (n >= 0 && (size_t)n < cap && panic[0])
    n += snprintf(msg + n, cap - (size_t)n, "%s%s%s", panic, last[0] ? " after " : "", last);
  if (n < 0 || (size_t)n >= cap) return;
  /* The console tail gets what room is left; it is read from the end, so a
   * short budget keeps the newest lines. */
  static const char hdr[] = "; guest console (last lines):\n";
  size_t limit = cap < GS_VM_WHY_MAX ? cap : GS_VM_WHY_MAX;
  if ((size_t)n + sizeof hdr + 40 >= limit) /* no useful room for a tail */
    return;
  char *t = msg + n + sizeof hdr - 1;
  if (gs_file_tail(path, TAIL_LINES, t, limit - (size_t)n - (sizeof hdr - 1)) > 0)
    memcpy(msg + n, hdr, sizeof hdr - 1);
  else
    snprintf(msg + n, limit - (size_t)n, "; the guest console is empty");
}
