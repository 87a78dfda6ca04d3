/*
 * skill-mcp/mcp_transport.h - the byte pipe an MCP client talks through to
 * one server: write to its stdin, read its stdout, learn how it ended, stop
 * it. Implemented over a sandbox's streaming exec (proc.c, the plugin),
 * over a child process's pipes (transport_fd.c, tests) and over a scripted
 * byte string (transport_mem.c, tests and the fuzzer).
 *
 * Ownership: the transport belongs to whoever made it; the JSON-RPC layer
 * only borrows it. Threads: one thread at a time, except `kill`, which may
 * be called from any thread.
 */
#ifndef VBX_MCP_TRANSPORT_H
#define VBX_MCP_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "voidbox/errors.h"

typedef struct vbx_mcp_transport {
  void *ctx;
  /* Write all `len` bytes to the server's stdin before deadline_ns
   * (CLOCK_MONOTONIC; 0: no deadline). 0, VBX_E_TIMEOUT, VBX_E_CANCELLED,
   * or another negative code when the server's stdin is gone (it exited)
   * or the transport failed; `describe` then says why. */
  int (*write)(void *ctx, const char *data, size_t len, uint64_t deadline_ns);
  /* Wait up to timeout_ms for the server's stdout. 0 with *len > 0: data
   * in buf (at most cap bytes); 0 with *len == 0: end of file (the server
   * closed its stdout or ended); VBX_E_AGAIN: nothing arrived in time;
   * VBX_E_CANCELLED; or another negative code (`describe` says why). What
   * the server writes to stderr is the transport's business (it keeps a
   * bounded tail for `describe`). */
  int (*read)(void *ctx, char *buf, size_t cap, size_t *len, uint32_t timeout_ms);
  /* Non-zero once the caller's operation is cancelled. May be NULL. */
  int (*cancelled)(void *ctx);
  /* A short account of how the server ended or why the transport failed,
   * with the last lines of its stderr: "exited with status 3; last
   * stderr: ...". Always NUL-terminates buf. May be NULL. */
  void (*describe)(void *ctx, char *buf, size_t cap);
  /* Stop the server now (SIGKILL). Never blocks long. May be NULL. */
  void (*kill)(void *ctx);
} vbx_mcp_transport;

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t vbx_mcp_now_ns(void);
/* The deadline `ms` milliseconds from now (0 ms: now). */
uint64_t vbx_mcp_deadline_ms(uint32_t ms);
/* Milliseconds left until deadline_ns (0 once passed), at most `cap`. A
 * deadline of 0 means none: returns cap. */
uint32_t vbx_mcp_left_ms(uint64_t deadline_ns, uint32_t cap);

/* ---- a bounded tail of a byte stream (a server's stderr) ---------------- */

#define VBX_MCP_TAIL_BYTES 2048
#define VBX_MCP_TAIL_LINES 10  /* lines of it an error message shows */
#define VBX_MCP_TAIL_SHOWN 800 /* at most this many bytes of them (the end kept) */

typedef struct vbx_mcp_tail {
  char buf[VBX_MCP_TAIL_BYTES];
  size_t len;   /* bytes held (the newest ones) */
  size_t total; /* bytes seen in all */
} vbx_mcp_tail;

/* Keep the newest bytes of data in t. Never fails. */
void vbx_mcp_tail_add(vbx_mcp_tail *t, const char *data, size_t len);
/* Write the last `lines` non-blank lines held in t into buf, joined with
 * " | ", control bytes replaced by '?', trailing blanks dropped; when they
 * do not fit in cap, their end, after "...". NUL-terminated; "" when t
 * holds nothing. Returns the length written. */
size_t vbx_mcp_tail_lines(const vbx_mcp_tail *t, unsigned lines, char *buf, size_t cap);

/* ---- transport over a child process's pipes (tests) --------------------- */

typedef struct vbx_mcp_fd_proc vbx_mcp_fd_proc;

/* Start argv (argv[0] looked up in PATH) with its stdin, stdout and stderr
 * on pipes; env entries "K=V" are added to the environment (may be NULL).
 * 0 and *out, or VBX_E_NOMEM / VBX_E_IO. Free with vbx_mcp_fd_close. */
int vbx_mcp_fd_open(const char *const *argv, const char *const *env, vbx_mcp_fd_proc **out);
/* The transport of p (valid until vbx_mcp_fd_close). */
vbx_mcp_transport vbx_mcp_fd_transport(vbx_mcp_fd_proc *p);
/* The child's pid. */
pid_t vbx_mcp_fd_pid(const vbx_mcp_fd_proc *p);
/* Close the child's stdin, wait up to grace_ms for it to exit, then
 * SIGKILL it; reap it and free p. NULL is a no-op. */
void vbx_mcp_fd_close(vbx_mcp_fd_proc *p, uint32_t grace_ms);

/* ---- transport over a scripted byte string (tests, fuzzing) ------------ */

typedef struct vbx_mcp_mem {
  const char *in; /* what the "server" writes, in order */
  size_t in_len, in_pos;
  const uint8_t *chunks; /* read sizes, cycled (0 entries count as 1); NULL: all at once */
  size_t n_chunks, chunk_i;
  int stall_at_end;   /* at the end of `in`: 0 end of file, 1 VBX_E_AGAIN */
  uint32_t stall_cap; /* with stall_at_end: sleep at most this many ms per read */
  char *out;          /* what the client wrote (malloc'd, NUL-terminated), capped */
  size_t out_len, out_cap_max;
  int fail_writes; /* writes fail with VBX_E_IO */
  int killed;
  int cancel; /* `cancelled` answers this */
} vbx_mcp_mem;

/* The transport of m (borrowed); m is zeroed by the caller and filled. */
vbx_mcp_transport vbx_mcp_mem_transport(vbx_mcp_mem *m);
/* Free m->out. */
void vbx_mcp_mem_free(vbx_mcp_mem *m);

#endif
