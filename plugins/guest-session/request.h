/*
 * guest-session/request.h - what every request of a guest session shares:
 * the box is still usable, the errors a request ends with (the agent gone,
 * the guest's ERROR), workspace-relative paths, and the output or file
 * bytes gathered for the host (capture, over core/util's vbx__strbuf).
 *
 * Threads: each function touches only its arguments (and the session's
 * connection, which is thread-safe).
 */
#ifndef VBX_GUEST_REQUEST_H
#define VBX_GUEST_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"
#include "util/strbuf.h"

#define GUEST_POLL_MS 50

/* guest_dead_error - set call's error: "box NAME: WHAT failed: <why the
 * agent or its connection is gone>". Returns VBX_E_SANDBOX_LOST. */
int guest_dead_error(guest_session *b, vbx_call *call, const char *what);
/* guest_error_reply - set call's error from the guest's ERROR item `it`
 * ("box NAME: WHAT: message"); the guest's code is kept when it is a
 * VBX_E_* other than SANDBOX_LOST (only the host decides the box is lost),
 * else VBX_E_SANDBOX. A malformed ERROR gives VBX_E_PROTOCOL. Returns the
 * code. */
int guest_error_reply(guest_session *b, const gc_item *it, vbx_call *call, const char *what);
/* guest_check_box - 0 when the box may take a request; else the error
 * (agent gone, or VBX_E_TIMEOUT when its lifetime is over) set on call. */
int guest_check_box(guest_session *b, vbx_call *call);
/* guest_abs_path - path itself when absolute, else GUEST_WORKSPACE/path
 * written into buf[cap] (truncated when it does not fit: callers check the
 * length first). */
const char *guest_abs_path(const char *path, char *buf, size_t cap);

/* Bytes gathered for the host, at most `limit` of them; what goes past the
 * limit is dropped and `truncated` set. Zero-initialise, set limit. */
typedef struct guest_capture {
  vbx__strbuf sb;
  size_t limit;
  int truncated;
} guest_capture;

/* guest_capture_add - append n bytes (cut at the limit). 0 or VBX_E_NOMEM. */
int guest_capture_add(guest_capture *c, const uint8_t *d, size_t n);
/* guest_capture_finish - hand the bytes over in host->alloc'd memory
 * (NUL-terminated, "" when none) as *out, with *len and *trunc; the capture is
 * emptied. 0 or VBX_E_NOMEM (the capture is kept for guest_capture_free). */
int guest_capture_finish(const vbx_host_services *h, guest_capture *c, char **out, size_t *len,
                         int *trunc);
/* guest_capture_free - free what the capture holds. */
void guest_capture_free(guest_capture *c);

#endif
