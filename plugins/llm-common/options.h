/*
 * llm-common/options.h - the provider options shared by the LLM plugins
 * (the `llm:` block's provider-specific keys), validated with the offending
 * key named in the error's field.
 *
 *   max_tokens          integer 1..1000000     (default: request's, else 4096)
 *   temperature         number 0..2            (default: provider's)
 *   stream              boolean                (default true)
 *   max_retries         integer 0..10          (default 3)
 *   retry_base_ms       integer 1..60000       (default 500)
 *   connect_timeout_ms  integer 1..600000      (default 10000)
 *   idle_timeout_ms     integer 1..3600000     (default 120000)
 *   max_response_bytes  integer 1024..1 GiB    (default 32 MiB)
 *   pricing_file        string (path; relative to the spec directory)
 * Ollama only (VBX_LLM_OPT_OLLAMA): num_ctx integer 1..10000000,
 * keep_alive string.
 */
#ifndef VBX_LLM_OPTIONS_H
#define VBX_LLM_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "voidbox/plugin.h"

#define VBX_LLM_OPT_OLLAMA 0x1u

typedef struct vbx_llm_opts {
  uint32_t max_tokens; /* 0: not set */
  int has_temperature;
  double temperature;
  int stream;
  unsigned max_retries;
  uint32_t retry_base_ms;
  uint32_t connect_timeout_ms;
  uint32_t idle_timeout_ms;
  size_t max_response_bytes;
  char *pricing_file; /* malloc'd or NULL */
  int64_t num_ctx;    /* 0: not set */
  char *keep_alive;   /* malloc'd or NULL */
} vbx_llm_opts;

/* Fill out with defaults, then apply `options` (an object or NULL). Unknown
 * keys and bad values fail with VBX_E_INVAL and field = the key. On error
 * out holds nothing to free. flags: VBX_LLM_OPT_*. */
int vbx_llm_opts_parse(const vbx_host_services *h, const vbx_json *options, unsigned flags,
                       vbx_llm_opts *out, vbx_call *call);
/* Free the strings of o. */
void vbx_llm_opts_free(vbx_llm_opts *o);

#endif
