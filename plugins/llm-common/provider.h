/*
 * llm-common/provider.h - the vtable methods shared by the LLM plugins.
 *
 * Each plugin defines one static vbx_llm_plugin (its defaults and its
 * complete function), passes it as the plugin state from init(), and points
 * its vbx_llm_provider_vtable at the vbx_llm_vt_* functions below.
 * Instances are vbx_llm_base objects (malloc'd by create, freed by destroy).
 */
#ifndef VBX_LLM_PROVIDER_H
#define VBX_LLM_PROVIDER_H

#include "base.h"

typedef int (*vbx_llm_complete_fn)(vbx_llm_base *b, const vbx_llm_request *req,
                                   vbx_llm_response *resp, vbx_call *call);

typedef struct vbx_llm_plugin {
  const vbx_host_services *host;  /* set by the plugin's init */
  const vbx_llm_defaults *d;
  vbx_llm_complete_fn complete;
  /* Base URL from the environment (e.g. $OLLAMA_HOST), malloc'd, or NULL. */
  char *(*env_base_url)(void);
} vbx_llm_plugin;

/* validate_options: check the options object without side effects. */
int vbx_llm_vt_validate(void *plugin_state, const vbx_json *options, vbx_call *call);
/* create: resolve the config (see vbx_llm_base_init); *out owned by the
 * caller until vbx_llm_vt_destroy. */
int vbx_llm_vt_create(void *plugin_state, const vbx_llm_config *cfg, vbx_call *call, void **out);
void vbx_llm_vt_destroy(void *provider);
/* complete: on failure every field of resp is released and reset. */
int vbx_llm_vt_complete(void *provider, const vbx_llm_request *req, vbx_llm_response *resp,
                        vbx_call *call);

#endif
