/*
 * llm-anthropic/request.c - the Messages API request body. The canonical
 * voidbox message and tool shapes are the Anthropic ones, so messages and
 * tools are passed through unchanged.
 */
#include "anthropic.h"
#include "body.h"

int vbx_anthropic_body(vbx_lj *j, vbx_json *o, const vbx_llm_base *b, const vbx_llm_request *req,
                       int stream, vbx_call *call) {
  const vbx_host_services *h = b->h;
  (void)call;
  vbx_lj_set(j, o, "model", vbx_lj_str(j, b->model));
  vbx_lj_set(j, o, "max_tokens", h->json_integer_new(vbx_llm_max_tokens(b, req)));
  if (req->system && *req->system) vbx_lj_set(j, o, "system", vbx_lj_str(j, req->system));
  vbx_lj_set(j, o, "messages", vbx_lj_ref(j, req->messages));
  if (vbx_llm_has_tools(h, req)) vbx_lj_set(j, o, "tools", vbx_lj_ref(j, req->tools));
  if (b->opts.has_temperature)
    vbx_lj_set(j, o, "temperature", h->json_real_new(b->opts.temperature));
  if (stream) vbx_lj_set(j, o, "stream", h->json_bool_new(1));
  return 0;
}
