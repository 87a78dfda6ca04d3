/*
 * llm-anthropic/anthropic.h - internals of the "anthropic" LLM provider
 * (Anthropic Messages API, anthropic-version 2023-06-01): the hooks of its
 * wire (llm-common/wire.h), tabled in plugin.c.
 */
#ifndef VBX_LLM_ANTHROPIC_H
#define VBX_LLM_ANTHROPIC_H

#include "wire.h"

#define VBX_ANTHROPIC_VERSION "2023-06-01"

/* wire.body: the /v1/messages request (messages and tools unchanged). */
int vbx_anthropic_body(vbx_lj *j, vbx_json *o, const vbx_llm_base *b, const vbx_llm_request *req,
                       int stream, vbx_call *call);
/* wire.unit: one SSE event of the Messages stream. */
int vbx_anthropic_event(vbx_llm_turn *t, const char *event, const char *data, size_t len);
/* wire.buffered: a whole Messages response (`stream: false`). */
int vbx_anthropic_buffered(vbx_llm_turn *t, const char *body, size_t len);
/* Parse a usage object into u (fields present override). */
void vbx_anthropic_usage(const vbx_host_services *h, const vbx_json *usage, vbx_llm_usage *u);

#endif
