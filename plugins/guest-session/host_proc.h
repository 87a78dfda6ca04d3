/*
 * guest-session/host_proc.h - the resource use of the host process that
 * carries a box (the local backend's agent, QEMU, voidbox-vmm), read from
 * /proc/PID: resident memory (VmRSS of /proc/PID/status) and CPU time
 * (utime + stime of /proc/PID/stat). The parsers take the files' text so
 * they can be tested on fixtures; gs_box_telemetry (gs_box.h) adds the
 * figures to a telemetry sample.
 *
 * Threads: every function is thread-safe (no state).
 */
#ifndef VBX_GS_HOST_PROC_H
#define VBX_GS_HOST_PROC_H

#include <stdint.h>
#include <sys/types.h>

typedef struct gs_host_proc {
  uint64_t rss_kib;  /* VmRSS */
  uint64_t cpu_usec; /* utime + stime, user and system CPU time so far */
} gs_host_proc;

/* gs_stat_field - where field `field` (3 or more, numbered from 1 as
 * proc(5) does) of the text of /proc/PID/stat starts. Fields are counted
 * after the LAST ')': the command name (field 2) may hold spaces and
 * parentheses. NULL when the text has no ')', a field is empty or the text
 * ends before that field. Pure. */
const char *gs_stat_field(const char *text, int field);

/* gs_host_proc_parse_stat - utime + stime (fields 14 and 15) of the text
 * of /proc/PID/stat, in microseconds at hz clock ticks per second (hz >
 * 0). The command name (field 2) may hold spaces and parentheses: fields
 * are counted after the LAST ')'. Returns 0, or VBX_E_PROTOCOL when the
 * text is not in that form (no ')', too few fields, a time that is not a
 * decimal number) or VBX_E_INVAL when hz <= 0. Pure. */
int gs_host_proc_parse_stat(const char *text, long hz, uint64_t *cpu_usec);

/* gs_host_proc_parse_status - the "VmRSS: N kB" line of the text of
 * /proc/PID/status, in KiB. Returns 0, VBX_E_NOTFOUND when there is no
 * such line (a zombie or a kernel thread has none) or VBX_E_PROTOCOL when
 * it is not in that form (a line cut before its unit too). Pure. */
int gs_host_proc_parse_status(const char *text, uint64_t *rss_kib);

/* gs_host_proc_read - both figures of process pid from /proc/PID (bounded
 * reads, no symlink followed). Returns 0, VBX_E_NOTFOUND when the process
 * is gone (or has no memory: a zombie), or VBX_E_PROTOCOL / VBX_E_IO.
 * The caller makes sure pid still names its process (not reaped). */
int gs_host_proc_read(pid_t pid, gs_host_proc *out);

#endif
