/*
 * llm-ollama/ollama.h - internals of the "ollama" LLM provider (/api/chat
 * with NDJSON streaming).
 */
#ifndef VBX_LLM_OLLAMA_H
#define VBX_LLM_OLLAMA_H

#include "base.h"
#include "voidbox/plugin.h"

#define VBX_OLLAMA_DEFAULT_URL "http://127.0.0.1:11434"

/* Normalise an OLLAMA_HOST value ("host", "host:port", "http://host:port",
 * "https://host") into a base URL with scheme and port (11434 when absent
 * for http). malloc'd; NULL when value is NULL/empty or on OOM. */
char *vbx_ollama_normalise_host(const char *value);
/* Translate the canonical request to an /api/chat body (host->alloc'd). */
int vbx_ollama_body(vbx_llm_base *b, const vbx_llm_request *req, int stream, char **out,
                    vbx_call *call);
/* One completion. */
int vbx_ollama_complete(vbx_llm_base *b, const vbx_llm_request *req, vbx_llm_response *resp,
                        vbx_call *call);

#endif
