/*
 * llm-common/base.h - what every LLM provider instance holds: resolved
 * model, base URL, API key (read from the environment at create time),
 * options, pricing table and retry jitter state; plus small request
 * helpers shared by the three providers.
 *
 * Ownership: the base owns its strings (malloc) and the pricing table.
 * Threads: one instance is used by one thread at a time.
 */
#ifndef VBX_LLM_BASE_H
#define VBX_LLM_BASE_H

#include <stdint.h>

#include "blocks.h"
#include "options.h"
#include "pricing.h"
#include "voidbox/plugin.h"

typedef struct vbx_llm_defaults {
  const char *provider;    /* "anthropic" */
  const char *base_url;    /* default base URL */
  const char *api_key_env; /* default variable, NULL: no key at all */
  const char *model;       /* default model */
  unsigned opt_flags;      /* VBX_LLM_OPT_* */
  int priced;              /* 0: local provider, cost always 0 */
} vbx_llm_defaults;

typedef struct vbx_llm_base {
  const vbx_host_services *h;
  const vbx_llm_defaults *d;
  char *model;
  char *base_url;    /* no trailing '/' */
  char *api_key_env; /* NULL when the provider uses no key */
  char *api_key;     /* NULL when none */
  vbx_llm_opts opts;
  vbx_pricing pricing;
  uint64_t rng;
} vbx_llm_base;

/* Resolve cfg against d: options (validated), model, base_url (cfg, else
 * `env_base_url` when not NULL, else d->base_url; must be http(s)), the API
 * key (a missing or empty variable fails with VBX_E_AUTH naming it, before
 * any request), pricing. On error nothing is left to free. */
int vbx_llm_base_init(vbx_llm_base *b, const vbx_host_services *h, const vbx_llm_defaults *d,
                      const vbx_llm_config *cfg, const char *env_base_url, vbx_call *call);
void vbx_llm_base_free(vbx_llm_base *b);

/* base_url + path into a malloc'd string; when base_url already ends with
 * "/v1" and path starts with "/v1/", the duplicate "/v1" is dropped.
 * NULL on OOM. */
char *vbx_llm_url(const vbx_llm_base *b, const char *path);
/* max_tokens for a request: the option, else req->max_tokens, else 4096. */
uint32_t vbx_llm_max_tokens(const vbx_llm_base *b, const vbx_llm_request *req);
/* Fill usage->cost_usd from the pricing table (0 for unpriced providers). */
void vbx_llm_price(vbx_llm_base *b, const char *model, vbx_llm_usage *usage);
/* Set the response's stop_reason / model (host->strdup). 0 or NOMEM. */
int vbx_llm_set_strings(const vbx_host_services *h, vbx_llm_response *resp, const char *stop,
                        const char *model, vbx_call *call);

/* Complete resp from the accumulated blocks: content built from `blocks`;
 * stop_reason `stop` when not NULL, else "tool_use" when a tool block was
 * produced, else "end_turn"; model `model` when non-empty, else the
 * configured one; usage copied and priced. 0 or a VBX_E_* code (call set).
 * resp's strings and content belong to the host afterwards. */
int vbx_llm_finish_response(vbx_llm_base *b, vbx_blocks *blocks, const char *stop,
                            const char *model, const vbx_llm_usage *usage, vbx_llm_response *resp,
                            vbx_call *call);
/* An API-key header "PREFIXKEY" (e.g. prefix "x-api-key: "), malloc'd, or
 * NULL on OOM. Release it with vbx_llm_secret_free, which wipes the bytes
 * before freeing so the key does not linger in freed memory. */
char *vbx_llm_secret_header(const char *prefix, const char *key);
void vbx_llm_secret_free(char *header);

#endif
