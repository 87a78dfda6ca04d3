/*
 * llm-anthropic/plugin.c - the plugin descriptor, the "anthropic" LLM
 * provider registration and its wire: POST /v1/messages with x-api-key,
 * answered by an SSE stream that ends with message_stop.
 */
#include "anthropic.h"
#include "provider.h"

static const vbx_llm_defaults an_defaults = {
    "anthropic", "https://api.anthropic.com", "ANTHROPIC_API_KEY", "claude-sonnet-4-5", 0, 1};

static const vbx_llm_wire an_wire = {
    "/v1/messages",
    "x-api-key: ",
    {"anthropic-version: " VBX_ANTHROPIC_VERSION, "content-type: application/json", NULL},
    {"accept: application/json", "accept: text/event-stream"},
    VBX_LLM_SSE,
    {"SSE line or event larger than its bound (%zu bytes)", "SSE stream failed (%zu)"},
    "message_stop event",
    vbx_anthropic_body,
    vbx_anthropic_event,
    vbx_anthropic_buffered,
    NULL};

static vbx_llm_plugin an_plugin = {NULL, &an_defaults, &an_wire, NULL};

static const vbx_llm_provider_vtable an_vtable = VBX_LLM_VTABLE(
    "anthropic", "Anthropic Messages API (streaming SSE, tools, prompt-cache usage)");

static int an_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  return vbx_llm_plugin_register(&an_plugin, &an_vtable, host, reg, state);
}

VBX_PLUGIN_DEFINE("llm-anthropic", "0.1.0", "Apache-2.0",
                  "LLM provider \"anthropic\": the Anthropic Messages API", an_init, NULL)
