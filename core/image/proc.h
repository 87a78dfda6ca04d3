/*
 * image/proc.h - running the external tools the image builder needs (tar,
 * make, merge_config.sh, busybox, gcc, qemu) and reporting progress.
 *
 * Children get stdin from /dev/null; their output goes to a log file or is
 * captured (bounded). Nothing is run through a shell. Not thread-safe with
 * respect to SIGCHLD handling set up by others: uses waitpid on its own pid.
 */
#ifndef VBX_IMAGE_PROC_H
#define VBX_IMAGE_PROC_H

#include <stddef.h>
#include <stdio.h>

#include "voidbox/voidbox.h"

/* Monotonic seconds. */
double vbx__img_now(void);

/* Run argv (argv[0] looked up in PATH) in directory cwd (NULL: current),
 * appending its stdout and stderr to log_path. extra_env (NULL-terminated
 * "K=V" strings, may be NULL) is added to the environment. While it runs,
 * every heartbeat_secs (0: never) a line "image: <what>: still running
 * (N s, last: <last log line>)" goes to progress (may be NULL). On a non-zero
 * exit or a signal: err says which, the last 25 log lines are copied to
 * progress (or stderr when NULL), and VBX_E_GENERIC is returned. */
int vbx__img_run_logged(const char *const *argv, const char *cwd, const char *const *extra_env,
                        const char *log_path, const char *what, int heartbeat_secs, FILE *progress,
                        vbx_error *err);

/* Run argv and capture its stdout (at most max bytes, NUL-terminated,
 * malloc'd into *out, caller frees); stderr is discarded. Returns 0 when it
 * exited 0, VBX_E_NOTFOUND when it could not be started, VBX_E_TOOBIG when
 * the output exceeded max, VBX_E_GENERIC on a non-zero exit. */
int vbx__img_capture(const char *const *argv, size_t max, char **out);

/* Print the last `lines` lines of the file at path to out, each prefixed
 * with "  | ". */
void vbx__img_log_tail(const char *path, int lines, FILE *out);

#endif
