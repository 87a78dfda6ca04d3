/*
 * llm-openai/openai.h - internals of the "openai" LLM provider (any
 * OpenAI-compatible /v1/chat/completions endpoint).
 */
#ifndef VBX_LLM_OPENAI_H
#define VBX_LLM_OPENAI_H

#include "base.h"
#include "voidbox/plugin.h"

/* Translate the canonical request to a chat/completions body
 * (host->alloc'd JSON text in *out). */
int vbx_openai_body(vbx_llm_base *b, const vbx_llm_request *req, int stream, char **out,
                    vbx_call *call);
/* Map an OpenAI finish_reason to the canonical stop_reason (static). */
const char *vbx_openai_stop_reason(const char *finish_reason);
/* Usage object -> canonical usage (prompt_tokens minus cached tokens become
 * input_tokens; cached tokens are cache reads). */
void vbx_openai_usage(const vbx_host_services *h, const vbx_json *usage, vbx_llm_usage *u);
/* One completion (SSE streaming or buffered with `stream: false`). */
int vbx_openai_complete(vbx_llm_base *b, const vbx_llm_request *req, vbx_llm_response *resp,
                        vbx_call *call);

#endif
