/*
 * llm-common/body.h - request-body pieces shared by the wires: the text of
 * canonical (Anthropic-shaped) content, and the chat-shaped messages and
 * function tools that the openai and ollama wires translate it into.
 *
 * Builders take a vbx_lj (jsonh.h): a failed allocation marks it failed
 * and the body is refused once, when it is dumped.
 */
#ifndef VBX_LLM_BODY_H
#define VBX_LLM_BODY_H

#include "buf.h"
#include "jsonh.h"
#include "voidbox/plugin.h"

/* The text of a canonical content value: a string, or the "text" of its
 * text blocks joined with "\n\n". Appends to out. 0 or VBX_E_NOMEM. */
int vbx_llm_content_text(const vbx_host_services *h, const vbx_json *content, vbx__strbuf *out);
/* The text of a tool_result block: "Error: " when is_error is true, then
 * the text of its content. Appends to out. 0 or VBX_E_NOMEM. */
int vbx_llm_tool_result_text(const vbx_host_services *h, const vbx_json *block, vbx__strbuf *out);
/* Non-zero when the request declares at least one tool. */
int vbx_llm_has_tools(const vbx_host_services *h, const vbx_llm_request *req);
/* Canonical tools ({name, description, input_schema}) as chat function
 * tools: [{"type":"function","function":{name, description, parameters}}]
 * (a new array). */
vbx_json *vbx_llm_function_tools(vbx_lj *j, const vbx_json *tools);
/* arr += {"role": role, "content": text}. */
void vbx_llm_push_msg(vbx_lj *j, vbx_json *arr, const char *role, const char *text);

#endif
