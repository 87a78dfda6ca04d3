/*
 * llm-openai/plugin.c - the plugin descriptor, the "openai" LLM provider
 * registration (OpenAI and compatible endpoints: vLLM, OpenRouter, LM
 * Studio) and its wire: POST /v1/chat/completions with a bearer key,
 * answered by SSE chunks that end with "data: [DONE]".
 */
#include "openai.h"
#include "provider.h"

static const vbx_llm_defaults oa_defaults = {
    "openai", "https://api.openai.com", "OPENAI_API_KEY", "gpt-4.1-mini", 0, 1};

static const vbx_llm_wire oa_wire = {
    "/v1/chat/completions",
    "Authorization: Bearer ",
    {"Content-Type: application/json", NULL},
    {"Accept: application/json", "Accept: text/event-stream"},
    VBX_LLM_SSE,
    {"SSE stream failed: line or event larger than %zu bytes, or out of memory",
     "SSE stream failed: line or event larger than %zu bytes, or out of memory"},
    "'data: [DONE]'",
    vbx_openai_body,
    vbx_openai_event,
    vbx_openai_buffered,
    vbx_openai_turn_stop};

static vbx_llm_plugin oa_plugin = {NULL, &oa_defaults, &oa_wire, NULL};

static const vbx_llm_provider_vtable oa_vtable =
    VBX_LLM_VTABLE("openai", "OpenAI-compatible /v1/chat/completions (streaming SSE, tool calls)");

static int oa_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  return vbx_llm_plugin_register(&oa_plugin, &oa_vtable, host, reg, state);
}

VBX_PLUGIN_DEFINE("llm-openai", "0.1.0", "Apache-2.0",
                  "LLM provider \"openai\": OpenAI-compatible chat completions", oa_init, NULL)
