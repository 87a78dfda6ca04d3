/*
 * llm-ollama/plugin.c - the plugin descriptor and the "ollama" LLM provider
 * registration (local models; no API key; cost 0).
 */
#include <stdlib.h>

#include "ollama.h"
#include "provider.h"

static const vbx_llm_defaults ol_defaults = {
    "ollama", VBX_OLLAMA_DEFAULT_URL, NULL, "llama3.2", VBX_LLM_OPT_OLLAMA, 0};

static char *ol_env_url(void) { return vbx_ollama_normalise_host(getenv("OLLAMA_HOST")); }

static vbx_llm_plugin ol_plugin = {NULL, &ol_defaults, vbx_ollama_complete, ol_env_url};

static const vbx_llm_provider_vtable ol_vtable = {
    sizeof(vbx_llm_provider_vtable),
    "ollama",
    "Ollama /api/chat (local models, NDJSON streaming, tools)",
    0,
    vbx_llm_vt_validate,
    vbx_llm_vt_create,
    vbx_llm_vt_destroy,
    vbx_llm_vt_complete};

static int ol_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  ol_plugin.host = host;
  *state = &ol_plugin;
  return reg->register_llm_provider(reg->reg, &ol_vtable);
}

VBX_PLUGIN_DEFINE("llm-ollama", "0.1.0", "Apache-2.0",
                  "LLM provider \"ollama\": local models through Ollama's /api/chat", ol_init, NULL)
