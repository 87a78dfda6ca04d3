/*
 * llm-anthropic/plugin.c - the plugin descriptor and the "anthropic" LLM
 * provider registration.
 */
#include "anthropic.h"
#include "provider.h"

static const vbx_llm_defaults an_defaults = {
    "anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY", "claude-sonnet-4-5", 0, 1};

static vbx_llm_plugin an_plugin = {NULL, &an_defaults, vbx_anthropic_complete, NULL};

static const vbx_llm_provider_vtable an_vtable = {
    sizeof(vbx_llm_provider_vtable),
    "anthropic",
    "Anthropic Messages API (streaming SSE, tools, prompt-cache usage)",
    0,
    vbx_llm_vt_validate,
    vbx_llm_vt_create,
    vbx_llm_vt_destroy,
    vbx_llm_vt_complete};

static int an_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  an_plugin.host = host;
  *state = &an_plugin;
  return reg->register_llm_provider(reg->reg, &an_vtable);
}

VBX_PLUGIN_DEFINE("llm-anthropic", "0.1.0", "Apache-2.0",
                  "LLM provider \"anthropic\": the Anthropic Messages API", an_init, NULL)
