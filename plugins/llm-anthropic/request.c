/*
 * llm-anthropic/request.c - the Messages API request body. The canonical
 * voidbox message and tool shapes are the Anthropic ones, so messages and
 * tools are passed through unchanged.
 */
#include <string.h>

#include "anthropic.h"
#include "jsonh.h"

int vbx_anthropic_body(vbx_llm_base *b, const vbx_llm_request *req, int stream, char **out,
                       vbx_call *call) {
  const vbx_host_services *h = b->h;
  if (!req->messages || h->json_type(req->messages) != VBX_JSON_ARRAY)
    return h->set_error(call, VBX_E_INVAL, "messages", "messages must be an array");
  vbx_lj j = {h, 0};
  vbx_json *o = vbx_lj_obj(&j);
  vbx_lj_set(&j, o, "model", vbx_lj_str(&j, b->model));
  vbx_lj_set(&j, o, "max_tokens", h->json_integer_new(vbx_llm_max_tokens(b, req)));
  if (req->system && *req->system) vbx_lj_set(&j, o, "system", vbx_lj_str(&j, req->system));
  vbx_lj_set(&j, o, "messages", vbx_lj_ref(&j, req->messages));
  if (req->tools && h->json_type(req->tools) == VBX_JSON_ARRAY && h->json_array_size(req->tools) > 0)
    vbx_lj_set(&j, o, "tools", vbx_lj_ref(&j, req->tools));
  if (b->opts.has_temperature)
    vbx_lj_set(&j, o, "temperature", h->json_real_new(b->opts.temperature));
  if (stream) vbx_lj_set(&j, o, "stream", h->json_bool_new(1));
  char *text = j.failed ? NULL : h->json_dump(o);
  if (o) h->json_decref(o);
  if (!text) return h->set_error(call, VBX_E_NOMEM, NULL, "out of memory building the request");
  *out = text;
  return 0;
}
