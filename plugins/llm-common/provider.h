/*
 * llm-common/provider.h - the plugin side shared by the HTTP LLM plugins:
 * registration and the vtable methods.
 *
 * Each plugin defines one static vbx_llm_plugin (its defaults and its
 * wire) and one static vtable (VBX_LLM_VTABLE), and registers them from
 * init() with vbx_llm_plugin_register. Instances are vbx_llm_base objects (malloc'd by
 * create, freed by destroy); complete runs vbx_llm_complete with the
 * plugin's wire (wire.h).
 */
#ifndef VBX_LLM_PROVIDER_H
#define VBX_LLM_PROVIDER_H

#include "base.h"
#include "wire.h"

typedef struct vbx_llm_plugin {
  const vbx_host_services *host; /* set by vbx_llm_plugin_register */
  const vbx_llm_defaults *d;
  const vbx_llm_wire *wire;
  /* Base URL from the environment (e.g. $OLLAMA_HOST), malloc'd, or NULL. */
  char *(*env_base_url)(void);
} vbx_llm_plugin;

/* A provider vtable (a static initializer) with the vbx_llm_vt_* methods. */
#define VBX_LLM_VTABLE(NAME, DESCRIPTION)                                                          \
  {                                                                                                \
    sizeof(vbx_llm_provider_vtable), NAME, DESCRIPTION, 0, vbx_llm_vt_validate, vbx_llm_vt_create, \
        vbx_llm_vt_destroy, vbx_llm_vt_complete                                                    \
  }

/* The body of a plugin's init(): remember the host in pl, make pl the
 * plugin state and register vt (both static: they outlive the call, the
 * host keeps vt). Returns the registrar's result. */
int vbx_llm_plugin_register(vbx_llm_plugin *pl, const vbx_llm_provider_vtable *vt,
                            const vbx_host_services *host, const vbx_registrar *reg, void **state);

/* validate_options: check the options object without side effects. */
int vbx_llm_vt_validate(void *plugin_state, const vbx_json *options, vbx_call *call);
/* create: resolve the config (see vbx_llm_base_init); *out owned by the
 * caller until vbx_llm_vt_destroy. */
int vbx_llm_vt_create(void *plugin_state, const vbx_llm_config *cfg, vbx_call *call, void **out);
/* destroy: free an instance made by create (NULL is a no-op). */
void vbx_llm_vt_destroy(void *provider);
/* complete: on failure every field of resp is released and reset. */
int vbx_llm_vt_complete(void *provider, const vbx_llm_request *req, vbx_llm_response *resp,
                        vbx_call *call);

#endif
