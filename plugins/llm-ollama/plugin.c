/*
 * llm-ollama/plugin.c - the plugin descriptor, the "ollama" LLM provider
 * registration (local models; no API key; cost 0) and its wire: POST
 * /api/chat, answered by NDJSON lines that end with "done": true.
 */
#include <stdlib.h>

#include "ollama.h"
#include "provider.h"

static const vbx_llm_defaults ol_defaults = {"ollama",   VBX_OLLAMA_DEFAULT_URL, NULL,
                                             "llama3.2", VBX_LLM_OPT_OLLAMA,     0};

static const vbx_llm_wire ol_wire = {"/api/chat",
                                     NULL,
                                     {"Content-Type: application/json", NULL},
                                     {"Accept: application/json", "Accept: application/x-ndjson"},
                                     VBX_LLM_NDJSON,
                                     {"NDJSON line longer than %zu bytes, or out of memory",
                                      "NDJSON line longer than %zu bytes, or out of memory"},
                                     "\"done\": true",
                                     vbx_ollama_body,
                                     vbx_ollama_line,
                                     NULL,
                                     vbx_ollama_stop};

static char *ol_env_url(void) { return vbx_ollama_normalise_host(getenv("OLLAMA_HOST")); }

static vbx_llm_plugin ol_plugin = {NULL, &ol_defaults, &ol_wire, ol_env_url};

static const vbx_llm_provider_vtable ol_vtable =
    VBX_LLM_VTABLE("ollama", "Ollama /api/chat (local models, NDJSON streaming, tools)");

static int ol_init(const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  return vbx_llm_plugin_register(&ol_plugin, &ol_vtable, host, reg, state);
}

VBX_PLUGIN_DEFINE("llm-ollama", "0.1.0", "Apache-2.0",
                  "LLM provider \"ollama\": local models through Ollama's /api/chat", ol_init, NULL)
