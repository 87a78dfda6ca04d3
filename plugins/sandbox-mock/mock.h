/*
 * sandbox-mock/mock.h - internals of the "mock" sandbox backend: parsed
 * options, the per-sandbox in-memory file system, named barriers shared in
 * the plugin state, and the JSONL call recorder.
 *
 * Threads: the plugin state (barriers, record lock) is shared by every
 * sandbox and guarded by its own mutexes; a sandbox is used by one thread at
 * a time (the vtable does not set VBX_VT_THREAD_SAFE).
 */
#ifndef VBX_SANDBOX_MOCK_H
#define VBX_SANDBOX_MOCK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"
#include "voidbox/plugin.h"

#define MOCK_MAX_COMMANDS 1024
#define MOCK_MAX_STRING (1u << 20) /* any scripted string */
#define MOCK_FS_LIMIT (16u << 20)  /* total bytes in one sandbox's files */
#define MOCK_FS_MAX_FILES 4096
#define MOCK_DEFAULT_OUTPUT_CAP (1u << 20)
#define MOCK_MAX_DELAY_MS 600000
#define MOCK_MAX_PARTIES 1024
#define MOCK_DEFAULT_BARRIER_MS 30000
#define MOCK_MAX_NESTING 8 /* bash -c "bash -c ..." depth */

/* One scripted command. */
typedef struct mock_command {
  char *match; /* fnmatch pattern over the joined command line */
  char *out;   /* stdout, may be NULL */
  char *err;   /* stderr, may be NULL */
  int exit_code;
  uint32_t delay_ms;
} mock_command;

/* Parsed backend options. Strings malloc'd. */
typedef struct mock_options {
  mock_command *commands;
  size_t n_commands;
  char *record;       /* resolved path (spec_dir applied), or NULL */
  char *barrier_name; /* NULL: no barrier */
  uint32_t barrier_parties;
  uint32_t barrier_timeout_ms;
  int fail_exec;
} mock_options;

typedef struct mock_barrier {
  struct mock_barrier *next;
  char *name;
  uint32_t parties;
  uint32_t arrived;
  uint64_t generation;
  pthread_cond_t cond;
} mock_barrier;

/* Plugin-wide state returned by init(). */
typedef struct mock_state {
  const vbx_host_services *host;
  pthread_mutex_t lock; /* barriers list and each barrier */
  mock_barrier *barriers;
  pthread_mutex_t record_lock; /* serialises record appends */
  uint64_t next_id;            /* sandbox ids, under lock */
} mock_state;

typedef struct mock_file {
  char *path; /* normalised absolute path */
  char *data; /* malloc'd, NUL-terminated */
  size_t len;
  uint32_t mode;
} mock_file;

typedef struct mock_fs {
  mock_file *files;
  size_t n, cap;
  size_t total; /* sum of lengths, <= MOCK_FS_LIMIT */
} mock_fs;

/* One sandbox instance. */
typedef struct mock_sandbox {
  mock_state *st;
  mock_options opt;
  mock_fs fs;
  char *box_name;
  uint64_t id;
  int passed_barrier;
  uint32_t memory_mb; /* cfg->memory_mb (telemetry's total) */
  uint64_t n_samples; /* telemetry calls so far */
} mock_sandbox;

/* ---- options.c ---- */
/* Parse and check backend options (NULL = none). On error sets the call's
 * error with field = the top-level key and returns a VBX_E_* code; *out is
 * then cleared. spec_dir (may be NULL) resolves a relative `record`. */
int mock_options_parse(const vbx_host_services *h, const vbx_json *options, const char *spec_dir,
                       mock_options *out, vbx_call *call);
/* Free what mock_options_parse allocated. */
void mock_options_clear(mock_options *o);

/* ---- memfs.c ---- */
/* Normalise `path` against `cwd` ("/workspace" when NULL) into a malloc'd
 * absolute path without ".", ".." or repeated slashes. NULL on OOM/too long. */
char *mock_path_norm(const char *cwd, const char *path);
/* Find a file by normalised path; NULL when absent. */
mock_file *mock_fs_find(mock_fs *fs, const char *norm);
/* Create or replace a file; copies data. VBX_E_LIMIT past the size bound. */
int mock_fs_write(mock_fs *fs, const char *norm, const char *data, size_t len, uint32_t mode,
                  int append);
/* Whether `norm` is a directory (a prefix of some file) or "/". */
int mock_fs_is_dir(const mock_fs *fs, const char *norm);
/* Append the sorted, unique immediate children of directory `norm`, one
 * per line, to buf. */
void mock_fs_list(const mock_fs *fs, const char *norm, vbx__strbuf *buf);
void mock_fs_free(mock_fs *fs);

/* ---- shell.c ---- */
/* The outcome of interpreting a command: output text (malloc'd) plus exit
 * code and the scripted delay. */
typedef struct mock_outcome {
  vbx__strbuf out;
  vbx__strbuf err;
  int exit_code;
  uint32_t delay_ms;
  int scripted; /* matched a `commands` entry */
} mock_outcome;
/* Interpret argv inside sandbox sb: scripted commands first (fnmatch over
 * the joined line), then built-ins, then `bash -c`/`sh -c` recursion.
 * Returns 0 or VBX_E_NOMEM/VBX_E_LIMIT. */
int mock_shell_run(mock_sandbox *sb, const char *const *argv, const char *cwd,
                   const char *stdin_data, size_t stdin_len, mock_outcome *oc);

/* ---- barrier.c ---- */
/* Wait at the named barrier until `parties` callers arrived, the timeout
 * passes (VBX_E_TIMEOUT) or the call is cancelled (VBX_E_CANCELLED). A
 * different `parties` for an existing name fails with VBX_E_INVAL. */
int mock_barrier_wait(mock_state *st, const char *name, uint32_t parties, uint32_t timeout_ms,
                      vbx_call *call);
/* Free every barrier (fini). */
void mock_barrier_free_all(mock_state *st);

/* ---- record.c ---- */
/* Append one JSON object (stolen) as a line to the record file; adds "seq"
 * -less fields "box" and "op". No-op when the sandbox records nothing.
 * Returns 0 or VBX_E_IO/VBX_E_NOMEM with the call's error set (call may be
 * NULL for destroy). */
int mock_record(mock_sandbox *sb, const char *op, vbx_json *obj, vbx_call *call);

/* ---- exec.c ---- */
int mock_exec(void *sandbox, const vbx_exec_request *req, vbx_exec_result *res, vbx_call *call);

/* ---- telem.c ---- */
/* The telemetry method: deterministic simulated figures (docs/mock.md
 * "Telemetry"). Same thread rules as the other methods. */
int mock_telemetry(void *sandbox, vbx_sandbox_telemetry *out, vbx_call *call);

#endif
