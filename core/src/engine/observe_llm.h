/*
 * engine/observe_llm.h - the span and metric points of one LLM call, as
 * the OpenTelemetry GenAI conventions name them: recorded by the engine's
 * tool loop (engine/loop.c) and by the LLM gateway for the calls a box's
 * own agent makes through it (core/gateway/exchange.c). Everything goes to
 * the run's hub through the calling thread's scope (plugin/observe.h).
 */
#ifndef VBX_ENGINE_OBSERVE_LLM_H
#define VBX_ENGINE_OBSERVE_LLM_H

#include <stdint.h>

#include "plugin/observe.h"
#include "voidbox/plugin.h"

/* Which call: all strings borrowed for the call that takes them. */
typedef struct vbx__llm_call_info {
  const char *system; /* the provider plugin: "anthropic", "mock", ... */
  const char *model;  /* the requested model, or NULL for the default */
  const char *box;    /* the box it serves */
  uint32_t max_tokens;
  int64_t turn; /* 1-based turn of the box's loop, 0 when not known */
} vbx__llm_call_info;

/* The span "chat [MODEL]" (kind CLIENT) made the calling thread's current
 * span until vbx__obs_llm_end (rc: 0 or the call's VBX_E_* code with
 * `message`; resp: what the provider answered, its model, stop reason and
 * usage), which restores *saved, records
 * gen_ai.client.operation.duration, gen_ai.client.token.usage and
 * voidbox.llm.cost, and ends the span. */
vbx_span *vbx__obs_llm_begin(const vbx__llm_call_info *ci, vbx__obs_scope *saved);
void vbx__obs_llm_end(const vbx__llm_call_info *ci, vbx_span *span, const vbx__obs_scope *saved,
                      int rc, const char *message, const vbx_llm_response *resp,
                      uint64_t duration_ns);

#endif
