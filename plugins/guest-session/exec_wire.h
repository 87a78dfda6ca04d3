/*
 * guest-session/exec_wire.h - what an exec run to completion (exec.c) and
 * a streaming exec (proc.c) share on the wire: the request with its
 * EXEC_START (the session's identity and environment), SIGNAL, an output
 * frame checked to arrive in order, and EXIT as an exit status.
 *
 * Threads: each function touches only its arguments and the session's
 * connection (thread-safe).
 */
#ifndef VBX_GUEST_EXEC_WIRE_H
#define VBX_GUEST_EXEC_WIRE_H

#include <stdint.h>

#include "request.h"

/* guest_exec_open - a new request (receive window GUEST_EXEC_WINDOW) and
 * its EXEC_START for req: NEW_SESSION, the session's uid/gid, its env then
 * req->env, req->cwd and req->timeout_ms; stdin a pipe when stdin_pipe
 * (STDIN_DATA / STDIN_CLOSE follow), else /dev/null. `what` starts the
 * messages ("exec", "proc"). Returns 0 and *out (free with gc_req_free),
 * or the error set on call: VBX_E_SANDBOX_LOST when the agent is gone,
 * VBX_E_TOOBIG when the arguments exceed the protocol's limits. */
int guest_exec_open(guest_session *b, const vbx_exec_request *req, int stdin_pipe, const char *what,
                    vbx_call *call, gc_req **out);
/* guest_exec_signal - SIGNAL signo to the exec of request r. 0 or VBX_E_IO
 * (the connection is gone). */
int guest_exec_signal(guest_session *b, const gc_req *r, int signo);
/* guest_exec_data - decode the STDOUT_DATA / STDERR_DATA item `it` into *d
 * (pointing into it) when its offset is *off, which then advances past it.
 * 0, or VBX_E_PROTOCOL (malformed or out of order). */
int guest_exec_data(const gc_item *it, uint64_t *off, struct vbx_proto_data *d);
/* guest_exec_status - the EXIT item `it` as exit_code (128 + signal when a
 * signal ended it), term_signal and timed_out of *res; *guest_ns (may be
 * NULL) gets the run time the guest measured. 0, or VBX_E_PROTOCOL. */
int guest_exec_status(const gc_item *it, vbx_exec_result *res, uint64_t *guest_ns);

#endif
