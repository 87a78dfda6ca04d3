/*
 * guest-session/session.h - the sandbox vtable methods (exec, file_write,
 * file_read, telemetry, the proc_* of streaming exec) over a connection to
 * a guest agent, shared by every backend that runs the agent: `local` (a
 * namespaced process), `qemu` and `kvm` (micro-VMs). A backend starts its
 * agent its own way, connects with client.h, fills a guest_session and
 * forwards its vtable calls here.
 *
 * Output is handed to on_output as it arrives and credit is returned only
 * after that, so host memory stays bounded by the window plus the capture
 * cap; cancellation and deadlines are polled every 50 ms and turn into a
 * SIGKILL of the exec's process group.
 *
 * Ownership: the session borrows everything it points to; the backend owns
 * the connection, the env array and the name, and keeps them alive until
 * no call is in flight. Threads: the methods are thread-safe (the protocol
 * multiplexes concurrent requests on one connection); one proc is used by
 * one thread at a time, but for proc_kill.
 */
#ifndef VBX_GUEST_SESSION_H
#define VBX_GUEST_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "voidbox/plugin.h"

#define GUEST_DEFAULT_OUTPUT_CAP (1u << 20)
#define GUEST_EXEC_WINDOW (1024u * 1024u)
#define GUEST_WORKSPACE "/workspace"
/* Where skills are provisioned (docs/skills.md): like /workspace, made by
 * the backend and owned by the commands' identity, which file writes take. */
#define GUEST_SKILLS "/skills"

typedef struct guest_session {
  const vbx_host_services *host;
  const char *name;    /* box name, for messages */
  gc_conn *conn;       /* NULL until connected */
  char **env;          /* default env of execs, NULL-terminated */
  uint32_t uid, gid;   /* identity of commands */
  uint64_t expires_ns; /* sandbox lifetime (timeout_secs), 0: none */
  /* why_dead - describe why the agent or its connection is gone (exit
   * status, console tail...) into msg; called from any method's thread. */
  void (*why_dead)(void *ctx, char *msg, size_t cap);
  void *why_ctx;
} guest_session;

/* The vtable methods, with the contracts of vbx_sandbox_backend_vtable in
 * voidbox/plugin.h. Relative paths are relative to GUEST_WORKSPACE. */
int guest_exec(guest_session *s, const vbx_exec_request *req, vbx_exec_result *res, vbx_call *call);
int guest_file_write(guest_session *s, const char *path, const void *data, size_t len,
                     uint32_t mode, vbx_call *call);
int guest_file_read(guest_session *s, const char *path, size_t max_len, char **out, size_t *out_len,
                    vbx_call *call);
/* One TELEMETRY_SUBSCRIBE per call; the first sample is the answer, then
 * the subscription is ended before returning (docs/sandbox-local.md). */
int guest_telemetry(guest_session *s, vbx_sandbox_telemetry *out, vbx_call *call);

/* The same methods in the vtable's form, for backends whose sandbox struct
 * has a guest_session as its FIRST member (the pointer converts). */
int guest_vt_exec(void *sandbox, const vbx_exec_request *req, vbx_exec_result *res, vbx_call *call);
int guest_vt_file_write(void *sandbox, const char *path, const void *data, size_t len,
                        uint32_t mode, vbx_call *call);
int guest_vt_file_read(void *sandbox, const char *path, size_t max_len, char **out, size_t *out_len,
                       vbx_call *call);
int guest_vt_telemetry(void *sandbox, vbx_sandbox_telemetry *out, vbx_call *call);
/* Streaming exec (proc.c), in the vtable's form only. A process that
 * cannot start (not found, refused by the guest's policy) fails the first
 * proc_read or proc_write with the guest's error: EXEC_START has no reply
 * when the process starts. */
int guest_vt_proc_open(void *sandbox, const vbx_exec_request *req, void **out, vbx_call *call);
int guest_vt_proc_write(void *proc, const void *data, size_t len, vbx_call *call);
int guest_vt_proc_close_stdin(void *proc, vbx_call *call);
int guest_vt_proc_read(void *proc, uint32_t timeout_ms, vbx_stream *stream, char *buf, size_t cap,
                       size_t *len, vbx_call *call);
int guest_vt_proc_status(void *proc, vbx_exec_result *res, vbx_call *call);
int guest_vt_proc_kill(void *proc, int signo);
void guest_vt_proc_close(void *proc);
/* The seven proc_* members of a backend's vtable initialiser. */
#define GUEST_VT_PROC_METHODS                                                     \
  .proc_open = guest_vt_proc_open, .proc_write = guest_vt_proc_write,             \
  .proc_close_stdin = guest_vt_proc_close_stdin, .proc_read = guest_vt_proc_read, \
  .proc_status = guest_vt_proc_status, .proc_kill = guest_vt_proc_kill,           \
  .proc_close = guest_vt_proc_close

/* guest_safe_name - replace every byte of s outside [A-Za-z0-9_-] with
 * '_' in place (box names in file names). */
void guest_safe_name(char *s);

/* guest_default_env - the base environment of commands (PATH, HOME=
 * GUEST_WORKSPACE, TMPDIR, LANG, USER) followed by extra (may be NULL).
 * Returns a malloc'd NULL-terminated array of malloc'd strings, or NULL
 * when out of memory; free with guest_env_free. */
char **guest_default_env(const char *const *extra);
void guest_env_free(char **env);

#endif
