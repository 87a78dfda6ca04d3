/*
 * llm-openai/openai.h - internals of the "openai" LLM provider (any
 * OpenAI-compatible /v1/chat/completions endpoint): the hooks of its wire
 * (llm-common/wire.h), tabled in plugin.c.
 */
#ifndef VBX_LLM_OPENAI_H
#define VBX_LLM_OPENAI_H

#include "wire.h"

/* wire.body: the canonical request as a chat/completions body. */
int vbx_openai_body(vbx_lj *j, vbx_json *o, const vbx_llm_base *b, const vbx_llm_request *req,
                    int stream, vbx_call *call);
/* wire.unit: one SSE event (a chat.completion.chunk, or "[DONE]"). */
int vbx_openai_event(vbx_llm_turn *t, const char *event, const char *data, size_t len);
/* wire.buffered: a whole chat.completion (`stream: false`). */
int vbx_openai_buffered(vbx_llm_turn *t, const char *body, size_t len);
/* wire.stop: the finish_reason read (t->stop) as the canonical stop reason. */
const char *vbx_openai_turn_stop(const vbx_llm_turn *t);
/* Map an OpenAI finish_reason to the canonical stop_reason (static). */
const char *vbx_openai_stop_reason(const char *finish_reason);
/* Usage object -> canonical usage (prompt_tokens minus cached tokens become
 * input_tokens; cached tokens are cache reads). */
void vbx_openai_usage(const vbx_host_services *h, const vbx_json *usage, vbx_llm_usage *u);

#endif
