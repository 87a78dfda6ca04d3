/*
 * plugin/call.c - the per-call error slot and cancellation (see call.h).
 */
#include "plugin/call.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "voidbox/voidbox.h"

void vbx__call_init(vbx_call *call, const vbx__cancel *cancel, const vbx__cancel *cancel2,
                    uint64_t deadline_ns) {
  memset(call, 0, sizeof(*call));
  call->cancel = cancel;
  call->cancel2 = cancel2;
  call->deadline_ns = deadline_ns;
}

void vbx__call_clear(vbx_call *call) {
  call->code = 0;
  call->field[0] = '\0';
  call->message[0] = '\0';
}

int vbx__call_cancelled(const vbx_call *call) {
  return call != NULL && (vbx__cancel_is_set(call->cancel) || vbx__cancel_is_set(call->cancel2) ||
                          vbx__cancel_is_set(call->cancel3));
}

int vbx__call_stopped(const vbx_call *call) {
  if (call == NULL) return 0;
  if (vbx__call_cancelled(call)) return 1;
  return call->deadline_ns != 0 && vbx__now_ns() >= call->deadline_ns;
}

int vbx__call_fail(vbx_call *call, int code, const char *field, const char *fmt, ...) {
  if (call == NULL) return code;
  call->code = code;
  snprintf(call->field, sizeof(call->field), "%s", field ? field : "");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(call->message, sizeof(call->message), fmt, ap);
  va_end(ap);
  return code;
}

const char *vbx__call_message(const vbx_call *call, int code) {
  if (call != NULL && call->message[0] != '\0') return call->message;
  return vbx_strerror(code);
}

void vbx__cancel_set(vbx__cancel *c) {
  if (c != NULL) atomic_store(&c->cancelled, 1);
}

int vbx__cancel_is_set(const vbx__cancel *c) {
  /* atomic_load takes a non-const pointer in some C libraries. */
  return c != NULL && atomic_load((atomic_int *)&c->cancelled) != 0;
}
