/*
 * llm-openai/request.c - canonical (Anthropic-shaped) messages and tools to
 * the chat/completions shape:
 *   system            -> {"role":"system","content":...} first
 *   user text blocks  -> {"role":"user","content":"text"}
 *   tool_result       -> {"role":"tool","tool_call_id":...,"content":"text"}
 *                        (placed before the user text of the same message)
 *   assistant         -> {"role":"assistant","content":text|null,
 *                         "tool_calls":[{"id","type":"function",
 *                         "function":{"name","arguments":"<JSON text>"}}]}
 *   tools             -> [{"type":"function","function":{"name",
 *                         "description","parameters"}}]
 */
#include <string.h>

#include "body.h"
#include "openai.h"

static const char *block_type(const vbx_host_services *h, const vbx_json *blk) {
  return vbx_lj_get_str(h, blk, "type");
}

static int user_msg(vbx_lj *j, vbx_json *out, const vbx_json *content, vbx_call *call) {
  const vbx_host_services *h = j->h;
  if (h->json_type(content) == VBX_JSON_ARRAY) {
    for (size_t i = 0; i < h->json_array_size(content); i++) {
      vbx_json *blk = h->json_array_get(content, i);
      const char *t = block_type(h, blk);
      if (!t || strcmp(t, "tool_result") != 0) continue;
      const char *id = vbx_lj_get_str(h, blk, "tool_use_id");
      if (!id)
        return h->set_error(call, VBX_E_INVAL, "messages", "tool_result block without tool_use_id");
      vbx_lbuf txt = {0};
      if (vbx_llm_tool_result_text(h, blk, &txt)) j->failed = 1;
      vbx_json *m = vbx_lj_obj(j);
      vbx_lj_set(j, m, "role", vbx_lj_str(j, "tool"));
      vbx_lj_set(j, m, "tool_call_id", vbx_lj_str(j, id));
      vbx_lj_set(j, m, "content", vbx_lj_str(j, vbx_lbuf_str(&txt)));
      vbx_lj_push(j, out, m);
      vbx_lbuf_free(&txt);
    }
  }
  vbx_lbuf txt = {0};
  if (vbx_llm_content_text(h, content, &txt)) j->failed = 1;
  if (txt.len > 0) vbx_llm_push_msg(j, out, "user", vbx_lbuf_str(&txt));
  vbx_lbuf_free(&txt);
  return 0;
}

static int assistant_msg(vbx_lj *j, vbx_json *out, const vbx_json *content, vbx_call *call) {
  const vbx_host_services *h = j->h;
  vbx_lbuf txt = {0};
  if (vbx_llm_content_text(h, content, &txt)) j->failed = 1;
  vbx_json *m = vbx_lj_obj(j);
  vbx_lj_set(j, m, "role", vbx_lj_str(j, "assistant"));
  vbx_lj_set(j, m, "content", txt.len ? vbx_lj_str(j, vbx_lbuf_str(&txt)) : h->json_null_new());
  vbx_lbuf_free(&txt);
  vbx_json *calls = NULL;
  if (h->json_type(content) == VBX_JSON_ARRAY) {
    for (size_t i = 0; i < h->json_array_size(content); i++) {
      vbx_json *blk = h->json_array_get(content, i);
      const char *t = block_type(h, blk);
      if (!t || strcmp(t, "tool_use") != 0) continue;
      const char *id = vbx_lj_get_str(h, blk, "id"), *name = vbx_lj_get_str(h, blk, "name");
      if (!id || !name) {
        if (m) h->json_decref(m);
        if (calls) h->json_decref(calls);
        return h->set_error(call, VBX_E_INVAL, "messages", "tool_use block without id or name");
      }
      vbx_json *in = h->json_object_get(blk, "input");
      char *args = in ? h->json_dump(in) : NULL;
      if (!calls) calls = vbx_lj_arr(j);
      vbx_json *fn = vbx_lj_obj(j);
      vbx_lj_set(j, fn, "name", vbx_lj_str(j, name));
      vbx_lj_set(j, fn, "arguments", vbx_lj_str(j, args ? args : "{}"));
      h->free(args);
      vbx_json *c = vbx_lj_obj(j);
      vbx_lj_set(j, c, "id", vbx_lj_str(j, id));
      vbx_lj_set(j, c, "type", vbx_lj_str(j, "function"));
      vbx_lj_set(j, c, "function", fn);
      vbx_lj_push(j, calls, c);
    }
  }
  if (calls) vbx_lj_set(j, m, "tool_calls", calls);
  vbx_lj_push(j, out, m);
  return 0;
}

/* Reasoning models take max_completion_tokens and refuse max_tokens. */
static int reasoning_model(const char *m) {
  return !strncmp(m, "o1", 2) || !strncmp(m, "o3", 2) || !strncmp(m, "o4", 2) ||
         !strncmp(m, "gpt-5", 5);
}

int vbx_openai_body(vbx_lj *j, vbx_json *o, const vbx_llm_base *b, const vbx_llm_request *req,
                    int stream, vbx_call *call) {
  const vbx_host_services *h = b->h;
  int rc = 0;
  vbx_json *msgs = vbx_lj_arr(j);
  if (req->system && *req->system) vbx_llm_push_msg(j, msgs, "system", req->system);
  for (size_t i = 0; i < h->json_array_size(req->messages) && !rc; i++) {
    vbx_json *msg = h->json_array_get(req->messages, i);
    const char *role = vbx_lj_get_str(h, msg, "role");
    vbx_json *content =
        h->json_type(msg) == VBX_JSON_OBJECT ? h->json_object_get(msg, "content") : NULL;
    if (!role || !content) {
      rc = h->set_error(call, VBX_E_INVAL, "messages", "message %zu has no role or content", i);
    } else if (!strcmp(role, "user")) {
      rc = user_msg(j, msgs, content, call);
    } else if (!strcmp(role, "assistant")) {
      rc = assistant_msg(j, msgs, content, call);
    } else {
      rc =
          h->set_error(call, VBX_E_INVAL, "messages", "message %zu has unknown role '%s'", i, role);
    }
  }
  vbx_lj_set(j, o, "model", vbx_lj_str(j, b->model));
  vbx_lj_set(j, o, "messages", msgs);
  vbx_lj_set(j, o, reasoning_model(b->model) ? "max_completion_tokens" : "max_tokens",
             h->json_integer_new(vbx_llm_max_tokens(b, req)));
  if (vbx_llm_has_tools(h, req)) vbx_lj_set(j, o, "tools", vbx_llm_function_tools(j, req->tools));
  if (b->opts.has_temperature)
    vbx_lj_set(j, o, "temperature", h->json_real_new(b->opts.temperature));
  if (stream) {
    vbx_lj_set(j, o, "stream", h->json_bool_new(1));
    vbx_json *so = vbx_lj_obj(j);
    vbx_lj_set(j, so, "include_usage", h->json_bool_new(1));
    vbx_lj_set(j, o, "stream_options", so);
  }
  return rc;
}
