/*
 * gateway/provider.c - the gateway's provider instance: creating it from
 * the box's vbx_llm_config (as the engine does), serialising calls to it,
 * and the per-call object every request uses.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/internal.h"
#include "util/error.h"

int vbx__gw_provider_create(vbx__gateway *gw, const vbx__gateway_config *cfg, vbx_error *err) {
  const vbx__impl *impl = cfg->impl;
  if (impl == NULL) {
    if (cfg->registry == NULL || cfg->provider == NULL)
      return vbx__error_set(err, VBX_E_INVAL,
                            "gateway: no provider (set impl, or registry and provider)");
    impl = vbx__registry_find(cfg->registry, VBX_KIND_LLM, cfg->provider);
    if (impl == NULL) {
      const char *hint =
          vbx__did_you_mean(cfg->provider, vbx__registry_names(cfg->registry, VBX_KIND_LLM));
      return vbx__error_set(err, VBX_E_NOTFOUND, "gateway: unknown llm provider '%s'%s%s%s",
                            cfg->provider, hint ? " (did you mean '" : "", hint ? hint : "",
                            hint ? "'?)" : "");
    }
  }
  if (impl->kind != VBX_KIND_LLM)
    return vbx__error_set(err, VBX_E_INVAL, "gateway: '%s' is not an llm provider", impl->name);
  if (!vbx__impl_has(impl, VBX_M_CREATE) || !vbx__impl_has(impl, VBX_M_COMPLETE))
    return vbx__error_set(err, VBX_E_PLUGIN,
                          "gateway: llm provider '%s' lacks the create or complete method",
                          impl->name);
  vbx_llm_config lc;
  memset(&lc, 0, sizeof(lc));
  lc.struct_size = sizeof(lc);
  if (cfg->llm != NULL) {
    size_t n = cfg->llm->struct_size < sizeof(lc) ? cfg->llm->struct_size : sizeof(lc);
    memcpy(&lc, cfg->llm, n);
    lc.struct_size = sizeof(lc);
  }
  vbx_call call;
  vbx__call_init(&call, cfg->cancel, NULL, 0);
  int rc = vbx__inst_llm_create(&gw->llm, impl, "gateway", &lc, &call);
  if (rc != 0)
    return vbx__error_set(err, rc, "gateway: llm provider '%s': %s", impl->name,
                          vbx__call_message(&call, rc));
  gw->thread_safe = (vbx__impl_flags(impl) & VBX_VT_THREAD_SAFE) != 0;
  if (lc.model != NULL && (gw->model = strdup(lc.model)) == NULL) {
    vbx__inst_destroy(&gw->llm, vbx__now_ns() + VBX__INST_DESTROY_NS);
    return vbx__error_set(err, VBX_E_NOMEM, "gateway: out of memory");
  }
  return 0;
}

void vbx__gw_provider_destroy(vbx__gateway *gw) {
  vbx__inst_destroy(&gw->llm, vbx__now_ns() + VBX__INST_DESTROY_NS);
  free(gw->model);
  gw->model = NULL;
}

void vbx__gw_provider_lock(vbx__gateway *gw) {
  if (!gw->thread_safe) pthread_mutex_lock(&gw->provider_mu);
}

void vbx__gw_provider_unlock(vbx__gateway *gw) {
  if (!gw->thread_safe) pthread_mutex_unlock(&gw->provider_mu);
}

void vbx__gw_call_init(vbx__gateway *gw, vbx_call *call, const vbx__cancel *request) {
  vbx__call_init(call, &gw->stopping, gw->ext_cancel, 0);
  call->cancel3 = request;
}

void vbx__gw_response_free(vbx_llm_response *resp) {
  json_decref((json_t *)resp->content);
  free(resp->stop_reason);
  free(resp->model);
  resp->content = NULL;
  resp->stop_reason = NULL;
  resp->model = NULL;
}
