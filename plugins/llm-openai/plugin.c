/*
 * llm-openai/plugin.c - the plugin descriptor and the "openai" LLM provider
 * registration (OpenAI and compatible endpoints: vLLM, OpenRouter, LM
 * Studio).
 */
#include "openai.h"
#include "provider.h"

static const vbx_llm_defaults oa_defaults = {
    "openai", "https://api.openai.com", "OPENAI_API_KEY", "gpt-4.1-mini", 0, 1};

static vbx_llm_plugin oa_plugin = {NULL, &oa_defaults, vbx_openai_complete, NULL};

static const vbx_llm_provider_vtable oa_vtable = {
    sizeof(vbx_llm_provider_vtable),
    "openai",
    "OpenAI-compatible /v1/chat/completions (streaming SSE, tool calls)",
    0,
    vbx_llm_vt_validate,
    vbx_llm_vt_create,
    vbx_llm_vt_destroy,
    vbx_llm_vt_complete};

static int oa_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  oa_plugin.host = host;
  *state = &oa_plugin;
  return reg->register_llm_provider(reg->reg, &oa_vtable);
}

VBX_PLUGIN_DEFINE("llm-openai", "0.1.0", "Apache-2.0",
                  "LLM provider \"openai\": OpenAI-compatible chat completions", oa_init, NULL)
