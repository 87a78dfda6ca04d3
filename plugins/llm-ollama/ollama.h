/*
 * llm-ollama/ollama.h - internals of the "ollama" LLM provider (/api/chat
 * with NDJSON streaming): the hooks of its wire (llm-common/wire.h), tabled
 * in plugin.c.
 */
#ifndef VBX_LLM_OLLAMA_H
#define VBX_LLM_OLLAMA_H

#include "wire.h"

#define VBX_OLLAMA_DEFAULT_URL "http://127.0.0.1:11434"

/* Normalise an OLLAMA_HOST value ("host", "host:port", "http://host:port",
 * "https://host") into a base URL with scheme and port (11434 when absent
 * for http). malloc'd; NULL when value is NULL/empty or on OOM. */
char *vbx_ollama_normalise_host(const char *value);
/* wire.body: the canonical request as an /api/chat body. */
int vbx_ollama_body(vbx_lj *j, vbx_json *o, const vbx_llm_base *b, const vbx_llm_request *req,
                    int stream, vbx_call *call);
/* wire.unit: one NDJSON line of the /api/chat stream, or the whole
 * buffered body (one object). */
int vbx_ollama_line(vbx_llm_turn *t, const char *event, const char *line, size_t len);
/* wire.stop: "max_tokens" for a length stop without tool calls, else the
 * default. */
const char *vbx_ollama_stop(const vbx_llm_turn *t);

#endif
