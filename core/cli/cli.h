/*
 * cli.h - shared pieces of the `voidbox` command-line front end.
 *
 * Exit codes (docs/cli.md): 0 success, 1 the run failed or was cancelled,
 * 2 usage, spec or plugin-loading error.
 */
#ifndef VBX_CLI_H
#define VBX_CLI_H

#include <stdio.h>

#include "voidbox/voidbox.h"

#define VBX_EXIT_OK 0
#define VBX_EXIT_FAILED 1
#define VBX_EXIT_USAGE 2

/* Options every command that loads plugins accepts. */
typedef struct vbx__cli_common {
  const char **plugins; /* --plugin PATH (repeatable), NULL-terminated */
  size_t n_plugins;
  const char **config; /* --set key=value (repeatable), NULL-terminated */
  size_t n_config;
  int no_plugin_dir;       /* --no-plugin-dir */
  const char *plugin_dir;  /* --plugin-dir DIR */
  vbx_log_level log_level; /* --log-level */
  int log_format;          /* --log-format: vbx_log_format, when log_format_set */
  int log_format_set;      /* else VOIDBOX_LOG_FORMAT, else text */
  const char *file;        /* -f/--file SPEC (commands that take a spec) */
} vbx__cli_common;

/* Try to consume one common option at argv[*i] (advancing *i past its
 * value). Returns 1 when consumed, 0 when the option is not a common one,
 * -1 after printing a usage error. */
int vbx__cli_common_opt(vbx__cli_common *c, int argc, char **argv, int *i);
/* Add a host setting as `--set kv` would ("key=value", which must outlive
 * c). 0, or -1 after printing the error (out of memory). */
int vbx__cli_common_set(vbx__cli_common *c, const char *kv);
/* Release the arrays. */
void vbx__cli_common_free(vbx__cli_common *c);
/* Create a runtime from the common options; prints the error and returns
 * NULL on failure. */
vbx_runtime *vbx__cli_runtime(const vbx__cli_common *c);
/* The same without printing: 0 and *out, or the code with err filled. */
int vbx__cli_runtime_new(const vbx__cli_common *c, vbx_runtime **out, vbx_error *err);
struct vbx__plan; /* run/plan.h */
/* For commands that take a spec: load c->file, create the runtime and
 * check the spec against its plugins (vbx__pipeline_check_plan). Prints
 * any error (FILE:LINE:COLUMN for spec errors) and returns
 * VBX_EXIT_USAGE; on success returns VBX_EXIT_OK with *rt, *p and *plan
 * (what the check resolved, for a run or a probe; vbx__plan_free) owned
 * by the caller. `cmd` names the command in messages. */
int vbx__cli_open_spec(const vbx__cli_common *c, const char *cmd, vbx_runtime **rt,
                       vbx_pipeline **p, struct vbx__plan **plan);
/* Help text for the common options. */
void vbx__cli_common_help(FILE *out);
/* Print an error to stderr as "voidbox: message". */
void vbx__cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The text of the last vbx__cli_error ("" before any). */
const char *vbx__cli_last_error(void);
/* Parse a log level name; -1 when unknown. */
int vbx__cli_log_level(const char *name);
/* Parse a log format name ("text", "json"): a vbx_log_format, or -1. */
int vbx__cli_log_format(const char *name);
/* The log format c asks for: --log-format, else the environment's
 * VOIDBOX_LOG_FORMAT (an unknown value is warned about on stderr, once per
 * process, and ignored), else text. */
vbx_log_format vbx__cli_log_format_of(const vbx__cli_common *c);

/* json_doc.c: the error document `--output json` prints instead of a
 * report (malloc'd text; NULL when out of memory): schema_version,
 * "status": "error", exit_code, error {code, message, file?, line?,
 * column?}. */
char *vbx__cli_error_doc(int exit_code, const vbx_error *err);
/* json_doc.c: print that document on stdout, from err when not NULL, else
 * from code and msg. Returns exit_code, or VBX_EXIT_FAILED (after saying
 * so on stderr) when stdout cannot be written. */
int vbx__cli_print_error_doc(int exit_code, int code, const char *msg, const vbx_error *err);
/* The closest of the NULL-terminated `names` to `word` as
 * " (did you mean 'x'?)", or "" when none is close (static storage). */
const char *vbx__cli_hint(const char *word, const char *const *names);

/* Subcommands: each returns the process exit code. argv[0] is the command
 * name. */
int vbx__cmd_run(int argc, char **argv);
int vbx__cmd_validate(int argc, char **argv);
int vbx__cmd_plugins(int argc, char **argv);
int vbx__cmd_plugin(int argc, char **argv);
int vbx__cmd_image(int argc, char **argv);
int vbx__cmd_doctor(int argc, char **argv);
int vbx__cmd_skills(int argc, char **argv);
int vbx__cmd_trace(int argc, char **argv);

#endif
