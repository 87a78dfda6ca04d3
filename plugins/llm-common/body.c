/*
 * llm-common/body.c - request-body pieces shared by the wires (see body.h).
 */
#include "body.h"

#include <string.h>

int vbx_llm_content_text(const vbx_host_services *h, const vbx_json *content, vbx__strbuf *out) {
  if (!content) return 0;
  if (h->json_type(content) == VBX_JSON_STRING)
    return vbx__strbuf_append(out, h->json_string_value(content), h->json_string_length(content));
  if (h->json_type(content) != VBX_JSON_ARRAY) return 0;
  int first = 1;
  for (size_t i = 0; i < h->json_array_size(content); i++) {
    vbx_json *blk = h->json_array_get(content, i);
    vbx_json *t =
        blk && h->json_type(blk) == VBX_JSON_OBJECT ? h->json_object_get(blk, "type") : NULL;
    const char *ty = t ? h->json_string_value(t) : NULL;
    if (!ty || strcmp(ty, "text") != 0) continue;
    vbx_json *tx = h->json_object_get(blk, "text");
    if (!tx || h->json_type(tx) != VBX_JSON_STRING) continue;
    if (!first && vbx__strbuf_puts(out, "\n\n")) return VBX_E_NOMEM;
    if (vbx__strbuf_append(out, h->json_string_value(tx), h->json_string_length(tx)))
      return VBX_E_NOMEM;
    first = 0;
  }
  return 0;
}

int vbx_llm_tool_result_text(const vbx_host_services *h, const vbx_json *block, vbx__strbuf *out) {
  vbx_json *ie = h->json_object_get(block, "is_error");
  if (ie && h->json_is_true(ie) && vbx__strbuf_puts(out, "Error: ")) return VBX_E_NOMEM;
  return vbx_llm_content_text(h, h->json_object_get(block, "content"), out);
}

int vbx_llm_has_tools(const vbx_host_services *h, const vbx_llm_request *req) {
  return req->tools && h->json_type(req->tools) == VBX_JSON_ARRAY &&
         h->json_array_size(req->tools) > 0;
}

vbx_json *vbx_llm_function_tools(vbx_lj *j, const vbx_json *tools) {
  const vbx_host_services *h = j->h;
  vbx_json *arr = vbx_lj_arr(j);
  for (size_t i = 0; i < h->json_array_size(tools); i++) {
    vbx_json *t = h->json_array_get(tools, i);
    vbx_json *fn = vbx_lj_obj(j);
    vbx_lj_set(j, fn, "name", vbx_lj_str(j, vbx_lj_get_str(h, t, "name")));
    const char *d = vbx_lj_get_str(h, t, "description");
    if (d) vbx_lj_set(j, fn, "description", vbx_lj_str(j, d));
    vbx_json *schema = vbx_lj_get_typed(h, t, "input_schema", VBX_JSON_OBJECT);
    if (schema) vbx_lj_set(j, fn, "parameters", vbx_lj_ref(j, schema));
    vbx_json *o = vbx_lj_obj(j);
    vbx_lj_set(j, o, "type", vbx_lj_str(j, "function"));
    vbx_lj_set(j, o, "function", fn);
    vbx_lj_push(j, arr, o);
  }
  return arr;
}

void vbx_llm_push_msg(vbx_lj *j, vbx_json *arr, const char *role, const char *text) {
  vbx_json *m = vbx_lj_obj(j);
  vbx_lj_set(j, m, "role", vbx_lj_str(j, role));
  vbx_lj_set(j, m, "content", vbx_lj_str(j, text));
  vbx_lj_push(j, arr, m);
}
