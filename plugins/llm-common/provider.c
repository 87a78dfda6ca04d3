/*
 * llm-common/provider.c - shared vtable methods (see provider.h).
 */
#include "provider.h"

#include <stdlib.h>
#include <string.h>

typedef struct instance {
  vbx_llm_base base;
  const vbx_llm_plugin *pl;
} instance;

int vbx_llm_plugin_register(vbx_llm_plugin *pl, const vbx_llm_provider_vtable *vt,
                            const vbx_host_services *host, const vbx_registrar *reg, void **state) {
  pl->host = host;
  *state = pl;
  return reg->register_llm_provider(reg->reg, vt);
}

int vbx_llm_vt_validate(void *plugin_state, const vbx_json *options, vbx_call *call) {
  const vbx_llm_plugin *pl = plugin_state;
  vbx_llm_opts o;
  int rc = vbx_llm_opts_parse(pl->host, options, pl->d->opt_flags, &o, call);
  if (rc == 0) vbx_llm_opts_free(&o);
  return rc;
}

int vbx_llm_vt_create(void *plugin_state, const vbx_llm_config *cfg, vbx_call *call, void **out) {
  const vbx_llm_plugin *pl = plugin_state;
  const vbx_host_services *h = pl->host;
  if (!cfg) return h->set_error(call, VBX_E_INVAL, NULL, "no provider configuration");
  instance *in = calloc(1, sizeof(*in));
  if (!in) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory");
  char *env_url = pl->env_base_url ? pl->env_base_url() : NULL;
  int rc = vbx_llm_base_init(&in->base, h, pl->d, cfg, env_url, call);
  free(env_url);
  if (rc) {
    free(in);
    return rc;
  }
  in->pl = pl;
  *out = in;
  return 0;
}

void vbx_llm_vt_destroy(void *provider) {
  instance *in = provider;
  if (!in) return;
  vbx_llm_base_free(&in->base);
  free(in);
}

int vbx_llm_vt_complete(void *provider, const vbx_llm_request *req, vbx_llm_response *resp,
                        vbx_call *call) {
  instance *in = provider;
  const vbx_host_services *h = in->base.h;
  if (!req || !resp) return h->set_error(call, VBX_E_INVAL, NULL, "no request or response");
  uint32_t size = resp->struct_size;
  int rc = vbx_llm_complete(&in->base, in->pl->wire, req, resp, call);
  if (rc) {
    if (resp->content) h->json_decref(resp->content);
    h->free(resp->stop_reason);
    h->free(resp->model);
    memset(resp, 0, sizeof(*resp));
    resp->struct_size = size;
  }
  return rc;
}
