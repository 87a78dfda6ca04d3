/*
 * llm-anthropic/anthropic.h - internals of the "anthropic" LLM provider
 * (Anthropic Messages API, anthropic-version 2023-06-01).
 */
#ifndef VBX_LLM_ANTHROPIC_H
#define VBX_LLM_ANTHROPIC_H

#include "base.h"
#include "voidbox/plugin.h"

#define VBX_ANTHROPIC_VERSION "2023-06-01"

/* Build the /v1/messages request body (host->alloc'd JSON text in *out). */
int vbx_anthropic_body(vbx_llm_base *b, const vbx_llm_request *req, int stream, char **out,
                       vbx_call *call);
/* Run one completion: streaming over SSE or, with `stream: false`, one
 * buffered response. Fills resp (content, stop_reason, model, usage). */
int vbx_anthropic_complete(vbx_llm_base *b, const vbx_llm_request *req, vbx_llm_response *resp,
                           vbx_call *call);
/* Parse a usage object into u (fields present override). */
void vbx_anthropic_usage(const vbx_host_services *h, const vbx_json *usage, vbx_llm_usage *u);

#endif
