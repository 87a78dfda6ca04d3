/*
 * engine/box_run.c - what every part of one box's run shares (the loop,
 * tool dispatch, built-in tools, instances): a call bound to the box's
 * cancellation and deadline, why the box must stop, its events and output
 * stream, and the deadline itself.
 */
#include <stdio.h>

#include "engine/internal.h"

void vbx__box_call(const vbx__box_run *br, vbx_call *call) {
  vbx__call_init(call, br->env->run_cancel, br->env->rt_cancel, br->deadline_ns);
  call->cancel3 = br->env->stage_cancel;
}

int vbx__box_stopped(const vbx__box_run *br) {
  if (vbx__cancel_is_set(br->env->run_cancel) || vbx__cancel_is_set(br->env->rt_cancel) ||
      vbx__cancel_is_set(br->env->stage_cancel))
    return VBX_E_CANCELLED;
  if (br->deadline_ns != 0 && vbx__now_ns() >= br->deadline_ns) return VBX_E_TIMEOUT;
  if (br->sandbox_lost) return VBX_E_SANDBOX_LOST;
  return 0;
}

void vbx__box_emit(const vbx__box_run *br, vbx_event *ev) {
  ev->struct_size = sizeof(*ev);
  ev->box = br->box->name;
  if (br->env->emit) br->env->emit(br->env->emit_user, ev);
}

void vbx__box_stream(const vbx__box_run *br, vbx_output_kind kind, const char *data, size_t len) {
  if (len > 0 && data != NULL && br->env->on_stream)
    br->env->on_stream(br->env->stream_user, br->box->name, kind, data, len);
}

uint64_t vbx__box_deadline(const vbx_box *box, uint64_t start_ns) {
  uint32_t secs = box->timeout_secs;
  if (box->sandbox.timeout_secs != 0 && (secs == 0 || box->sandbox.timeout_secs < secs))
    secs = box->sandbox.timeout_secs;
  return secs ? start_ns + (uint64_t)secs * 1000000000ull : 0;
}

void vbx__box_timeout_text(const vbx_box *box, char *buf, size_t cap) {
  uint32_t sb = box->sandbox.timeout_secs;
  if (sb != 0 && (box->timeout_secs == 0 || sb < box->timeout_secs))
    snprintf(buf, cap, "box timeout reached: the sandbox's timeout_secs (%u s)", sb);
  else
    snprintf(buf, cap, "box timeout (%u s) reached", box->timeout_secs);
}
